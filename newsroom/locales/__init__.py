"""Wording per language, as data: one TOML file per language in this folder.

A file holds the language's `name` (as prompts say it), the `[headings]` of summaries and notes and
the `[phrases]` of the newsletter. Keys a file leaves out come from `en.toml`; a language with no
file at all is written with the English words. A user's `<templates>/locales/<code>.toml` is laid
over the built-in file key by key, so one changed heading is one line.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

BUILTIN = Path(__file__).resolve().parent
BASE = "en"


class LocaleError(ValueError):
    """A locale file that cannot be read; the message names the file."""


@dataclass(frozen=True)
class Locale:
    code: str
    name: str
    headings: MappingProxyType[str, str]
    phrases: MappingProxyType[str, str]


def base_code(language: str) -> str:
    """'nl-BE' -> 'nl'."""
    return language.split("-")[0].lower()


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise LocaleError(f"{path}: not valid TOML: {exc}") from exc


def _files(code: str, user_dir: Path | None) -> list[Path]:
    """The files of one language, built-in first, then the user's."""
    return [folder / f"{code}.toml" for folder in [BUILTIN, *([user_dir / "locales"] if user_dir else [])]]


@cache
def _locale(code: str, user_dir: str | None) -> Locale:
    folder = Path(user_dir) if user_dir else None
    own = [_read(path) for path in _files(code, folder)]
    english = [_read(path) for path in _files(BASE, folder)] if code != BASE else []
    merged: dict[str, dict[str, str]] = {"headings": {}, "phrases": {}}
    for layer in english + own:  # least specific first
        for table, words in merged.items():
            words.update({str(k): str(v) for k, v in (layer.get(table) or {}).items()})
    # A language no file knows is named by its code, not called English.
    name = next((str(layer["name"]) for layer in reversed(own) if "name" in layer), code)
    return Locale(code, name, MappingProxyType(merged["headings"]), MappingProxyType(merged["phrases"]))


def locale(language: str, user_dir: Path | None = None) -> Locale:
    """The wording for `language` ('nl', 'nl-BE', ...), with the user's overrides from `user_dir`."""
    folder = str(user_dir) if user_dir and Path(user_dir).is_dir() else None
    return _locale(base_code(language), folder)


def language_name(code: str) -> str:
    """How prompts name a language: 'Dutch (Nederlands)'; the code itself when no file knows it."""
    return locale(code).name


def builtin_codes() -> list[str]:
    return sorted(p.stem for p in BUILTIN.glob("*.toml"))
