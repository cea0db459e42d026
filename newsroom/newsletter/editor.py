"""The newsletter draft: the editor agent's choice of stories, grounded, or else the deterministic
draft (one story per episode, in date order, from the summaries alone), which goes out whenever no
model is configured or the agent fails or runs out of budget, and the report says so.

Grounding holds the agent's draft to the sources: a story must be one of the week's episodes and
point at a second inside it; quoted words must be in its transcript; links are built here from the
episode and the second, never taken from the model. What fails is repaired or dropped, and counted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from newsroom.config import Settings
from newsroom.locales import language_name, locale
from newsroom.models import (
    Episode,
    Highlight,
    Newsletter,
    NewsletterItem,
    RunReport,
    Summary,
    ToolCallRecord,
    Transcript,
)
from newsroom.newsletter.agent import (
    AgentFailedError,
    AgentRun,
    DraftStory,
    EditorDraft,
    EditorTools,
    run_editor,
)
from newsroom.openai_api import Meter, make_client, resolve_llm_backend
from newsroom.prompts import load_prompt
from newsroom.store import Store
from newsroom.summaries.extractive import content_bag, near
from newsroom.summaries.grounding import TranscriptIndex, defang, invented_quotes
from newsroom.summaries.keyphrases import folded
from newsroom.summaries.lexicon import lexicon
from newsroom.summaries.spoken import standalone
from newsroom.summaries.titles import coverage_gain, covered, stems, title_parts


def phrases(language: str, user_dir: Path | None = None) -> Mapping[str, str]:
    """The newsletter's own sentences in `language`, from the locale files."""
    return locale(language, user_dir).phrases


def newsletter_id(day: date, episode_ids: list[str]) -> str:
    digest = hashlib.sha256("|".join(sorted(episode_ids)).encode()).hexdigest()[:8]
    return f"{day.isoformat()}-{digest}"


def first_sentences(text: str, n: int = 2, max_chars: int = 420) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    out = " ".join(sentences[:n])
    return out if len(out) <= max_chars else out[: max_chars - 1].rsplit(" ", 1)[0] + "…"


MIN_WORDS = 6  # a shorter line is a fragment, not a highlight


def complete_sentences(text: str, language: str) -> list[str]:
    """The sentences of a text that stand alone: ended, long enough, not opening with a filler,
    without links, handles, hashtags or chapter times (what feed descriptions carry besides prose)."""
    out = []
    for sentence in re.split(r"(?<=[.!?])\s+", defang(text)[0].strip()):
        if re.search(r"https?:|www\.|@\w|#\w|\b\d{1,2}:\d{2}\b", sentence):
            continue
        alone = standalone(sentence, language)
        if alone and alone.endswith((".", "!", "?")) and len(alone.split()) >= MIN_WORDS:
            out.append(alone)
    return out


def story_blurb(episode: Episode, summary: Summary) -> str:
    """1-2 complete sentences on what the episode is about: the description's (the host's own words)
    that cover most of the title, else the summary's main topic."""
    language = episode.language or summary.language
    described = complete_sentences(episode.description, language)
    if described:
        lex = lexicon(language)
        title = content_bag(episode.title, lex)
        best = sorted(described[:8], key=lambda s: -len(content_bag(s, lex) & title))[:2]
        return first_sentences(" ".join(s for s in described if s in best))
    return first_sentences(summary.main_topic)


MAX_SUBJECTS = 5


