"""The offline summarizer: write only what can be written well without a language model.

Every line it writes is a sentence from the transcript, cleaned of spoken noise ([Muziek], "eh",
words said twice, a leading "So,"), with the time it was said: grounded by construction. It does
not translate; its output is in the episode's language, and says so. What it fills:
- key subjects: the episode's key phrases (`keyphrases`), the title's and description's weighing in;
- main topic, takeaways, quotes, conclusion: complete sentences that carry those phrases (or the
  title's words, or say what the subjects are: "X and Y are the main themes"), each used once in
  the whole summary, none a near-copy of another;
- chapters: topic segmentation (`segmentation`), titled by key phrases;
- entities typed by their support (`entities`).
Use cases, tools with what they do and AI news are prose a language model writes: they stay empty
(a sentence that names a tool does not say what it does), and the note says who writes them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass

from newsroom.locales import locale
from newsroom.models import Chapter, Segment, SummaryContent, TimedText
from newsroom.summaries.entities import EntityType, find_entities
from newsroom.summaries.keyphrases import TOKEN, KeyPhrase, folded, key_phrases, word_key
from newsroom.summaries.lexicon import Lexicon, lexicon
from newsroom.summaries.segmentation import boundaries, chapter_titles
from newsroom.summaries.spoken import clean, standalone

CONCLUSION_CUES = re.compile(
    r"\b(conclu\w*|in short|to sum up|summing up|samengevat|kortom|tot slot|concluderend)\b", re.I
)
MIN_WORDS, MAX_WORDS = 6, 45


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


def quotable(sentences: list[Sentence], language: str | None) -> list[Sentence]:
    """Sentences that stand alone: complete statements of 6-45 words, spoken openers dropped, any
    quotation inside them closed; no question, and nothing said to the audience (greetings, thanks,
    sign-offs) rather than about the subject."""
    lex = lexicon(language)
    out = []
    for s in sentences:
        text = standalone(s.text, language)
        if text is None or not text.endswith((".", "!")) or not MIN_WORDS <= len(text.split()) <= MAX_WORDS:
            continue
        if text.count('"') % 2 or text.count("“") != text.count("”"):
            continue  # a quotation it opens runs on into the next sentence (or began before it)
        if lex.asks(text) or lex.courtesy(text):
            continue  # a question, its question mark lost in the captions; "Welkom bij ..."
        out.append(Sentence(text, s.start, s.index))
    return out


def _title_keys(title: str, lex: Lexicon) -> set[str]:
    return {word_key(w) for w in TOKEN.findall(title) if not lex.is_stop(w) and len(w) > 1}


# A sentence in which the speaker names the subjects ("X and Y are the main themes") weighs as much
# as half the top key phrase (Edmundson's cue words).
TOPIC_CUE = 0.5


def rank(
    sentences: list[Sentence], phrases: list[KeyPhrase], title_keys: set[str], lex: Lexicon | None = None
) -> list[tuple[float, Sentence]]:
    """Sentences by the key phrases and title words they carry, and whether they name the episode's
    subjects (the speaker's own summary), length-damped, best first."""
    top = max((p.score for p in phrases), default=1.0)
    scored = []
    for s in sentences:
        keys = {word_key(w) for w in TOKEN.findall(s.text)}
        text = f" {folded(s.text)} "
        weight = sum(p.score / top for p in phrases if f" {p.key} " in text)
        weight += 0.5 * len(keys & title_keys) / max(1, len(title_keys))
        weight += TOPIC_CUE if lex is not None and lex.names_topics(s.text) else 0.0
        # Damped gently: a longer sentence that says more is a better takeaway than a slogan.
        scored.append((weight / len(s.text.split()) ** 0.35 + 1e-6, s))
    scored.sort(key=lambda pair: (-pair[0], pair[1].index))
    return scored


def main_sentences(
    ranked: list[tuple[float, Sentence]], title_keys: set[str], lex: Lexicon
) -> list[Sentence]:
    """One or two sentences, in spoken order, that together cover most of the title's words: the
    best-covering well-ranked one, and another if it adds title words the first lacks."""
    top = max((r for r, _ in ranked), default=1.0) or 1.0
    pool = [(r, s) for r, s in ranked if len(s.text.split()) >= 9] or ranked

    def gain(pair: tuple[float, Sentence], have: set[str]) -> float:
        return len((_title_keys(pair[1].text, lex) & title_keys) - have) + pair[0] / top

    if not pool:
        return []
    first = max(pool, key=lambda p: gain(p, set()))
    have = _title_keys(first[1].text, lex) & title_keys
    rest = [
        p for p in pool if p[1].index != first[1].index and (_title_keys(p[1].text, lex) & title_keys) - have
    ]
    second = max(rest, key=lambda p: gain(p, have), default=None)
    chosen = [first[1]] + ([second[1]] if second else [])
    return sorted(chosen, key=lambda s: s.index)


def summarize_extractive(
    segments: list[Segment],
    glossary: list[str],
    duration: float | None = None,
    *,
    title: str = "",
    description: str = "",
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
    title_keys = _title_keys(title, lex) - exclude
    ranked = rank(quotable(sentences, language), phrases, title_keys, lex)
    total = duration or max((seg.end for seg in segments), default=0.0)
    picker = Picker(lex)

    # Shows say what they are about early: the opening sentences that cover most of the title.
    main = main_sentences([(r, s) for r, s in ranked if s.start <= 0.25 * total] or ranked, title_keys, lex)
    main_topic = " ".join(picker.take(s).text for s in main)

    long_enough = [r for r in ranked if len(r[1].text.split()) >= 9] or ranked
    takeaways = _title_pass(long_enough, picker, title_keys, main, lex, 2)
    # Where the speaker says what the subjects are ("X and Y are the main themes", "In short, ...":
    # Edmundson's cue words), that is their own summary: up to three such sentences come next, the
    # last summing-up one left for the conclusion.
    summing = [s for _, s in ranked if CONCLUSION_CUES.search(s.text)]  # best first
    closing = max((s.index for s in summing), default=None)
    summed = {s.index for s in summing} - {closing}
    own = [
        r
        for r in long_enough
        if r[1].index in summed or (r[1].index != closing and lex.names_topics(r[1].text))
    ]
    takeaways += _best(own, picker, 3)
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
    title_keys: set[str],
    said: list[Sentence],
    lex: Lexicon,
    n: int,
) -> list[Sentence]:
    """Up to n sentences that say a title word (or a longer form: 'artiest' for 'artiesten' is not,
    'synthetische' for 'synthetisch' is) that nothing in `said` says yet, best first."""

    def says(s: Sentence) -> set[str]:
        bag = _title_keys(s.text, lex)
        return {k for k in title_keys if len(k) > 2 and (k in bag or any(w.startswith(k) for w in bag))}

    covered = set().union(*(says(s) for s in said)) if said else set()
    out: list[Sentence] = []
    for _, s in ranked:
        if len(out) < n and says(s) - covered and picker.fresh(s):
            out.append(picker.take(s))
            covered |= says(s)
    return out


def _spread(
    ranked: list[tuple[float, Sentence]],
    picker: Picker,
    phrases: list[KeyPhrase],
    said: list[Sentence],
    n: int,
) -> list[Sentence]:
    """Up to n sentences, each bringing a key phrase none before it (nor `said`) carried, best first;
    then the best of the rest."""
    covered = {p.key for p in phrases for s in said if f" {p.key} " in f" {folded(s.text)} "}
    out: list[Sentence] = []
    for _, s in ranked:
        text = f" {folded(s.text)} "
        new = {p.key for p in phrases if f" {p.key} " in text} - covered
        if len(out) < n and new and picker.fresh(s):
            out.append(picker.take(s))
            covered |= new
    return out + _best(ranked, picker, n - len(out))


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
