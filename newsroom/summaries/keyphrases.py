"""Key phrases: the multi-word subjects an episode is about, salient against the language at large.

Candidates are runs of up to three words between function words, fillers and punctuation (RAKE's
candidate rule), so no phrase starts or ends with "the", "eigenlijk" or "you know"; a name may run
to five words with a small word inside ("Space and Rocket Center"). A candidate scores by how often
the episode says it times how rare its words are in the language (wordfreq's Zipf scale as the
background, a TF-IDF against the language), with longer phrases and the episode's own title and
description (the host's words about it) weighing more. An everyday word alone is a subject only
when the episode says it far above its usual rate. The picked phrases are distinct: none inside a
better one, none a cut-short part of a longer one, none sharing half its words with a better one.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from newsroom.summaries.lexicon import Lexicon

TOKEN = re.compile(r"\w(?:[\w'’.-]*\w)?")
BREAK = re.compile(r"[,;:!?()\"“”‘’…]|\s[-–—]\s|\.(?=\s|$)")
MAX_WORDS = 3
NAME_WORDS = 5  # a name may run longer: "NASA Johnson Space Center"
COMMON = 4.4  # Zipf: a single word this common in the language is no subject on its own...
OVER, MIN_SAID = 1.8, 4  # ...unless said this often, at 10**OVER times its rate in the language


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
    """Every candidate phrase in the text, as its words in the spoken form. A name runs longer and
    may hold a small word between capitals ("Marshall Space Flight Center", "Space and Rocket
    Center", "Tweede Kamer der Staten-Generaal")."""
    masked = lex.multiword_fillers.sub(" , ", text)
    out: list[list[str]] = []
    for chunk in BREAK.split(masked):
        tokens = TOKEN.findall(chunk)
        run: list[str] = []
        for at, token in enumerate([*tokens, ""]):
            number = token.replace(".", "").isdigit()
            after = tokens[at + 1] if at + 1 < len(tokens) else ""
            glue = (
                _glue(token, lex)
                and bool(run)
                and _capital(run[-1])
                and _capital(after)
                and not lex.is_stop(after)
            )
            # A number belongs to a name before it ("Sora 2", "Sonnet 4.5"), not on its own.
            if glue or (token and not lex.is_stop(token) and (not number or (run and _capital(run[-1])))):
                run.append(token)
                continue
            out.extend(_grams(run, lex))
            run = []
    return out


def _glue(word: str, lex: Lexicon) -> bool:
    """A small word that may stand inside a name ("of", "van"): one of the language's stopwords."""
    return word.lower() in lex.name_glue and lex.is_stop(word)


def _cuts_name(run: list[str], start: int, end: int) -> bool:
    """Whether run[start:end] stops inside a name ("classic Space | Jam site") or starts inside one
    ("Space | Jam site"): a capitalized word on both sides of the cut. (A capital after a
    lowercase word may be a sentence that captions did not end: no cut is read there.)"""
    after = end < len(run) and _capital(run[end - 1]) and _capital(run[end])
    before = start > 0 and _capital(run[start - 1]) and _capital(run[start])
    return after or before


def _capital(word: str) -> bool:
    return word[:1].isupper()


def _grams(run: list[str], lex: Lexicon) -> list[list[str]]:
    """The phrases of a run: up to three words, or up to five of a name; never starting with a
    number, never starting or ending with a small word, and a small word only inside a name."""
    out = []
    for i in range(len(run)):
        for n in range(1, NAME_WORDS + 1):
            gram = run[i : i + n]
            if len(gram) < n:
                break
            inner = [w for w in gram if _glue(w, lex)]
            content = n - len(inner)
            name = all(_capital(w) or w in inner or w[:1].isdigit() for w in gram)
            if gram[0].replace(".", "").isdigit() or lex.is_stop(gram[0]) or lex.is_stop(gram[-1]):
                continue
            if _cuts_name(run, i, i + n):
                continue  # "recreate classic Space" out of "... classic Space Jam site"
            if n > 1 and not _capital(gram[0]) and all(_capital(w) or w in inner for w in gram[1:]):
                continue  # "unkills JPEG XL", "joining Anthropic": the name alone is the subject
            if (inner and not name) or (content > MAX_WORDS and not name):
                continue
            out.append(gram)
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
    titled = {tuple(word_key(w) for w in g) for g in candidates(title, lex)}
    said_words = max(1, sum(len(TOKEN.findall(t)) for t in texts))
    scored: list[KeyPhrase] = []
    vague: list[KeyPhrase] = []  # no subjects, but their cut-short parts are no subjects either
    for key, count in counts.items():
        in_title = key in own
        if (count < 2 and not in_title) or exclude.intersection(key):
            continue
        text = forms[key].most_common(1)[0][0]
        # How rare a word is, looked up as said: the folded key ("previou") is not a word.
        said = text.split()
        rarity = [max(0.0, 6.5 - lex.commonness(w)) for w in said if not _glue(w, lex)]
        if len(key) == 1 and not _salient_word(said[0], count, said_words, lex, key in titled):
            continue
        if not rarity or min(rarity) < 0.5:  # one everyday word makes a phrase ordinary ("good question")
            continue
        # A phrase is as rare as its mean word and its rarest one together ("show notes").
        score = (count + (3 if in_title else 0)) ** 0.7 * (sum(rarity) / len(key) + max(rarity)) / 2
        # A longer phrase is a more specific subject; a Dutch compound counts its parts.
        size = len(key) + sum(lex.parts(w) - 1 for w in said)
        score *= 0.7 if size == 1 else 1 + 1.2 * (min(size, MAX_WORDS) - 1)
        score *= 3.0 if in_title else 1.0 + 0.5 * (len(set(key) & own_words) / len(key))
        if lex.filler_phrase(text):
            continue  # "you know": no subject
        if len(key) > 1 and lex.vague.intersection(w.lower() for w in said[1:]) and not _name(text):
            vague.append(KeyPhrase(text, " ".join(key), score, count, in_title))
            continue  # "straightforward concept", "extra geld beschikbaar": no subject
        scored.append(KeyPhrase(text, " ".join(key), score, count, in_title))
    scored.sort(key=lambda p: (-p.score, p.key))
    # A part of a longer phrase said as often is that phrase cut short ("NASA Johnson Space").
    whole = [p for p in [*scored, *vague] if " " in p.key]
    picked: list[KeyPhrase] = []
    for phrase in scored:
        if any(
            len(w.key) > len(phrase.key) and w.count >= phrase.count and contains_phrase(w.key, phrase.key)
            for w in whole
        ):
            continue
        if any(contains_phrase(better.key, phrase.key) or _overlaps(better, phrase) for better in picked):
            continue
        picked.append(phrase)
        if len(picked) >= n:
            break
    return picked


def _salient_word(word: str, count: int, said_words: int, lex: Lexicon, titled: bool = False) -> bool:
    """Whether one word on its own is a subject: uncommon in the language, or an everyday word this
    episode says far more often than the language does ("guest" eight times in 2,500 words is
    about 90 times its usual rate; "show" twenty times is not a subject). A word of the title needs
    less ("Earth" nine times), but more than the title's say-so ("wish", said once)."""
    zipf = lex.commonness(word)
    if zipf < COMMON:
        return True
    over = math.log10(count / said_words * 1e9) - zipf  # Zipf is log10 of uses per billion words
    if titled:
        return count >= 2 and over >= OVER - 0.6
    return count >= MIN_SAID and over >= OVER


def _overlaps(better: KeyPhrase, other: KeyPhrase) -> bool:
    """Whether a phrase shares half its words or more with a better one ("social media graphic"
    after "social media platform"): one of them is enough in a list of subjects. Two names may share
    words and still be two things ("Space and Rocket Center", "Marshall Space Flight Center")."""
    a, b = set(better.key.split()), set(other.key.split())
    if min(len(a), len(b)) < 2 or (_name(better.text) and _name(other.text)):
        return False
    return len(a & b) * 2 >= min(len(a), len(b))


def _name(text: str) -> bool:
    """Whether a phrase is a name: its longer words capitalized ("Space and Rocket Center")."""
    return all(_capital(w) or not w[:1].isalpha() for w in text.split() if len(w) > 3)


def contains_phrase(longer: str, shorter: str) -> bool:
    """Whether one phrase key holds another as whole words ("sora 2" holds "sora")."""
    return f" {shorter} " in f" {longer} "


def folded(text: str) -> str:
    """The text as the word keys phrases are matched against."""
    return " ".join(word_key(w) for w in TOKEN.findall(text))


def phrase_in(phrase: KeyPhrase, text: str) -> bool:
    """Whether a text says the phrase (same folding as the counting)."""
    return contains_phrase(folded(text), phrase.key)
