"""Word lists per language, as data (lexicon/<code>.toml), and how common a word is in that language.

The lists say what never makes a key phrase, a heading or a name: function words, spoken fillers
("eigenlijk", "you know"), sentence openers ("Dus", "So"), words that make a sentence lean on the
one before ("Which", "Dat"), vague nouns ("concept", "geld") and what is said to the audience
rather than about the subject ("Welkom", "tot volgende week"). They also say which words name the
subjects ("hoofdthema's", "Let's start with"), which point back ("dit onderwerp"), which
abbreviations a full stop does not end a sentence after ("Dr.", "bijv."), and whether the language
writes compounds as one word ("pensioenstelsel"). How common a word is comes from `wordfreq`
(offline, in its wheel): the background against which an episode's words stand out. A language
with no file of its own uses the union of all files.
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path

from newsroom.locales import base_code

FOLDER = Path(__file__).resolve().parent / "lexicon"


@dataclass(frozen=True)
class Lexicon:
    code: str
    stopwords: frozenset[str]
    fillers: frozenset[str]  # single words and phrases, lowercase
    disfluencies: frozenset[str]
    openers: frozenset[str]  # dropped from a sentence's start
    dependents: frozenset[str]  # a sentence starting so does not stand alone
    name_glue: frozenset[str] = frozenset()  # small words inside a name ("of", "van der")
    compounds: bool = False  # the language writes compounds as one word ("pensioenstelsel")
    suffixes: frozenset[str] = frozenset()  # word-like endings of derived words ("-volle")
    topic_words: frozenset[str] = frozenset()  # "themes", "onderwerpen": a speaker naming subjects
    pointers: frozenset[str] = frozenset()  # "this", "dit": words that point back to what was said
    abbreviations: frozenset[str] = frozenset()  # "dr", "bijv": a full stop after them ends nothing
    vague: frozenset[str] = frozenset()  # nouns that name no subject: "concept", "geld", "manier"
    courtesies: frozenset[str] = frozenset()  # "welcome", "see you next week": said to the audience
    thanks: frozenset[str] = frozenset()  # "thank you", "bedankt": a sentence opening so thanks someone
    question_verbs: frozenset[str] = frozenset()  # "would", "zou": a sentence opening with one and
    question_subjects: frozenset[str] = frozenset()  # then "you", "je" asks something
    ad_cues: frozenset[str] = frozenset()  # "sponsored by", "onze sponsor": a sponsor's read begins

    def is_stop(self, word: str) -> bool:
        w = word.lower()
        return w in self.stopwords or w in self.fillers

    def stem(self, word: str) -> str:
        """The word's stem in the language (Snowball: "artiesten" and "artiest" share one,
        "synthetische" and "synthetisch" too), lowercase; a language Snowball has no stemmer for
        gets the plain plural fold."""
        return _stem(word.lower().replace("’", "'"), SNOWBALL.get(self.code, ""))

    def commonness(self, word: str) -> float:
        """Zipf frequency of the word in the language (0 unknown .. ~7 'the'); names and rare terms
        are low, everyday words high."""
        return _zipf(word.lower(), self.code if self.code in _wordfreq_languages() else "en")

    def parts(self, word: str) -> int:
        """How many words a word stands for: 2 for a compound of two words the language knows
        ("pensioen·stelsel", "zorg·verzekeraars", "EU-voorzitterschap") where it writes them as
        one, else 1. English says "pension system": the same subject, two words."""
        w = word.lower()
        return 2 if self.compounds and _zipf(w, self.code) < LEXICALIZED and _compound(w, self) else 1

    def abbreviated(self, text: str) -> bool:
        """Whether a text ends in an abbreviation's full stop rather than a sentence's: initials
        ("U.S.", "A.I.") or one of the language's abbreviations ("Dr.", "bijv.")."""
        last = text.rsplit(None, 1)[-1] if text.strip() else ""
        if INITIALS.fullmatch(last):
            return True
        return last.lower().rstrip(".") in self.abbreviations and last.endswith(".")

    @cached_property
    def _topic_words(self) -> re.Pattern[str]:
        return re.compile(rf"(?<!\w)(?:{_alternation(self.topic_words)})(?!\w)", re.I)

    def names_topics(self, sentence: str) -> bool:
        """Whether a sentence says what the subjects are ("Veiligheid en migratie zijn twee
        hoofdthema's", "the two themes are ..."): the speaker's own summary of the episode."""
        text = sentence.replace("’", "'")
        return any(not self._points_back(text[: m.start()]) for m in self._topic_words.finditer(text))

    def _points_back(self, before: str) -> bool:
        """Whether the words before a topic word point back ("dit zware onderwerp", "that topic")."""
        words = re.findall(r"[\w']+", before.lower())[-2:]
        return bool(set(words) & self.pointers)

    @cached_property
    def _courtesy(self) -> re.Pattern[str]:
        anywhere, opening = _alternation(self.courtesies), _alternation(self.thanks)
        return re.compile(rf"(?<![\w'])(?:{anywhere})(?![\w'])|^(?:{opening})(?![\w'])", re.I)

    def asks(self, sentence: str) -> bool:
        """Whether a sentence is a question by its word order ("Zou je niet kunnen zeggen ...",
        "Would you say ..."), even where captions lost its question mark."""
        first = re.findall(r"[\w']+", sentence.lower().replace("’", "'"))[:2]
        return len(first) == 2 and first[0] in self.question_verbs and first[1] in self.question_subjects

    def courtesy(self, sentence: str) -> bool:
        """Whether a sentence is said to the listeners or a guest, not about the subject: a greeting,
        thanks, or a sign-off ("Welkom bij ...", "Thank you, Sarah", "Daarmee zijn we aan het eind
        van dit debat")."""
        return bool(self._courtesy.search(sentence.replace("’", "'")))

    @cached_property
    def _ad_cue(self) -> re.Pattern[str]:
        return re.compile(rf"(?<![\w'])(?:{_alternation(self.ad_cues)})(?![\w'])", re.I)

    def announces_ad(self, sentence: str) -> bool:
        """Whether a sentence announces a sponsor's read ("This episode is brought to you by ...")."""
        return bool(self._ad_cue.search(sentence.replace("’", "'")))

    @cached_property
    def multiword_fillers(self) -> re.Pattern[str]:
        """Fillers of several words ("you know", "soort van"), longest first."""
        phrases = (f for f in self.fillers if " " in f)
        return re.compile(rf"(?<!\w)(?:{_alternation(phrases)})(?!\w)", re.I)

    def filler_phrase(self, phrase: str) -> bool:
        """True when a phrase is made of stopwords and fillers only (never a heading or a subject)."""
        text = self.multiword_fillers.sub(" ", phrase)
        return all(self.is_stop(w) for w in re.findall(r"[\w'’-]+", text))


