"""What a title says an episode is about: its parts, and how much of each one a sentence says.

Show titles list their subjects: "Sora 2: scrollen op een synthetisch TikTok + Claude Sonnet 4.5
bouwt zelfstandig Slack na + AI-artiesten", "Apple's new chip | the EU AI Act | listener mail".
Each part is a subject a story should cover, so the summary and the story pick sentences that cover
the parts one by one, not the title's words in bulk (which lets the first part, said most often,
crowd out the last). Words are compared by their stems ("artiesten" says "artiest", "synthetische"
says "synthetisch"), a hyphenated word also by its parts ("AI-artiesten": "AI", "artiesten"), and
each word weighs by how rare it is in the language, so "Slack" counts for more than "bouwt".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from newsroom.summaries.lexicon import Lexicon

# Between a title's parts: " + ", " | ", " / ", " - ", " – ", "•", ";" and a comma (lists of subjects).
SEPARATOR = re.compile(r"\s+[+|/•·–—-]\s+|\s*[+|;•]\s*|,\s+")
WORD = re.compile(r"\w(?:[\w'’.-]*\w)?")
MAX_PARTS = 5
MIN_STEP = 0.25
MIN_SHARE = 0.15  # a sentence saying less of a part than this does not cover it


@dataclass(frozen=True)
class TitlePart:
    """One subject of a title, as the stems of its content words and what each weighs."""

    text: str
    weights: dict[str, float]
    names: frozenset[str] = frozenset()  # stems of rare words, matched with one letter off too
    anchors: frozenset[str] | None = None  # words of which one must be said (None: any)

    def share(self, stems: set[str]) -> float:
        """The weighted share of this part's words that a text (as its `stems`) says; nothing
        unless it says one of the part's anchors (its words the episode does not say everywhere)."""
        said = {k for k in self.weights if self._said(k, stems)}
        if self.anchors is not None and not said & self.anchors:
            return 0.0
        total = sum(self.weights.values())
        return sum(self.weights[k] for k in said) / total if total else 0.0

    def _said(self, key: str, stems: set[str]) -> bool:
        # Captions misspell names by a letter ("Claud", "Sonet" for "Claude", "Sonnet").
        return key in stems or (key in self.names and any(one_edit(key, s) for s in stems))


def one_edit(a: str, b: str) -> bool:
    """Whether two words differ by one letter added, dropped or changed (same first letter)."""
    if a == b or abs(len(a) - len(b)) > 1 or a[:1] != b[:1]:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k in range(len(a)) if a[k] != b[k]), len(a))
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


def stems(text: str, lex: Lexicon) -> set[str]:
    """The stems of a text's words, hyphenated words also by their parts; numbers left out."""
    out: set[str] = set()
    for token in WORD.findall(text):
        for word in {token, *token.split("-")} if "-" in token else {token}:
            if word and not word.replace(".", "").replace(",", "").isdigit():
                out.add(lex.stem(word))
    return out


NAME_ZIPF = 4.0  # a word rarer than this in the language is a name or a term: matched loosely
NAME_LETTERS = 5


def title_parts(
    title: str, lex: Lexicon, exclude: frozenset[str] = frozenset(), texts: list[str] | None = None
) -> list[TitlePart]:
    """The subjects a title names, each with its content words weighted by rarity; a title that
    lists nothing is one part. Parts without a content word ("Ep. 12") are dropped, and so are the
    words in `exclude` (the speakers' names: a guest in the title is no subject to cover).

    With the episode's `texts` (its sentences), a word weighs by how few of them say it (its inverse
    sentence frequency): "AI" in an AI show says nothing about which part a sentence covers,
    "Slack" does, and a sentence must say one such word (a name, or a word said in at most ANCHOR of
    the sentences) to cover a part at all. A word no sentence says is left out: nothing could cover
    it."""
    bags = [stems(t, lex) for t in texts] if texts is not None else None
    parts = []
    for text in SEPARATOR.split(title.strip()):
        weights: dict[str, float] = {}
        names: set[str] = set()
        for token in WORD.findall(text):
            words = [w for w in token.split("-") if w] if "-" in token else [token]
            for word in words:
                if (
                    lex.is_stop(word)
                    or len(word) < 2
                    or word.replace(".", "").replace(",", "").isdigit()
                    or word.lower() in exclude
                ):
                    continue
                # As rare as the keyphrase scorer counts it: names and terms weigh more than verbs.
                zipf = lex.commonness(word)
                key = lex.stem(word)
                weights[key] = max(weights.get(key, 0.0), max(0.5, 6.5 - zipf))
                if zipf < NAME_ZIPF and len(key) >= NAME_LETTERS:
                    names.add(key)
        part = TitlePart(text.strip(), weights, frozenset(names))
        if bags is not None:
            part = _weighed(part, bags)
        if part.weights:
            parts.append(part)
    return parts[:MAX_PARTS]


ANCHOR = 0.05


def _weighed(part: TitlePart, bags: list[set[str]]) -> TitlePart:
    """The part with each word weighed by its inverse sentence frequency in the episode, its anchors
    marked; words the episode never says dropped."""
    weights, anchors = {}, set()
    for key in part.weights:
        df = sum(1 for bag in bags if part._said(key, bag))
        if df:
            weights[key] = 1.0 + math.log((len(bags) + 1) / (df + 1))
            if df <= max(2.0, ANCHOR * len(bags)) or key in part.names:
                anchors.add(key)
    return TitlePart(part.text, weights, part.names & weights.keys(), frozenset(anchors))


def coverage_gain(parts: list[TitlePart], said: list[float], text_stems: set[str]) -> float:
    """How much more of the title a text covers, beyond `said` (what is covered of each part so
    far): each part counts the same, and a share under MIN_SHARE, or a step under MIN_STEP over
    what is covered (one more word of a part already told), counts as nothing."""
    gain = 0.0
    for part, have in zip(parts, said, strict=True):
        share = part.share(text_stems)
        if share >= MIN_SHARE and share - have >= MIN_STEP:
            gain += share - have
    return gain / len(parts) if parts else 0.0


def covered(parts: list[TitlePart], texts_stems: list[set[str]]) -> list[float]:
    """What the texts cover of each part: the best share any one of them says (MIN_SHARE or more)."""
    out = []
    for part in parts:
        best = max((part.share(s) for s in texts_stems), default=0.0)
        out.append(best if best >= MIN_SHARE else 0.0)
    return out
