"""Chapters by topic segmentation: TextTiling (Hearst 1997) over the transcript's sentences.

Adjacent windows of sentences are compared by the content words they share (cosine); where that
lexical cohesion dips deepest, the topic changed. Each chapter starts at its first sentence and is
titled by its own key phrase, the one that sets it apart from the rest of the episode.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from newsroom.summaries.keyphrases import TOKEN, KeyPhrase, contains_phrase, key_phrases, word_key
from newsroom.summaries.lexicon import Lexicon


def _bag(texts: Sequence[str], lex: Lexicon) -> Counter[str]:
    return Counter(word_key(w) for t in texts for w in TOKEN.findall(t) if len(w) > 2 and not lex.is_stop(w))


def _sum(bags: Sequence[Counter[str]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for bag in bags:
        total.update(bag)
    return total


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(a[w] * b[w] for w in a.keys() & b.keys())
    norm = math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def boundaries(texts: list[str], starts: list[float], lex: Lexicon, parts: int, min_gap: float) -> list[int]:
    """Indexes of the sentences that open a new topic (0 first), at most `parts` in all."""
    window = max(3, min(10, len(texts) // 20 or 3))
    if len(texts) < 2 * window or parts <= 1:
        return [0]
    gaps = range(window, len(texts) - window + 1)
    bags = [_bag([t], lex) for t in texts]
    sims = [_cosine(_sum(bags[i - window : i]), _sum(bags[i : i + window])) for i in gaps]
    smooth = [sum(sims[max(0, k - 1) : k + 2]) / len(sims[max(0, k - 1) : k + 2]) for k in range(len(sims))]
    depths = []
    for k, value in enumerate(smooth):
        left = max(smooth[: k + 1])
        right = max(smooth[k:])
        depths.append((left - value) + (right - value))
    mean = sum(depths) / len(depths)
    spread = math.sqrt(sum((d - mean) ** 2 for d in depths) / len(depths))
    cutoff = mean - spread / 2  # Hearst's liberal cutoff
    chosen = [0]
    for k in sorted(range(len(depths)), key=lambda k: -depths[k]):
        i = gaps[k]
        if depths[k] <= cutoff or len(chosen) >= parts:
            break
        if all(abs(starts[i] - starts[j]) >= min_gap for j in chosen) and starts[-1] - starts[i] >= min_gap:
            chosen.append(i)
    return sorted(chosen)


def chapter_titles(
    parts: list[list[str]], lex: Lexicon, episode_phrases: list[KeyPhrase], exclude: frozenset[str]
) -> list[str]:
    """One key-phrase title per part, each different: the part's most salient phrase not used yet
    (nor a part or a longer form of one used)."""
    titles: list[str] = []
    used: set[str] = set()
    top = episode_phrases[0].text if episode_phrases else ""
    for texts in parts:
        found = [
            p
            for p in key_phrases(texts, lex, n=6, exclude=exclude)
            if not any(
                contains_phrase(u, p.key) or contains_phrase(p.key, u) for u in used
            )  # "Sora", "Sora 2"
        ]
        # A part that only repeats the episode's main subject still gets the subject it adds to it.
        found.sort(key=lambda p: (p.text == top, -p.score))
        title = ", ".join(p.text for p in found[:2]) if found else ""
        used.update(p.key for p in found[:2])
        titles.append(title)
    return titles