# wordfreq takes about a second to import (it looks its data folder up through inspect.stack), so
# it loads on the first word looked up, not with every command that imports the summarizer.


@lru_cache(maxsize=65536)
def _zipf(word: str, code: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, code)


@cache
def _wordfreq_languages() -> frozenset[str]:
    from wordfreq import available_languages

    return frozenset(available_languages())


# Snowball's stemmer for each language code (the `snowballstemmer` package, pure Python, in its wheel).
SNOWBALL = {
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "it": "italian",
    "nb": "norwegian",
    "nl": "dutch",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "sv": "swedish",
}
_stemmers = threading.local()  # a Snowball stemmer keeps state while it works: one per thread


@lru_cache(maxsize=65536)
def _stem(word: str, algorithm: str) -> str:
    if not algorithm:
        return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word
    stemmers = _stemmers.__dict__.setdefault("by_algorithm", {})
    if algorithm not in stemmers:
        import snowballstemmer

        stemmers[algorithm] = snowballstemmer.stemmer(algorithm)
    return str(stemmers[algorithm].stemWord(word))


# The word lists a lexicon file may hold (see en.toml for what each is for).
LISTS = (
    "stopwords",
    "fillers",
    "disfluencies",
    "openers",
    "dependents",
    "name_glue",
    "suffixes",
    "topic_words",
    "pointers",
    "abbreviations",
    "vague",
    "courtesies",
    "thanks",
    "question_verbs",
    "question_subjects",
    "ad_cues",
)


