"""The transcript's sentences, and which of them may be quoted alone.

A quote must stand alone: a complete statement (6-45 words, ended), spoken openers and a false
start dropped, any quotation closed; not a question, not said to the audience (greetings, thanks,
sign-offs, plugs, the show naming itself), not in a sponsor's read, not trailing off, and not almost
all function words (lexical density: a scripted news line is dense, small talk is not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsroom.models import Segment
from newsroom.summaries.keyphrases import TOKEN
from newsroom.summaries.lexicon import Lexicon, lexicon
from newsroom.summaries.spoken import standalone

CONCLUSION_CUES = re.compile(
    r"\b(conclu\w*|in short|to sum up|summing up|samengevat|kortom|tot slot|concluderend)\b", re.I
)
MIN_WORDS, MAX_WORDS = 6, 45
MIN_DENSITY = 0.2  # content words per word below which a sentence says next to nothing


def sums_up(text: str) -> bool:
    """Whether a sentence opens by summing up ("Samengevat ...", "In short, ...", "So, to conclude
    ..."): the cue leads, as in Edmundson's cue method; "... deel ik die conclusie" sums up nothing."""
    return bool(CONCLUSION_CUES.search(" ".join(text.split()[:4])))


@dataclass(frozen=True)
class Sentence:
    text: str
    start: float
    index: int


def split_sentences(segments: list[Segment], lex: Lexicon | None = None) -> list[Sentence]:
    """Sentences across segment boundaries, each stamped with when its first word was said
    (interpolated by character position inside a long segment); not ended by an abbreviation
    ("the U.S. Space and Rocket Center", "Dr. Kay Taylor", "bijv. de zorg"), but always ended where
    another speaker takes over: captions that lost a full stop there run two voices into one."""
    sentences: list[Sentence] = []
    buffer, started_at = "", None
    speaker = None
    for seg in segments:
        if buffer and seg.speaker and speaker and seg.speaker != speaker:
            sentences.append(Sentence(buffer, round(started_at or 0.0, 2), len(sentences)))
            buffer, started_at = "", None
        speaker = seg.speaker or speaker
        text = seg.text.strip()
        span = max(0.0, seg.end - seg.start)
        offset = 0
        for piece in re.split(r"(?<=[.!?])\s+|(?<=[.!?][\"”»’])\s+", text):
            if not piece:
                continue
            at = text.find(piece, offset)
            offset = at + len(piece) if at >= 0 else offset
            if started_at is None:
                started_at = seg.start + (span * max(at, 0) / len(text) if text else 0.0)
            buffer = f"{buffer} {piece}".strip()
            if piece.rstrip('"”»’').endswith((".", "!", "?")) and not (lex and lex.abbreviated(piece)):
                sentences.append(Sentence(buffer, round(started_at, 2), len(sentences)))
                buffer, started_at = "", None
    if buffer:
        sentences.append(Sentence(buffer, round(started_at or 0.0, 2), len(sentences)))
    return sentences


def density(text: str, lex: Lexicon) -> float:
    """Lexical density: the share of a text's words that are content words, not function words or
    fillers (Ure's measure; written prose is denser than talk)."""
    tokens = TOKEN.findall(text)
    return sum(1 for w in tokens if not lex.is_stop(w)) / len(tokens) if tokens else 0.0


AD_SECONDS = 60.0  # how long a sponsor's read runs, at most, after its cue


def advertised(sentences: list[Sentence], lex: Lexicon) -> set[int]:
    """The sentences of a sponsor's read: those said within AD_SECONDS of a sentence that announces
    one ("It's now time for sponsored news!", "brought to you by", "onze sponsor": `ad_cues` in the
    lexicon files). A read praises its product; it is never quoted as what the episode said."""
    out: set[int] = set()
    until = -1.0
    for s in sentences:
        if lex.announces_ad(s.text):
            until = s.start + AD_SECONDS
        if s.start <= until:
            out.add(s.index)
    return out


def quotable(sentences: list[Sentence], language: str | None, show: str = "") -> list[Sentence]:
    """Sentences that stand alone: complete statements of 6-45 words, spoken openers dropped, any
    quotation inside them closed; no question, nothing said to the audience (greetings, thanks,
    sign-offs, plugs, the show naming itself: "I'm Jerod and this is Changelog News"), nothing in a
    sponsor's read, and none that is almost all function words."""
    lex = lexicon(language)
    out = []
    ads = advertised(sentences, lex)
    name = show.strip()
    named = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.I) if len(name) > 3 else None
    for s in sentences:
        if s.index in ads or (named and named.search(s.text)):
            continue
        text = standalone(s.text, language)
        if text is None:
            continue
        ended = text.rstrip('"”’»)')  # '... treating them like software."' is ended
        if not ended.endswith((".", "!")) or not MIN_WORDS <= len(text.split()) <= MAX_WORDS:
            continue
        if ended.endswith(("...", "…")):
            continue  # it trails off: "Another way of dealing with these ... remove them..."
        if text.count('"') % 2 or text.count("“") != text.count("”"):
            continue  # a quotation it opens runs on into the next sentence (or began before it)
        if lex.asks(text) or lex.courtesy(text):
            continue  # a question, its question mark lost in the captions; "Welkom bij ..."
        if density(text, lex) < MIN_DENSITY:
            continue  # "Kay, tell me a little bit about yourself.": almost no content words
        out.append(Sentence(text, s.start, s.index))
    return out
