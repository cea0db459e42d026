"""The offline summarizer: rank the transcript's own sentences and fill the Summary schema with them.

Nothing is invented: every line it writes is a sentence from the transcript with the time it was
said, so it is grounded by construction. It does not translate; its output is in the episode's
language, and says so.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from newsroom.models import Chapter, Entities, NamedItem, Segment, SummaryContent, TimedText
from newsroom.summaries.stopwords import STOPWORDS

USE_CASE_CUES = re.compile(
    r"\b(use[sd]?|using|helps?|lets? you|allows?|for example|gebruik\w*|helpt|kun je)\b", re.I
)
TOOL_CUES = re.compile(
    r"\b(tool|app|model|assistant|agent|workflow|plugin|feature|launch\w*|releas\w*|"
    r"introduc\w*|nieuwe?)\b",
    re.I,
)
NEWS_CUES = re.compile(
    r"\b(announc\w*|launch\w*|releas\w*|this week|news|raised|acquir\w*|deze week|"
    r"aangekondigd|gelanceerd|nieuws)\b",
    re.I,
)
CONCLUSION_CUES = re.compile(
    r"\b(conclu\w*|in short|to sum up|summing up|samengevat|kortom|tot slot)\b", re.I
)
GREETING = re.compile(r"\b(welcome|welkom|hello|hallo)\b", re.I)
COMPANY_SUFFIX = re.compile(r"(Inc|Labs|AI|Corp|Corporation|Company|Group|Studios?|Technologies)$")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: float
    index: int


def split_sentences(segments: list[Segment]) -> list[Sentence]:
    """Sentences across segment boundaries, each stamped with when its first word was said
    (interpolated by character position inside a long segment)."""
    sentences: list[Sentence] = []
    buffer, started_at = "", None
    for seg in segments:
        text = seg.text.strip()
        span = max(0.0, seg.end - seg.start)
        offset = 0
        for piece in re.split(r"(?<=[.!?])\s+", text):
            if not piece:
                continue
            at = text.find(piece, offset)
            offset = at + len(piece) if at >= 0 else offset
            if started_at is None:
                started_at = seg.start + (span * max(at, 0) / len(text) if text else 0.0)
            buffer = f"{buffer} {piece}".strip()
            if piece.endswith((".", "!", "?")):
                sentences.append(Sentence(buffer, round(started_at, 2), len(sentences)))
                buffer, started_at = "", None
    if buffer:
        sentences.append(Sentence(buffer, round(started_at or 0.0, 2), len(sentences)))
    return sentences


def words(text: str) -> list[str]:
    return [
        w
        for w in re.findall(r"[\w'-]+", text.lower())
        if len(w) > 2 and w not in STOPWORDS and not w.isdigit()
    ]


def rank(sentences: list[Sentence]) -> list[tuple[float, Sentence]]:
    """Sentences by how much of the episode's vocabulary they carry (frequency-weighted, length-damped)."""
    freq = Counter(w for s in sentences for w in words(s.text))
    if not freq:
        return []
    top = max(freq.values())
    scored = []
    for s in sentences:
        ws = words(s.text)
        n = len(s.text.split())
        if n < 5 or n > 60:
            continue
        score = sum(freq[w] / top for w in set(ws)) / math.sqrt(n)
        scored.append((score, s))
    scored.sort(key=lambda pair: -pair[0])
    return scored


def keywords(sentences: list[Sentence], n: int = 6) -> list[str]:
    freq = Counter(w for s in sentences for w in words(s.text))
    return [w for w, _ in freq.most_common(n)]


def find_entities(sentences: list[Sentence], glossary: list[str]) -> Entities:
    """Capitalized names that are not just the first word of a sentence, plus glossary names present."""
    counts: Counter[str] = Counter()
    for s in sentences:
        tokens = s.text.split()
        i = 1  # skip the sentence-initial word
        while i < len(tokens):
            j = i
            while j < len(tokens) and re.match(r"^[A-Z][\w.-]*[\w]$", tokens[j].strip(",.;:!?\"'()")):
                j += 1
            if j > i:
                name = " ".join(t.strip(",.;:!?\"'()") for t in tokens[i:j])
                if name.lower() not in STOPWORDS and len(name) > 2:
                    counts[name] += 1
                i = j
            else:
                i += 1
    text = " ".join(s.text for s in sentences)
    for name in glossary:
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            counts[name] += 2
    people, companies, products = [], [], []
    for name, _ in counts.most_common(30):
        if " " in name and not COMPANY_SUFFIX.search(name) and name not in glossary:
            people.append(name)
        elif COMPANY_SUFFIX.search(name):
            companies.append(name)
        else:
            products.append(name)
    return Entities(people=people[:10], companies=companies[:10], products=products[:15])


