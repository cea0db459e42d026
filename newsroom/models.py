"""The domain: sources, episodes, transcripts, summaries, newsletters and run reports."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

Provenance = Literal["feed", "captions", "asr", "article"]
EpisodeStatus = Literal["done", "failed", "skipped", "cached"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Chapter(Model):
    start: float = Field(ge=0, description="Seconds from the start of the episode.")
    title: str


class Episode(Model):
    """One item a source published: a video, a podcast episode, an article or a local file."""

    id: str = Field(description="Stable id: source kind + the item's own id (video id, guid hash, ...).")
    source_id: str
    source_name: str
    kind: str = Field(description="The source kind it came from (newsroom.sources.KINDS).")
    title: str
    url: str = Field(description="Where a person opens it (video page, episode page, article).")
    media_url: str | None = Field(None, description="Audio/video to download, if any.")
    published: datetime | None = None
    duration: float | None = Field(None, description="Seconds.")
    views: int | None = None
    author: str | None = None
    description: str = ""
    thumbnail: str | None = None
    chapters: list[Chapter] = Field(default_factory=list)
    language: str | None = None
    output_language: str | None = None
    transcript_urls: list[tuple[str, str]] = Field(
        default_factory=list, description="(url, mime type) of transcripts the feed provides."
    )
    text: str | None = Field(None, description="Main text, for articles.")
    video_id: str | None = None
    refused_links: list[str] = Field(
        default_factory=list,
        description="Links the source gave for this item that newsroom refused (a file: URL in a feed "
        "from the web, ...), with why; the item fails with them instead of being fetched.",
    )

    page_seeks: bool = Field(
        False, description="Its page's player honours `#t=` (the source's `page_timestamps`)."
    )
    untimed: bool = Field(
        False, description="Its transcript has no times (plain text): links go to the page."
    )

    @property
    def has_timeline(self) -> bool:
        """Whether a second into it can be linked: not for articles or untimed transcripts."""
        return self.kind != "article" and not self.untimed

    def link_at(self, seconds: float) -> str:
        """A link that opens the episode at this second, with the platform's own deep link: YouTube's
        `t=`; else the page's `#t=` when its player honours it (`page_seeks`); else a media fragment
        `#t=` on the audio (browsers and most players honour it). Without a timeline: the page."""
        s = max(0, int(seconds))
        if self.kind == "youtube" and self.video_id:
            return f"https://www.youtube.com/watch?v={self.video_id}&t={s}s"
        if not self.has_timeline:
            return self.url
        base = self.url if self.page_seeks or not self.media_url else self.media_url
        return f"{base.split('#')[0]}#t={s}"


def stable_id(prefix: str, *parts: str) -> str:
    """A short, filesystem-safe id from a prefix and a stable key (guid, URL, path)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12]
    return f"{prefix}-{digest}"


def distinct_id(episode_id: str, identity: str) -> str:
    """The id of an item that shares `episode_id` with a different item (one guid, other media)."""
    return f"{episode_id}-{hashlib.sha256(identity.encode()).hexdigest()[:6]}"


class Segment(Model):
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str
    speaker: str | None = Field(None, description="Who speaks, when the source says so.")


class Transcript(Model):
    episode_id: str
    language: str | None = None
    language_detected: bool = Field(False, description="The language was heard by the model, not given.")
    provenance: Provenance
    backend: str = Field(description="What produced it: 'feed:vtt', 'captions:json3', 'local:tiny.en', ...")
    segments: list[Segment]
    corrections: dict[str, int] = Field(default_factory=dict, description="Glossary fixes applied.")

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def duration(self) -> float:
        return max((s.end for s in self.segments), default=0.0)

    @property
    def timed(self) -> bool:
        """Whether its seconds mean anything: untimed text (plain, HTML without <time>, articles)
        sits at 0 s throughout."""
        return any(s.end > 0 for s in self.segments)


class NamedItem(Model):
    name: str
    description: str


class TimedText(Model):
    text: str
    timestamp: float = Field(ge=0, description="Seconds into the episode.")
    # Filled by newsroom from the transcript line a quote is found in, never asked of a model: left
    # out of the JSON schema that structured outputs send.
    speaker: SkipJsonSchema[str | None] = None


class Entities(Model):
    people: list[str] = Field(default_factory=list)
    companies: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    mentioned: list[str] = Field(
        default_factory=list, description="Names said in the episode whose type nothing supports."
    )


class SummaryContent(Model):
    """What a summarizer fills in; the schema given to structured outputs."""

    key_subjects_and_themes: str = Field(description="A paragraph on the subjects and themes.")
    main_topic: str = Field(description="The episode's main topic in a few sentences.")
    use_cases: list[NamedItem] = Field(description="Concrete use cases discussed.")
    new_tools_and_workflows: list[NamedItem] = Field(description="New tools and AI workflows mentioned.")
    ai_news: list[str] = Field(description="News items mentioned.")
    conclusion: str
    key_takeaways: list[TimedText] = Field(description="3-6 takeaways, each with where it is said.")
    notable_quotes: list[TimedText] = Field(description="Verbatim quotes from the transcript.")
    chapters: list[Chapter]
    entities: Entities


