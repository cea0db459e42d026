"""Correct names that speech-to-text and captions get wrong, deterministically, and count each fix.

A glossary maps the right spelling to the wrong ones heard before:
    Anthropic = ["Antropic", "en tropic"]
A wrong spelling written with capitals is matched exactly as written ("Clot" fixes "Clot", not
"clot"); one written in lowercase matches any case. Matches respect word boundaries, and several
words may be separated by any whitespace.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from newsroom.models import Segment


@dataclass(frozen=True)
class Glossary:
    terms: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def from_mapping(cls, mapping: dict[str, list[str]]) -> Glossary:
        return cls(tuple((canon, tuple(wrongs)) for canon, wrongs in sorted(mapping.items())))

    @property
    def names(self) -> list[str]:
        return [canon for canon, _ in self.terms]

    @cached_property
    def _patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        patterns = []
        # Longest wrong spellings first, so "clot sonnet" wins over "clot".
        pairs = [(canon, wrong) for canon, wrongs in self.terms for wrong in wrongs if wrong.strip()]
        for canon, wrong in sorted(pairs, key=lambda p: -len(p[1])):
            body = r"\s+".join(re.escape(part) for part in wrong.split())
            flags = 0 if wrong != wrong.lower() else re.IGNORECASE
            patterns.append((canon, re.compile(rf"(?<!\w){body}(?!\w)", flags)))
        return patterns

    def correct(self, text: str) -> tuple[str, Counter[str]]:
        """The corrected text and how many times each canonical name was restored."""
        counts: Counter[str] = Counter()
        for canon, pattern in self._patterns:
            text, n = pattern.subn(canon, text)
            if n:
                counts[canon] += n
        return text, counts

    def correct_segments(self, segments: list[Segment]) -> tuple[list[Segment], dict[str, int]]:
        total: Counter[str] = Counter()
        fixed = []
        for seg in segments:
            text, counts = self.correct(seg.text)
            total.update(counts)
            fixed.append(seg.model_copy(update={"text": text}) if counts else seg)
        return fixed, dict(total)

    def prompt_hint(self) -> str:
        """The right spellings, as a comma-separated hint for speech-to-text prompts."""
        return ", ".join(self.names)
