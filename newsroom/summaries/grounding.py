"""Hold model output to the transcript: quotes must be in it, and timestamps must point at them."""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

import nh3

from newsroom.models import Chapter, Entities, NamedItem, Segment, Summary, TimedText
from newsroom.summaries.spoken import clean


def normalize(text: str) -> str:
    """Lowercase, no punctuation, single spaces, no caption tags or hesitations ("eh", "um") and no
    word said twice in a row: what two renderings of the same words share."""
    text = clean(unicodedata.normalize("NFKC", text)).lower()
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class TranscriptIndex:
    """The normalized transcript as one string, with the time at which each character was said."""

    text: str
    offsets: list[int]  # char offset where each segment starts in `text`
    starts: list[float]
    end: float = 0.0  # when the last segment ends
    speakers: tuple[str | None, ...] = ()  # who speaks each segment, when the transcript says

    @classmethod
    def build(cls, segments: list[Segment]) -> TranscriptIndex:
        parts, offsets, starts, speakers, at = [], [], [], [], 0
        for seg in segments:
            norm = normalize(seg.text)
            if not norm:
                continue
            offsets.append(at)
            starts.append(seg.start)
            speakers.append(seg.speaker)
            parts.append(norm)
            at += len(norm) + 1
        end = max((s.end for s in segments), default=0.0)
        return cls(" ".join(parts), offsets, starts, end, tuple(speakers))

    def _line(self, quote: str) -> int | None:
        needle = normalize(quote)
        if len(needle) < 8:
            return None
        pos = self.text.find(needle)
        if pos < 0:
            return None
        return max(0, bisect_right(self.offsets, pos) - 1)

    def find(self, quote: str) -> float | None:
        """When the quote starts, or None if the transcript does not contain it."""
        line = self._line(quote)
        return None if line is None else self.starts[line]

    def speaker_of(self, quote: str) -> str | None:
        """Who says the quote (the speaker of the line it starts in), when the transcript says."""
        line = self._line(quote)
        return None if line is None or line >= len(self.speakers) else self.speakers[line]

    def line_start(self, seconds: float) -> float | None:
        """The start of the line being spoken at `seconds`, or None when that is past the end."""
        if not self.starts or seconds > self.end + 1:
            return None
        return self.starts[max(0, bisect_right(self.starts, seconds) - 1)]


def ground_quotes(quotes: list[TimedText], index: TranscriptIndex) -> tuple[list[TimedText], int]:
    """Keep quotes found verbatim, stamped with where they are said; count the ones dropped."""
    kept, dropped = [], 0
    for quote in quotes:
        at = index.find(quote.text)
        if at is None:
            dropped += 1
            continue
        kept.append(TimedText(text=quote.text, timestamp=at, speaker=index.speaker_of(quote.text)))
    return kept, dropped


def snap_timed(items: list[TimedText], index: TranscriptIndex) -> list[TimedText]:
    """Point each item at the start of the line it falls in; drop items timed past the end."""
    out = []
    for item in items:
        at = index.line_start(item.timestamp)
        if at is not None:
            out.append(item.model_copy(update={"timestamp": at}))
    return out


# Double quotation marks only: single ones double as apostrophes.
_QUOTED = re.compile(r"[\"“„«]([^\"“”„«»]+)[\"”»]")


def quoted_passages(text: str, min_words: int = 4) -> list[str]:
    """What a text presents as quotation (between double quotation marks), if it is long enough to
    be a claim about what someone said."""
    return [q.strip() for q in _QUOTED.findall(text) if len(q.split()) >= min_words]


def invented_quotes(text: str, index: TranscriptIndex | None) -> list[str]:
    """The quoted passages of `text` that the transcript does not hold."""
    if index is None:
        return quoted_passages(text)
    return [q for q in quoted_passages(text) if index.find(q) is None]


# Mail clients turn written URLs and addresses into links; in model-written text they are not ours.
_LINKISH = re.compile(
    r"(?:\b(?:https?|ftp|mailto|javascript|data):[^\s)\]>\"']+|\bwww\.[^\s)\]>\"']+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)",
    re.IGNORECASE,
)


def defang(text: str) -> tuple[str, bool]:
    """Model-written text made plain: no markup (scripts go with their content), no URLs, no e-mail
    addresses; every link in an issue comes from its sources. Returns (text, whether it changed)."""
    plain = html.unescape(nh3.clean(text, tags=set(), attributes={})) if "<" in text else text
    cleaned = _LINKISH.sub("", plain)
    if cleaned == text:
        return text, False
    cleaned = re.sub(r"\(\s*\)|\[\s*\]|<\s*>", "", cleaned)
    return re.sub(r"[ \t]{2,}", " ", cleaned).strip(), True


def plain_summary(summary: Summary) -> Summary:
    """The summary with every text a model may have written made plain by `defang`: the one rule for
    every output that shows model text (the newsletter, the summary notes, the Obsidian vault)."""

    def plain(text: str) -> str:
        return defang(text)[0]

    def named(items: list[NamedItem]) -> list[NamedItem]:
        return [NamedItem(name=plain(i.name), description=plain(i.description)) for i in items]

    def timed(items: list[TimedText]) -> list[TimedText]:
        return [t.model_copy(update={"text": plain(t.text)}) for t in items]

    def listed(names: list[str]) -> list[str]:
        return [p for n in names if (p := plain(n))]

    e = summary.entities
    return summary.model_copy(
        update={
            "key_subjects_and_themes": plain(summary.key_subjects_and_themes),
            "main_topic": plain(summary.main_topic),
            "use_cases": named(summary.use_cases),
            "new_tools_and_workflows": named(summary.new_tools_and_workflows),
            "ai_news": listed(summary.ai_news),
            "conclusion": plain(summary.conclusion),
            "key_takeaways": timed(summary.key_takeaways),
            "notable_quotes": timed(summary.notable_quotes),
            "chapters": [Chapter(start=c.start, title=plain(c.title)) for c in summary.chapters],
            "entities": Entities(
                people=listed(e.people),
                companies=listed(e.companies),
                products=listed(e.products),
                mentioned=listed(e.mentioned),
            ),
        }
    )