class Summary(SummaryContent):
    """A summarizer's content plus where it came from."""

    episode_id: str
    language: str
    backend: str = Field(description="'offline:extractive' or 'openai:<model>'.")
    prompt_version: str | None = None
    dropped_quotes: int = Field(0, description="Quotes removed because the transcript does not hold them.")
    parts: int = Field(1, description="Transcript parts summarized and combined (map-reduce); all count.")
    coverage_repairs: int = Field(
        0, description="Parts the combined summary left out, restored from their own part summary."
    )


class Highlight(Model):
    text: str
    link: str = Field(description="Where in the source this is said.")


class NewsletterItem(Model):
    episode_id: str
    title: str
    blurb: str
    link: str = Field(description="Timestamped link into the source.")
    page: str = Field(
        "", description="The item's page (episode page, watch URL, article): the headline's link."
    )
    timed: bool = Field(True, description="Whether its highlights link to a second (not for articles).")
    source_name: str = ""
    highlights: list[Highlight] = Field(default_factory=list)
    subjects: str = Field(
        "", description="One localized line naming the episode's key subjects (offline stories only)."
    )


class Newsletter(Model):
    id: str
    title: str
    date: str
    intro: str
    items: list[NewsletterItem]
    outro: str = ""
    language: str = "en"
    backend: str = Field(description="'editor:<model>' or 'deterministic'.")


class EpisodeOutcome(Model):
    """One line of the run report."""

    episode_id: str
    title: str
    source_name: str
    status: EpisodeStatus
    stage: str | None = Field(None, description="Where it failed.")
    reason: str | None = None
    transcript_backend: str | None = None
    summary_backend: str | None = None
    cost_usd: float = 0.0
    seconds: float = 0.0
    corrections: dict[str, int] = Field(
        default_factory=dict, description="Glossary fixes in the transcript: right spelling -> count."
    )
    fallbacks: list[str] = Field(
        default_factory=list, description="Routes passed over on the way to a transcript, each with why."
    )
    language: str | None = Field(None, description="Spoken language, as configured, listed or detected.")


class EpisodeResult(Model):
    """What processing one episode gave the digest: its report line and, if it got that far, its summary."""

    episode: Episode
    outcome: EpisodeOutcome
    summary: Summary | None = None


class SourceOutcome(Model):
    source_id: str
    name: str
    status: Literal["ok", "failed"]
    found: int = 0
    reason: str | None = None


class ToolCallRecord(Model):
    """One tool call of the editor agent, as logged."""

    step: int
    tool: str
    arguments: dict[str, object] = Field(default_factory=dict)
    ok: bool = True
    error: str | None = None
    result_chars: int = 0
    seconds: float = 0.0


PublishStatus = Literal["sent", "already-sent", "failed", "unknown", "would-send", "not-sent"]


class PublishOutcome(Model):
    """One target of one newsletter in the run report: what went out, what failed and why."""

    newsletter_id: str
    target: str
    type: str
    status: PublishStatus
    sent: int = Field(0, description="Messages/notes delivered by this run.")
    already_sent: int = Field(0, description="Delivered by an earlier run; not sent again.")
    failed: int = 0
    message_id: str | None = Field(None, description="The target's id for what was sent.")
    detail: str = Field("", description="What went (or would go) where.")
    reason: str | None = None


class RunReport(Model):
    run_id: str
    started: datetime
    finished: datetime | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    sources: list[SourceOutcome] = Field(default_factory=list)
    episodes: list[EpisodeOutcome] = Field(default_factory=list)
    backends: dict[str, str] = Field(default_factory=dict)
    newsletter_path: str | None = None
    editor: str | None = None
    notes: list[str] = Field(default_factory=list)
    dry_run: bool = False
    editor_trace: list[ToolCallRecord] = Field(default_factory=list, description="The agent's tool calls.")
    grounding: dict[str, int] = Field(
        default_factory=dict, description="Quotes dropped, newsletter items repaired/dropped/added."
    )
    editor_cost_usd: float = 0.0
    review: str | None = Field(None, description="approved / rejected / timed out, with the reviewer's note.")
    publications: list[PublishOutcome] = Field(default_factory=list)

    @property
    def total_cost(self) -> float:
        return round(sum(e.cost_usd for e in self.episodes) + self.editor_cost_usd, 6)

    def counts(self) -> dict[str, int]:
        """Episodes done, failed and skipped."""
        return {s: sum(1 for e in self.episodes if e.status == s) for s in ("done", "failed", "skipped")}

    def skipped(self, episode: Episode, reason: str) -> None:
        """Note an episode this run left out, and why."""
        self.episodes.append(
            EpisodeOutcome(
                episode_id=episode.id,
                title=episode.title,
                source_name=episode.source_name,
                status="skipped",
                reason=reason,
            )
        )

    def failure_reasons(self) -> str:
        """What failed, for the error a failed run raises: the episodes' reasons, else the sources'."""
        return "; ".join(e.reason or "" for e in self.episodes if e.status == "failed") or "; ".join(
            s.reason or "" for s in self.sources if s.status == "failed"
        )


def utcnow() -> datetime:
    return datetime.now(UTC)


def clock(seconds: float | None) -> str:
    """83 -> '01:23', 3723 -> '1:02:03'."""
    s = int(seconds or 0)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"