def highlight_count(seconds: float) -> int:
    """Three highlights for an episode under 20 minutes, one more per further 20, five at most."""
    return min(5, 3 + int(max(seconds, 0.0) // 1200))


def listed_subjects(summary: Summary, language: str) -> list[str]:
    """The key subjects of a summary written as the locale's list ("Key subjects: a, b, c."), as
    the offline summarizer writes them; [] for prose (a model's own sentences)."""
    head, _, tail = phrases(language)["key_subjects"].partition("{subjects}")
    text = summary.key_subjects_and_themes.strip()
    if not (head and text.startswith(head) and text.endswith(tail)):
        return []
    return [p.strip() for p in text[len(head) : len(text) - len(tail)].split(",")]


def episode_subjects(summary: Summary, language: str) -> list[str]:
    """What the episode is about, as named subjects: its listed key subjects, then its chapter
    titles' phrases."""
    chaptered = [p for c in summary.chapters for p in c.title.split(", ")]
    return [p.strip().rstrip(".") for p in [*listed_subjects(summary, language), *chaptered]]


def story_subjects(subjects: list[str], told: str) -> list[str]:
    """The episode's subjects (`episode_subjects`) the story has not said yet: short, distinct, at
    most five, so a reader sees what else the episode covers."""
    out: list[str] = []
    # By word keys: "a deepfake" says "deepfakes", "TikTok-feed" says "feed", "started" not "art".
    said = f" {folded(told)} {folded(told.replace('-', ' '))} "
    for name in subjects:
        key = folded(name)
        if not key or len(name.split()) > 4 or f" {key} " in said or any(key == folded(o) for o in out):
            continue
        out.append(defang(name)[0])
        if len(out) == MAX_SUBJECTS:
            break
    return out


def deterministic_item(
    episode: Episode,
    summary: Summary,
    seen: list[set[str]] | None = None,
    transcript: Transcript | None = None,
) -> NewsletterItem:
    """One story from a summary alone: what it is about (description or main topic), three to five
    highlights that repeat neither the blurb, nor each other, nor anything in `seen` (the issue so
    far, which this adds to); linked at its first takeaway. With the `transcript`, the title's words
    weigh by how few of its sentences say them (`title_parts`)."""
    language = episode.language or summary.language
    lex = lexicon(language)
    seen = [] if seen is None else seen
    blurb = defang(story_blurb(episode, summary))[0]
    seen.extend(content_bag(s, lex) for s in re.split(r"(?<=[.!?])\s+", blurb))
    pool = []
    for t in [*summary.key_takeaways, *summary.notable_quotes]:
        text = defang(t.text)[0]
        if standalone(text, language) == text and len(text.split()) >= MIN_WORDS:
            pool.append((t.timestamp, text, content_bag(text, lex)))
    # Greedy: each highlight the one that covers most of the title's parts the story has not
    # covered yet ("Sora 2 + Claude Sonnet 4.5 + AI-artiesten": one each, not three on Sora).
    texts = re.split(r"(?<=[.!?])\s+", transcript.text) if transcript and transcript.segments else None
    parts = title_parts(episode.title, lex, texts=texts)
    said = {text: stems(text, lex) for _, text, _ in pool}
    told = covered(parts, [stems(s, lex) for s in re.split(r"(?<=[.!?])\s+", blurb)])
    # Then one in which the speaker says what the subjects are ("X and Y are the main themes"),
    # then the one that names most of the episode's subjects (key subjects, chapter titles) the
    # story has not named yet, and then the one that says least of what was said: the host's words
    # first, the speaker's own summary next, statistics last.
    subjects = episode_subjects(summary, language)
    subject_bags = [bag for p in subjects if (bag := content_bag(p, lex))]
    picked: list[tuple[float, str, set[str]]] = []
    while len(picked) < highlight_count(episode.duration or 0.0):
        fresh = [c for c in pool if c not in picked and not any(near(c[2], b) for b in seen)]
        if not fresh:
            break
        heard: set[str] = set().union(*seen)
        best = max(
            fresh,
            key=lambda c: (
                round(coverage_gain(parts, told, said[c[1]]), 6),
                lex.names_topics(c[1]),
                sum(1 for n in subject_bags if n <= c[2] and not n <= heard),
                -len(c[2] & heard) / max(1, len(c[2])),
            ),
        )
        picked.append(best)
        seen.append(best[2])
        told = [max(h, c) for h, c in zip(told, covered(parts, [said[best[1]]]), strict=True)]
    highlights = [Highlight(text=text, link=episode.link_at(at)) for at, text, _ in sorted(picked)]
    first = summary.key_takeaways[0].timestamp if summary.key_takeaways else 0.0
    named = story_subjects(subjects, " ".join([blurb, *(h.text for h in highlights)]))
    return NewsletterItem(
        subjects=phrases(language)["key_subjects"].format(subjects=", ".join(named)) if named else "",
        episode_id=episode.id,
        title=episode.title,
        blurb=blurb,
        link=episode.link_at(first),
        page=episode.url,
        timed=episode.has_timeline,
        source_name=episode.source_name,
        highlights=highlights,
    )


def by_date(stories: list[tuple[Episode, Summary]]) -> list[tuple[Episode, Summary]]:
    return sorted(
        stories, key=lambda pair: pair[0].published.timestamp() if pair[0].published else 0, reverse=True
    )


def deterministic_intro(
    language: str, stories: list[tuple[Episode, Summary]], user_dir: Path | None = None
) -> str:
    p = phrases(language, user_dir)
    n = len(stories)
    if not n:
        return p["empty"]
    sources = ", ".join(sorted({e.source_name for e, _ in stories}))
    return p["intro"].format(n=n, items=p["item"] if n == 1 else p["items"], sources=sources)


def deterministic_draft(
    title: str,
    language: str,
    day: date,
    stories: list[tuple[Episode, Summary]],
    user_dir: Path | None = None,
    transcripts: Mapping[str, Transcript] | None = None,
) -> Newsletter:
    """A newsletter built only from the summaries (and their transcripts, when given, to weigh the
    titles' words): no model, same every time."""
    transcripts = transcripts or {}
    stories = by_date(stories)
    seen: list[set[str]] = []  # what the issue has said so far: nothing is said twice
    return Newsletter(
        id=newsletter_id(day, [e.id for e, _ in stories]),
        title=f"{title} — {day.isoformat()}",
        date=day.isoformat(),
        intro=deterministic_intro(language, stories, user_dir),
        items=[deterministic_item(e, s, seen, transcripts.get(e.id)) for e, s in stories],
        outro=phrases(language, user_dir)["outro"],
        language=language,
        backend="deterministic",
    )


# The agent's draft, grounded ---------------------------------------------------------------------------


def build_newsletter(
    draft: EditorDraft,
    stories: list[tuple[Episode, Summary]],
    transcripts: dict[str, Transcript],
    title: str,
    language: str,
    day: date,
    max_stories: int,
    backend: str,
    user_dir: Path | None = None,
) -> tuple[Newsletter, dict[str, int]]:
    """The Newsletter from the agent's draft: stories held to their sources, links built here."""
    counts = {"items_repaired": 0, "items_dropped": 0, "items_added": 0, "highlights_dropped": 0}
    by_id = {e.id: (e, s) for e, s in stories}
    indexes = {eid: TranscriptIndex.build(t.segments) for eid, t in transcripts.items()}
    items: list[NewsletterItem] = []
    for story in draft.stories:
        pair = by_id.get(story.episode_id)
        if pair is None or any(i.episode_id == story.episode_id for i in items) or len(items) >= max_stories:
            counts["items_dropped"] += 1
            continue
        item, repaired, dropped = ground_story(story, *pair, indexes.get(story.episode_id))
        counts["items_repaired"] += int(repaired)
        counts["highlights_dropped"] += dropped
        items.append(item)
    # An episode the agent left out while there was room goes in from its summary: no story of the
    # week disappears because a model (or a transcript talking to it) decided so.
    for episode, summary in by_date(stories):
        if len(items) < max_stories and not any(i.episode_id == episode.id for i in items):
            items.append(deterministic_item(episode, summary, transcript=transcripts.get(episode.id)))
            counts["items_added"] += 1
    intro, unlinked = defang(draft.intro.strip())
    if unlinked or not intro or _invented_anywhere(intro, indexes):
        intro = deterministic_intro(language, stories, user_dir)
        counts["items_repaired"] += 1
    outro, unlinked = defang(draft.outro.strip())
    if unlinked or _invented_anywhere(outro, indexes):
        outro = phrases(language, user_dir)["outro"]
        counts["items_repaired"] += 1
    newsletter = Newsletter(
        id=newsletter_id(day, [i.episode_id for i in items]),
        title=f"{title} — {day.isoformat()}",
        date=day.isoformat(),
        intro=intro,
        items=items,
        outro=outro or phrases(language, user_dir)["outro"],
        language=language,
        backend=backend,
    )
    return newsletter, counts


def ground_story(
    story: DraftStory, episode: Episode, summary: Summary, index: TranscriptIndex | None
) -> tuple[NewsletterItem, bool, int]:
    """(item, whether something was repaired, highlights dropped) for one story of the draft."""
    fallback_at = summary.key_takeaways[0].timestamp if summary.key_takeaways else 0.0
    at = index.line_start(story.timestamp) if index is not None else max(0.0, story.timestamp)
    repaired = at is None  # a second past the end of the episode
    if at is None:
        at = fallback_at
    blurb, unlinked = defang(story.blurb.strip())
    repaired |= unlinked
    if not blurb or invented_quotes(blurb, index):
        blurb, repaired = first_sentences(summary.main_topic), True
    headline, unlinked = defang(story.headline.strip())
    repaired |= unlinked
    if not headline or invented_quotes(headline, index):
        headline, repaired = episode.title, True
    highlights, dropped = [], 0
    for h in story.highlights[:3]:
        text, unlinked = defang(h.text.strip())
        found = index.find(text) if index is not None else None
        when = found if found is not None else (index.line_start(h.timestamp) if index else h.timestamp)
        if when is None or not text or unlinked or invented_quotes(text, index):
            dropped += 1
            continue
        highlights.append(Highlight(text=text, link=episode.link_at(when)))
    item = NewsletterItem(
        episode_id=episode.id,
        title=headline,
        blurb=blurb,
        link=episode.link_at(at),
        page=episode.url,
        timed=episode.has_timeline,
        source_name=episode.source_name,
        highlights=highlights,
    )
    return item, repaired, dropped


def _invented_anywhere(text: str, indexes: dict[str, TranscriptIndex]) -> bool:
    """Quoted words that no transcript of the week holds."""
    return any(all(index.find(q) is None for index in indexes.values()) for q in invented_quotes(text, None))


# Choosing the editor and falling back ------------------------------------------------------------------


@dataclass
class Draft:
    """The issue and how it was made: by which editor, why not by the agent, at what cost."""

    newsletter: Newsletter
    editor: str
    fallback_reason: str | None = None
    trace: list[ToolCallRecord] = field(default_factory=list)
    grounding: dict[str, int] = field(default_factory=dict)
    cost_usd: float = 0.0
    steps: int = 0
    tokens: int = 0
    agent_failed: bool = False  # the agent ran and did not deliver (not: it was never meant to run)

    def describe(self) -> str:
        if self.fallback_reason and self.agent_failed:
            return f"deterministic (fallback: {self.fallback_reason})"
        if self.fallback_reason:
            return f"deterministic ({self.fallback_reason})"
        return self.editor


def draft_issue(
    settings: Settings,
    stories: list[tuple[Episode, Summary]],
    transcripts: dict[str, Transcript],
    day: date,
    meter: Meter | None = None,
    on_tool_call: Callable[[ToolCallRecord], None] | None = None,
) -> Draft:
    """The agent's issue when a model is configured and it succeeds; the deterministic one otherwise."""
    language = settings.language
    base = {
        "quotes_dropped": sum(s.dropped_quotes for _, s in stories),
        "coverage_repairs": sum(s.coverage_repairs for _, s in stories),
    }
    reason = agent_unavailable(settings) if stories else "nothing to edit"
    agent_expected = reason is None
    run = AgentRun()
    if agent_expected:
        model = settings.llm.editor_model or settings.llm.model
        try:
            prompt = load_prompt("newsletter", settings.llm.editor_prompt)
            run_editor(
                settings,
                make_client(settings.llm),
                prompt,
                EditorTools(stories, transcripts, Store(settings.library_dir)),
                {
                    "title": settings.title,
                    "language": language_name(language),
                    "day": day.isoformat(),
                    "episodes": len(stories),
                    "max_stories": settings.editor.max_stories,
                },
                meter,
                on_tool_call,
                run,
            )
            assert run.draft is not None
            newsletter, counts = build_newsletter(
                run.draft,
                stories,
                transcripts,
                settings.title,
                language,
                day,
                settings.editor.max_stories,
                f"editor:{model}",
                settings.templates_dir,
            )
            return Draft(
                newsletter,
                f"editor:{model}",
                None,
                run.trace,
                {**base, **counts},
                round(run.cost_usd, 6),
                run.steps,
                run.tokens,
            )
        except AgentFailedError as exc:
            reason = (
                f"the editor agent {exc}"
                if str(exc).startswith("ran out")
                else f"the editor agent failed: {exc}"
            )
        except Exception as exc:  # a bug or an unexpected answer must not cost the week's issue
            reason = f"the editor agent failed: {type(exc).__name__}: {str(exc)[:200]}"
    newsletter = deterministic_draft(
        settings.title, language, day, stories, settings.templates_dir, transcripts
    )
    return Draft(
        newsletter,
        "deterministic",
        reason,
        run.trace,
        base,
        round(run.cost_usd, 6),
        run.steps,
        run.tokens,
        agent_failed=agent_expected,
    )


def agent_unavailable(settings: Settings) -> str | None:
    """Why the agent will not run, or None when it will."""
    mode = settings.editor.backend
    if mode == "deterministic":
        return "editor.backend is 'deterministic'"
    if resolve_llm_backend(settings) == "offline":
        if mode == "agent":
            return "editor.backend is 'agent' but no language model is configured (llm.backend resolves to offline)"
        return "no language model is configured"
    return None


def record_draft(report: RunReport, draft: Draft) -> None:
    """Put how the issue was drafted into the run report."""
    report.editor = draft.describe()
    report.editor_trace = list(draft.trace)
    report.grounding = dict(draft.grounding)
    report.editor_cost_usd = draft.cost_usd
    if draft.agent_failed:
        report.notes.append(f"Deterministic draft: {draft.fallback_reason}.")
    fixed = {k: v for k, v in draft.grounding.items() if v}
    if fixed:
        report.notes.append(
            "Grounding: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in fixed.items()) + "."
        )
