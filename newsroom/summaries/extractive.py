"""The offline summarizer: write only what can be written well without a language model.

Every line it writes is a sentence from the transcript, cleaned of spoken noise ([Muziek], "eh",
words said twice, a leading "So,"), with the time it was said: grounded by construction. It does
not translate; its output is in the episode's language, and says so. What it fills:
- key subjects: the episode's key phrases (`keyphrases`), the title's and description's weighing in;
- main topic, takeaways, quotes, conclusion: sentences that may be quoted alone (`sentences`)
  and carry those phrases (or cover the title's parts, `titles`, or say what the subjects are: "X
  and Y are the main themes"), each used once in the whole summary, none a near-copy of another,
  and beyond the new subjects none only repeating what was said (maximal marginal relevance);
- chapters: topic segmentation (`segmentation`), titled by key phrases;
- entities typed by their support (`entities`).
Use cases, tools with what they do and AI news are prose a language model writes: they stay empty
(a sentence that names a tool does not say what it does), and the note says who writes them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict

from newsroom.locales import locale
from newsroom.models import Chapter, Segment, SummaryContent, TimedText
from newsroom.summaries.entities import EntityType, find_entities
from newsroom.summaries.keyphrases import TOKEN, KeyPhrase, folded, key_phrases, word_key
from newsroom.summaries.lexicon import Lexicon, lexicon
from newsroom.summaries.segmentation import boundaries, chapter_titles
from newsroom.summaries.sentences import (
    Sentence,
    density,
    quotable,
    split_sentences,
    sums_up,
)
from newsroom.summaries.spoken import clean
from newsroom.summaries.titles import TitlePart, coverage_gain, covered, stems, title_parts


def words(text: str, language: str | None = None) -> list[str]:
    """The content words of a text, lowercase: no function words, fillers or numbers."""
    lex = lexicon(language)
    return [
        w
        for w in re.findall(r"[\w'-]+", text.lower())
        if len(w) > 2 and not lex.is_stop(w) and not w.isdigit()
    ]


def content_bag(text: str, lex: Lexicon) -> set[str]:
    """The content words of a text, folded: what two sentences saying the same thing share."""
    return {word_key(w) for w in TOKEN.findall(text) if not lex.is_stop(w)}


def near(bag: set[str], other: set[str]) -> bool:
    """True when most content words of the shorter text are in the other (a near-repeat)."""
    return bool(bag) and len(bag & other) / max(1, min(len(bag), len(other))) >= 0.6


class Picker:
    """Sentences chosen for a summary: each at most once, and none close to one chosen before."""

    def __init__(self, lex: Lexicon):
        self.lex = lex
        self.chosen: list[set[str]] = []
        self.indexes: set[int] = set()

    def _bag(self, text: str) -> set[str]:
        return content_bag(text, self.lex)

    def fresh(self, sentence: Sentence) -> bool:
        bag = self._bag(sentence.text)
        return sentence.index not in self.indexes and not any(near(bag, other) for other in self.chosen)

    def take(self, sentence: Sentence) -> Sentence:
        self.indexes.add(sentence.index)
        self.chosen.append(self._bag(sentence.text))
        return sentence


TITLE_WEIGHT = 3.0
NOTHING = 1e-6  # the rank of a sentence that carries no subject
REDUNDANCY = 0.5  # what saying only subjects already said costs a sentence, against the top rank
# A sentence in which the speaker names the subjects ("X and Y are the main themes") weighs as much
# as half the top key phrase (Edmundson's cue words).
TOPIC_CUE = 0.5


def rank(
    sentences: list[Sentence], phrases: list[KeyPhrase], parts: list[TitlePart], lex: Lexicon
) -> list[tuple[float, Sentence]]:
    """Sentences by the key phrases and title parts they carry, and whether they name the episode's
    subjects (the speaker's own summary), length-damped, best first."""
    top = max((p.score for p in phrases), default=1.0)
    scored = []
    for s in sentences:
        text = f" {folded(s.text)} "
        weight = sum(p.score / top for p in phrases if f" {p.key} " in text)
        weight += 0.5 * coverage_gain(parts, [0.0] * len(parts), stems(s.text, lex))
        weight += TOPIC_CUE if lex.names_topics(s.text) else 0.0
        # Damped gently: a longer sentence that says more is a better takeaway than a slogan. And
        # weighed by its lexical density (content words per word): a scripted news line ("Deze week
        # tekende Xania Monet, een door AI gegenereerde artiest, een platencontract") is dense, a
        # thought said aloud ("Ik denk dat de AI waar we nu naar kijken, dat die wel ...") is not.
        scored.append((weight * density(s.text, lex) ** 0.5 / len(s.text.split()) ** 0.35 + NOTHING, s))
    scored.sort(key=lambda pair: (-pair[0], pair[1].index))
    return scored


def main_sentences(
    ranked: list[tuple[float, Sentence]], parts: list[TitlePart], lex: Lexicon
) -> list[Sentence]:
    """One or two sentences, in spoken order, that together cover most of the title: the
    best-covering well-ranked one, and another if it covers a part of the title the first does not."""
    top = max((r for r, _ in ranked), default=1.0) or 1.0
    pool = [(r, s) for r, s in ranked if len(s.text.split()) >= 9] or ranked
    end = max((s.start for _, s in pool), default=0.0) or 1.0

    def gain(pair: tuple[float, Sentence], have: list[float]) -> float:
        # The title first (each part it covers is worth a whole ranking), then the ranking and how
        # early it is said (a host previews the episode first), as much as each other.
        early = 1.0 - pair[1].start / end
        return TITLE_WEIGHT * coverage_gain(parts, have, stems(pair[1].text, lex)) + pair[0] / top + early

    if not pool:
        return []
    nothing = [0.0] * len(parts)
    first = max(pool, key=lambda p: gain(p, nothing))
    have = covered(parts, [stems(first[1].text, lex)])
    rest = [
        p
        for p in pool
        if p[1].index != first[1].index and coverage_gain(parts, have, stems(p[1].text, lex)) > 0
    ]
    second = max(rest, key=lambda p: gain(p, have), default=None)
    chosen = [first[1]] + ([second[1]] if second else [])
    return sorted(chosen, key=lambda s: s.index)


OPENING_S = 180.0


def _names_title(ranked: list[tuple[float, Sentence]], parts: list[TitlePart], lex: Lexicon) -> bool:
    """Whether a sentence of nine words or more among these covers a part of the title."""
    nothing = [0.0] * len(parts)
    return any(
        len(s.text.split()) >= 9 and coverage_gain(parts, nothing, stems(s.text, lex)) > 0 for _, s in ranked
    )


def summarize_extractive(
    segments: list[Segment],
    glossary: list[str],
    duration: float | None = None,
    *,
    title: str = "",
    description: str = "",
    show: str = "",
    language: str | None = None,
    entity_types: dict[str, EntityType] | None = None,
) -> SummaryContent:
    """The summary sections it can fill honestly, from the transcript's own sentences."""
    lex = lexicon(language)
    cleaned = [s.model_copy(update={"text": clean(s.text, language)}) for s in segments]
    sentences = split_sentences([s for s in cleaned if s.text], lex)
    if not sentences:
        raise ValueError("the transcript has no sentences to summarize")
    speakers = list(dict.fromkeys(s.speaker.strip() for s in segments if s.speaker and s.speaker.strip()))
    exclude = frozenset(word_key(w) for name in speakers for w in name.split())
    phrases = key_phrases([s.text for s in sentences], lex, title, description, n=10, exclude=exclude)
    titled = title_parts(title, lex, exclude, [s.text for s in sentences])
    ranked = rank(quotable(sentences, language, show), phrases, titled, lex)
    total = duration or max((seg.end for seg in segments), default=0.0)
    picker = Picker(lex)

    # Shows say what they are about early: the opening sentences that cover most of the title, from
    # the host's preview (the first minutes) when it names a part of the title.
    opening = [(r, s) for r, s in ranked if s.start <= max(OPENING_S, 0.1 * total)]
    main = main_sentences(opening, titled, lex) if _names_title(opening, titled, lex) else []
    early = [(r, s) for r, s in ranked if s.start <= 0.25 * total] or ranked
    main = main or main_sentences(early, titled, lex)
    main_topic = " ".join(picker.take(s).text for s in main)

    long_enough = [r for r in ranked if len(r[1].text.split()) >= 9] or ranked
    takeaways = _title_pass(long_enough, picker, titled, main, lex)
    # Where the speaker says what the subjects are ("X and Y are the main themes", "In short, ...":
    # Edmundson's cue words), that is their own summary: up to three such sentences come next, the
    # last summing-up one left for the conclusion.
    summing = [s for _, s in ranked if sums_up(s.text)]  # best first
    closing = max((s.index for s in summing), default=None)
    summed = {s.index for s in summing} - {closing}
    own = [
        r
        for r in long_enough
        if r[1].index in summed or (r[1].index != closing and lex.names_topics(r[1].text))
    ]
    takeaways += _best(own, picker, min(3, 5 - len(takeaways)))
    # Then one from each chapter nothing has come from yet, so the takeaways walk through the episode.
    parts = chapters(sentences, total, lex, phrases, exclude)
    takeaways += _per_chapter(long_enough, picker, phrases, main + takeaways, parts, 5 - len(takeaways))
    takeaways += _spread(long_enough, picker, phrases, main + takeaways, 5 - len(takeaways))
    quotes = _best([r for r in ranked if len(r[1].text.split()) >= 8], picker, 3)
    cued = [s for s in summing if picker.fresh(s)]
    tail = [s for _, s in long_enough if s.start >= 0.75 * total and picker.fresh(s)]
    last = cued[-1] if cued else (tail[0] if tail else None)
    conclusion = picker.take(last).text if last else ""

    entities = find_entities([s.text for s in sentences], glossary, lex, entity_types, speakers)
    # The title's own subjects first: the host's words for what the episode is about.
    subjects = ", ".join(p.text for p in sorted(phrases, key=lambda p: not p.own)[:7])
    return SummaryContent(
        key_subjects_and_themes=locale(language or "en").phrases["key_subjects"].format(subjects=subjects)
        if subjects
        else "",
        main_topic=main_topic,
        use_cases=[],
        new_tools_and_workflows=[],
        ai_news=[],
        conclusion=conclusion,
        key_takeaways=[
            TimedText(text=s.text, timestamp=s.start) for s in sorted(takeaways, key=lambda s: s.start)
        ],
        notable_quotes=[TimedText(text=s.text, timestamp=s.start) for s in quotes],
        chapters=parts,
        entities=entities,
    )


def _title_pass(
    ranked: list[tuple[float, Sentence]],
    picker: Picker,
    parts: list[TitlePart],
    said: list[Sentence],
    lex: Lexicon,
) -> list[Sentence]:
    """Sentences that cover the parts of the title `said` does not cover yet, one by one: each time
    the one that adds most of the title, weighed with its rank, up to two, or one per part of a
    title that lists several subjects ("Sora 2 + Claude Sonnet 4.5 + AI-artiesten")."""
    bags = {s.index: stems(s.text, lex) for _, s in ranked}
    have = covered(parts, [stems(s.text, lex) for s in said])
    top = max((r for r, _ in ranked), default=1.0) or 1.0
    out: list[Sentence] = []
    while len(out) < max(2, len(parts)):
        best, most = None, 0.0
        for r, s in ranked:
            gain = coverage_gain(parts, have, bags[s.index])
            # The title first, the ranking (phrases carried, density) among those that cover as much.
            value = TITLE_WEIGHT * gain + r / top
            if gain > 0 and value > most and picker.fresh(s):
                best, most = s, value
        if best is None:
            break
        out.append(picker.take(best))
        have = [max(h, c) for h, c in zip(have, covered(parts, [bags[best.index]]), strict=True)]
    return out


def _spread(
    ranked: list[tuple[float, Sentence]],
    picker: Picker,
    phrases: list[KeyPhrase],
    said: list[Sentence],
    n: int,
) -> list[Sentence]:
    """Up to n sentences, each bringing a key phrase none before it (nor `said`) carried, best first;
    then the rest by rank, each time less the share of its key phrases already said (maximal
    marginal relevance: not four takeaways on one subject because its name ranks highest)."""

    def carried(s: Sentence) -> set[str]:
        text = f" {folded(s.text)} "
        return {p.key for p in phrases if f" {p.key} " in text}

    keys = {s.index: carried(s) for _, s in ranked}  # each sentence folded once, not once a round
    covered = set().union(*(carried(s) for s in said)) if said else set()
    out: list[Sentence] = []
    for _, s in ranked:
        new = keys[s.index] - covered
        if len(out) < n and new and picker.fresh(s):
            out.append(picker.take(s))
            covered |= new
    top = max((r for r, _ in ranked), default=1.0) or 1.0

    def marginal(pair: tuple[float, Sentence]) -> float:
        # Its rank less the share of its key phrases already said (max keeps the first of equals).
        said_keys = keys[pair[1].index]
        return pair[0] / top - REDUNDANCY * (len(said_keys & covered) / len(said_keys) if said_keys else 0.0)

    while len(out) < n:
        fresh = [(r, s) for r, s in ranked if picker.fresh(s)]
        if not fresh:
            break
        best = max(fresh, key=marginal)[1]
        out.append(picker.take(best))
        covered |= keys[best.index]
    return out


def _per_chapter(
    ranked: list[tuple[float, Sentence]],
    picker: Picker,
    phrases: list[KeyPhrase],
    said: list[Sentence],
    parts: list[Chapter],
    n: int,
) -> list[Sentence]:
    """For each chapter no sentence in `said` comes from, its best sentence (one bringing a key
    phrase not said yet, if it has one), up to n in all. Chapter starts are rounded to 0.1 s."""
    starts = [c.start for c in parts]

    def part(s: Sentence) -> int:
        return max(0, bisect_right(starts, s.start + 0.05) - 1)

    have = {part(s) for s in said}
    by_part: defaultdict[int, list[tuple[float, Sentence]]] = defaultdict(list)
    for r in ranked:
        if r[0] > 2 * NOTHING:  # a chapter gives a sentence only if one carries a subject
            by_part[part(r[1])].append(r)  # still best first
    out: list[Sentence] = []
    for k in range(len(parts)):
        if k in have or len(out) >= n:
            continue
        out += _spread(by_part[k], picker, phrases, said + out, 1)
    return out


def _best(ranked: list[tuple[float, Sentence]], picker: Picker, n: int) -> list[Sentence]:
    """The n best sentences not yet used and unlike every one used, taken."""
    out: list[Sentence] = []
    for _, s in ranked:
        if len(out) >= n:
            break
        if picker.fresh(s):
            out.append(picker.take(s))
    return out


def chapters(
    sentences: list[Sentence],
    duration: float,
    lex: Lexicon,
    phrases: list[KeyPhrase],
    exclude: frozenset[str] = frozenset(),
) -> list[Chapter]:
    """Topic segments (TextTiling), about one per four minutes at most, titled by their key phrases."""
    texts = [s.text for s in sentences]
    starts = [s.start for s in sentences]
    parts = max(1, min(12, round(duration / 240))) if duration else 1
    cuts = boundaries(
        texts, starts, lex, parts, min_gap=max(60.0, duration / (parts * 2) if duration else 60.0)
    )
    spans = [texts[a:b] for a, b in zip(cuts, [*cuts[1:], len(texts)], strict=True)]
    titles = chapter_titles(spans, lex, phrases, exclude)
    out: list[Chapter] = []
    for cut, title in zip(cuts, titles, strict=True):
        if not title and out:
            continue  # nothing of its own to name it by: it stays with the chapter before
        out.append(Chapter(start=round(starts[cut], 1), title=title or (phrases[0].text if phrases else "")))
    return [c for c in out if c.title]