def _first_matching(
    ranked: list[tuple[float, Sentence]], cue: re.Pattern[str], n: int, used: set[int]
) -> list[Sentence]:
    picked = []
    for _, s in ranked:
        if s.index not in used and cue.search(s.text):
            picked.append(s)
            used.add(s.index)
            if len(picked) >= n:
                break
    return picked


def _name_for(sentence: Sentence, names: list[str]) -> str:
    """A short label: a named entity the sentence mentions, else its three strongest words."""
    for name in names:
        if name in sentence.text:
            return name
    kws = list(dict.fromkeys(words(sentence.text)))[:3]
    return " ".join(w.capitalize() for w in kws) or "Item"


def summarize_extractive(
    segments: list[Segment], glossary: list[str], duration: float | None = None
) -> SummaryContent:
    """Fill every section of the schema from the transcript's own sentences."""
    sentences = split_sentences(segments)
    if not sentences:
        raise ValueError("the transcript has no sentences to summarize")
    ranked = rank(sentences) or [(1.0, s) for s in sentences]
    entities = find_entities(sentences, glossary)
    names = entities.products + entities.companies + entities.people
    used: set[int] = set()

    takeaways = sorted((s for _, s in ranked[:5]), key=lambda s: s.start)
    used.update(s.index for s in takeaways)
    quotes = [s for _, s in ranked[5:] if 8 <= len(s.text.split()) <= 40][:3] or [s for _, s in ranked[:2]]
    used.update(s.index for s in quotes)
    total = duration or max((seg.end for seg in segments), default=0.0)
    # Shows say what they are about early: the best sentence of the opening quarter, greetings aside.
    opening = [s for _, s in ranked if s.start <= 0.25 * total and not GREETING.search(s.text)]
    main = opening[0] if opening else ranked[0][1]
    cued = [s for s in sentences if CONCLUSION_CUES.search(s.text)]
    tail = [s for _, s in ranked if s.start >= 0.75 * total]
    conclusion = cued[-1] if cued else (tail[0] if tail else sentences[-1])

    use_cases = _first_matching(ranked, USE_CASE_CUES, 3, set(used))
    tools = _first_matching(ranked, TOOL_CUES, 3, set(used))
    news = _first_matching(ranked, NEWS_CUES, 3, set(used))
    kws = keywords(sentences)

    return SummaryContent(
        # Themes, then the strongest other sentence: the main topic is not repeated here.
        key_subjects_and_themes=(f"Themes: {', '.join(kws)}. " if kws else "")
        + next((s.text for _, s in ranked if s.index != main.index), ""),
        main_topic=main.text,
        use_cases=[NamedItem(name=_name_for(s, names), description=s.text) for s in use_cases],
        new_tools_and_workflows=[NamedItem(name=_name_for(s, names), description=s.text) for s in tools],
        ai_news=[s.text for s in news],
        conclusion=conclusion.text,
        key_takeaways=[TimedText(text=s.text, timestamp=s.start) for s in takeaways],
        notable_quotes=[TimedText(text=s.text, timestamp=s.start) for s in quotes],
        chapters=chapters(sentences, total),
        entities=entities,
    )


def chapters(sentences: list[Sentence], duration: float, every: float = 300.0) -> list[Chapter]:
    """Even parts of the timeline (about every five minutes), titled by their top keywords."""
    parts = max(1, min(12, round(duration / every))) if duration else 1
    size = (duration / parts) if duration else 0
    out = []
    for p in range(parts):
        lo, hi = p * size, (p + 1) * size
        inside = [s for s in sentences if lo <= s.start < hi or (p == parts - 1 and s.start >= lo)]
        if not inside:
            continue
        title = ", ".join(w.capitalize() for w in keywords(inside, 3)) or inside[0].text[:40]
        out.append(Chapter(start=round(inside[0].start, 1), title=title))
    return out
