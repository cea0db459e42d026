"""Word lists per language, as data (lexicon/<code>.toml), and how common a word is in that language.

The lists say what never makes a key phrase, a heading or a name: function words, spoken fillers
("eigenlijk", "you know") and sentence openers ("Dus", "So") and words that make a sentence lean on the one before ("Which", "Dat"). How common a word is comes from
`wordfreq` (offline, in its wheel): the background against which an episode's words stand out.
A language with no file of its own uses the union of all files.
"""

from __future__ import annotations

import re
import tomllib
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

    def is_stop(self, word: str) -> bool:
        w = word.lower()
        return w in self.stopwords or w in self.fillers

    def commonness(self, word: str) -> float:
        """Zipf frequency of the word in the language (0 unknown .. ~7 'the'); names and rare terms
        are low, everyday words high."""
        return _zipf(word.lower(), self.code if self.code in _wordfreq_languages() else "en")

    @cached_property
    def multiword_fillers(self) -> re.Pattern[str]:
        """Fillers of several words ("you know", "soort van"), longest first."""
        phrases = sorted((f for f in self.fillers if " " in f), key=len, reverse=True)
        return re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, phrases)) or '(?!)'})(?!\w)", re.I)

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
    merged: dict[str, set[str]] = {
        k: set() for k in ("stopwords", "fillers", "disfluencies", "openers", "dependents", "name_glue")
    }
    for data in datas:
        for key, words in merged.items():
            words |= _words(data.get(key))
    return Lexicon(
        code or "en",
        frozenset(merged["stopwords"]),
        frozenset(merged["fillers"]),
        frozenset(merged["disfluencies"]),
        frozenset(merged["openers"]),
        frozenset(merged["dependents"]),
        frozenset(merged["name_glue"]),
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
