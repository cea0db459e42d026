"""Hold model output to the transcript: quotes must be in it, and timestamps must point at them."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

from newsroom.models import Segment, TimedText


def normalize(text: str) -> str:
    """Lowercase, no punctuation, single spaces: what two renderings of the same words share."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class TranscriptIndex:
    """The normalized transcript as one string, with the time at which each character was said."""

    text: str
    offsets: list[int]  # char offset where each segment starts in `text`
    starts: list[float]

    @classmethod
    def build(cls, segments: list[Segment]) -> TranscriptIndex:
        parts, offsets, starts, at = [], [], [], 0
        for seg in segments:
            norm = normalize(seg.text)
            if not norm:
                continue
            offsets.append(at)
            starts.append(seg.start)
            parts.append(norm)
            at += len(norm) + 1
        return cls(" ".join(parts), offsets, starts)

    def find(self, quote: str) -> float | None:
        """When the quote starts, or None if the transcript does not contain it."""
        needle = normalize(quote)
        if len(needle) < 8:
            return None
        pos = self.text.find(needle)
        if pos < 0:
            return None
        return self.starts[max(0, bisect_right(self.offsets, pos) - 1)]


def ground_quotes(quotes: list[TimedText], index: TranscriptIndex) -> tuple[list[TimedText], int]:
    """Keep quotes found verbatim, stamped with where they are said; count the ones dropped."""
    kept, dropped = [], 0
    for quote in quotes:
        at = index.find(quote.text)
        if at is None:
            dropped += 1
            continue
        kept.append(TimedText(text=quote.text, timestamp=at))
    return kept, dropped
