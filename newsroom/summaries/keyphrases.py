"""Key phrases: the multi-word subjects an episode is about, salient against the language at large.

Candidates are runs of up to three words between function words, fillers and punctuation (RAKE's
candidate rule), so no phrase starts or ends with "the", "eigenlijk" or "you know". A candidate
scores by how often the episode says it times how rare its words are in the language (wordfreq's
Zipf scale as the background, a TF-IDF against the language), with longer phrases and the episode's
own title and description (the host's words about it) weighing more.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from newsroom.summaries.lexicon import Lexicon

TOKEN = re.compile(r"\w(?:[\w'’.-]*\w)?")
BREAK = re.compile(r"[,;:!?()\"“”‘’…]|\s[-–—]\s|\.(?=\s|$)")
MAX_WORDS = 3
COMMON = 4.4  # Zipf: a single word this common in the language is no subject on its own


@dataclass(frozen=True)
class KeyPhrase:
    text: str  # as the episode says it most often
    key: str  # lowercase, for matching
    score: float
    count: int
    own: bool = False  # in the episode's title or description


def word_key(word: str) -> str:
    """Lowercase and a crude plural fold, so 'Podcasts' and 'podcast' count together."""
    w = word.lower().replace("’", "'")
    return w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w


def candidates(text: str, lex: Lexicon) -> list[list[str]]:
    """Every candidate phrase in the text, as its words in the spoken form."""
    masked = lex.multiword_fillers.sub(" , ", text)
    out: list[list[str]] = []
    for chunk in BREAK.split(masked):
        run: list[str] = []
        for token in [*TOKEN.findall(chunk), ""]:
            number = token.replace(".", "").isdigit()
            # A number belongs to a name before it ("Sora 2", "Sonnet 4.5"), not on its own.
            if token and not lex.is_stop(token) and (not number or (run and run[-1][:1].isupper())):
                run.append(token)
                continue
            for i in range(len(run)):
                for n in range(1, MAX_WORDS + 1):
                    gram = run[i : i + n]
                    if len(gram) == n and not gram[0].replace(".", "").isdigit():
                        out.append(gram)
            run = []
    return out


def key_phrases(
    texts: list[str],
    lex: Lexicon,
    title: str = "",
    description: str = "",
    n: int = 8,
    exclude: frozenset[str] = frozenset(),
) -> list[KeyPhrase]:
    """The episode's key phrases, best first, none contained in a better one; phrases with a word in
    `exclude` (the speakers' names, as word keys) left out."""
    counts: Counter[tuple[str, ...]] = Counter()
    forms: defaultdict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for text in texts:
        for gram in candidates(text, lex):
            key = tuple(word_key(w) for w in gram)
            counts[key] += 1
            forms[key][" ".join(gram)] += 1
    own = {tuple(word_key(w) for w in g) for g in candidates(f"{title}. {description}", lex)}
    own_words = {w for key in own for w in key}
    scored: list[KeyPhrase] = []
    for key, count in counts.items():
        in_title = key in own
        if (count < 2 and not in_title) or exclude.intersection(key):
            continue
        text = forms[key].most_common(1)[0][0]
        # How rare a word is, looked up as said: the folded key ("previou") is not a word.
        said = text.split()
        rarity = [max(0.0, 6.5 - lex.commonness(w)) for w in said]
        if len(key) == 1 and lex.commonness(said[0]) >= COMMON and not in_title:
            continue
        if min(rarity) < 0.5:  # one everyday word makes a phrase ordinary ("good question")
            continue
        # A phrase is as rare as its mean word and its rarest one together ("show notes").
        score = (count + (3 if in_title else 0)) ** 0.7 * (sum(rarity) / len(key) + max(rarity)) / 2
        score *= 0.7 if len(key) == 1 else 1 + 1.2 * (len(key) - 1)
        score *= 3.0 if in_title else 1.0 + 0.5 * (len(set(key) & own_words) / len(key))
        if lex.filler_phrase(text):
            continue
        scored.append(KeyPhrase(text, " ".join(key), score, count, in_title))
    scored.sort(key=lambda p: (-p.score, p.key))
    picked: list[KeyPhrase] = []
    for phrase in scored:
        if any(_contains(better.key, phrase.key) for better in picked):
            continue
        picked.append(phrase)
        if len(picked) >= n:
            break
    return picked


def _contains(longer: str, shorter: str) -> bool:
    return f" {shorter} " in f" {longer} "


def folded(text: str) -> str:
    """The text as the word keys phrases are matched against."""
    return " ".join(word_key(w) for w in TOKEN.findall(text))


def phrase_in(phrase: KeyPhrase, text: str) -> bool:
    """Whether a text says the phrase (same folding as the counting)."""
    return _contains(folded(text), phrase.key)