def _alternation(phrases: Iterable[str]) -> str:
    """A regex alternation of the phrases, escaped, longest first (so "weet je wel" wins over
    "weet je"); one that matches nothing when there are none."""
    return "|".join(map(re.escape, sorted(phrases, key=len, reverse=True))) or "(?!)"


INITIALS = re.compile(r"\(?(?:[A-Z]\.){2,}")  # "U.S.", "(A.I."

PART_ZIPF = 3.0  # each part of a compound a word the language uses (about once per million words)
LEXICALIZED = 4.0  # a compound said more than ten times per million words is an everyday word
LINKS = ("s", "en", "e")  # the linking letters between the parts: "belasting·s·dienst"


@lru_cache(maxsize=16384)
def _compound(word: str, lex: Lexicon) -> bool:
    """Whether a word is two words of the language joined: two parts around one hyphen, or a
    modifier of at least three letters (a linking s/en/e aside) and a head of at least four,
    neither a function word nor an adjective ending."""
    if "-" in word:
        return all(len(p) > 1 for p in word.split("-")) and word.count("-") == 1
    for cut in range(4, len(word) - 3):
        modifier, head = word[:cut], word[cut:]
        if lex.is_stop(head) or head in lex.suffixes or _zipf(head, lex.code) < PART_ZIPF:
            continue
        stems = [modifier] + [modifier[: -len(link)] for link in LINKS if modifier.endswith(link)]
        if any(len(m) >= 3 and not lex.is_stop(m) and _zipf(m, lex.code) >= PART_ZIPF for m in stems):
            return True
    return False


def _load(path: Path) -> dict[str, object]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _words(value: object) -> set[str]:
    if isinstance(value, str):
        return set(value.lower().split())
    return {str(v).lower() for v in value} if isinstance(value, list) else set()


@cache
def lexicon(language: str | None) -> Lexicon:
    """The word lists of `language` ('nl', 'en-GB', ...); every list merged when none is given or no
    file exists for it."""
    code = base_code(language or "")
    path = FOLDER / f"{code}.toml"
    datas = [_load(path)] if path.is_file() else [_load(p) for p in sorted(FOLDER.glob("??.toml"))]
    merged: dict[str, set[str]] = {k: set() for k in LISTS}
    for data in datas:
        for key, words in merged.items():
            words |= _words(data.get(key))
        # Pronominal adverbs ("eromheen", "daarover"): every head with every tail is a function word.
        merged["stopwords"] |= {
            h + t for h in _words(data.get("pronominal_heads")) for t in _words(data.get("pronominal_tails"))
        }
    return Lexicon(
        code or "en",
        frozenset(merged["stopwords"]),
        frozenset(merged["fillers"]),
        frozenset(merged["disfluencies"]),
        frozenset(merged["openers"]),
        frozenset(merged["dependents"]),
        frozenset(merged["name_glue"]),
        compounds=all(bool(d.get("compounds")) for d in datas),
        suffixes=frozenset(merged["suffixes"]),
        topic_words=frozenset(merged["topic_words"]),
        pointers=frozenset(merged["pointers"]),
        abbreviations=frozenset(merged["abbreviations"]),
        vague=frozenset(merged["vague"]),
        courtesies=frozenset(merged["courtesies"]),
        thanks=frozenset(merged["thanks"]),
        question_verbs=frozenset(merged["question_verbs"]),
        question_subjects=frozenset(merged["question_subjects"]),
        ad_cues=frozenset(merged["ad_cues"]),
    )


@dataclass(frozen=True)
class KnownEntities:
    companies: frozenset[str]
    products: frozenset[str]


@cache
def known_entities() -> KnownEntities:
    """The shipped list of well-known AI companies and products (lexicon/entities.toml)."""
    data = _load(FOLDER / "entities.toml")
    return KnownEntities(frozenset(map(str, data["companies"])), frozenset(map(str, data["products"])))  # type: ignore[call-overload]
