"""Names in a transcript, typed only where something supports the type.

A name is a person when a speaker label says so or the glossary types it `person`; a company or a
product when the glossary types it so or it is on the shipped list of well-known AI companies and
products (lexicon/entities.toml). Every other capitalized name is "mentioned", not guessed at. A
speaker is never a company or a product.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Literal

from newsroom.models import Entities
from newsroom.summaries.lexicon import Lexicon, known_entities

EntityType = Literal["person", "company", "product"]
NAME = re.compile(r"[A-Z][\w.&-]*\w(?:\s+(?:[A-Z][\w.&-]*\w|\d+(?:\.\d+)?))*")


def _fold(name: str) -> str:
    """'Open AI', 'open-ai' and 'OpenAI' are one name."""
    return re.sub(r"[\s_-]+", "", name).casefold()


def find_entities(
    sentences: list[str],
    glossary: list[str],
    lex: Lexicon,
    types: dict[str, EntityType] | None = None,
    speakers: list[str] | None = None,
) -> Entities:
    """The episode's names: typed ones by their support, the rest as mentioned."""
    types = types or {}
    known = known_entities()
    # Sorted, so that the same episode always gives the same names (sets iterate in a random order).
    support: dict[str, tuple[str, EntityType]] = {_fold(n): (n, "company") for n in sorted(known.companies)}
    support.update({_fold(n): (n, "product") for n in sorted(known.products)})
    support.update({_fold(n): (n, t) for n, t in types.items()})
    speaking = {_fold(s) for s in speakers or []}
    speaking |= {_fold(s.split()[0]) for s in speakers or [] if s.split()}
    counts: Counter[str] = Counter()
    for sentence in sentences:
        for match in NAME.finditer(sentence):
            name = match.group(0)
            if match.start() == 0 and _fold(name) not in support:  # any sentence starts with a capital
                continue
            words = name.split()
            if lex.filler_phrase(name) or (len(words) == 1 and lex.is_stop(name)) or len(name) < 2:
                continue
            counts[name] += 1
    text = " ".join(sentences)
    # Listed names longest first, so a shorter one counts where it is said on its own; a glossary
    # name (the user's own list) wherever it is said.
    names = sorted({name for name, _ in support.values()}, key=len, reverse=True)
    listed = re.compile(rf"(?<![\w-])(?:{'|'.join(map(re.escape, names))})(?![\w-])")
    found = {m.group(0) for m in listed.finditer(text)}
    found |= {n for n in glossary if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)}
    for name in found:
        counts[name] += 1
    people = [s for s in speakers or [] if s]
    people += [n for n, t in types.items() if t == "person" and n in counts and n not in people]
    companies: list[str] = []
    products: list[str] = []
    mentioned: list[str] = []
    seen = {_fold(p) for p in people}
    for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        folded = _fold(name)
        canonical, kind = support.get(folded, (name, None))
        if _fold(canonical) in seen or folded in speaking:
            continue
        seen.add(_fold(canonical))
        if kind == "company":
            companies.append(canonical)
        elif kind == "product":
            products.append(canonical)
        elif kind == "person":
            people.append(canonical)
        elif counts[name] >= 2 and (len(name.split()) > 1 or lex.commonness(name) < 4.0):
            mentioned.append(name)
    # Names are matched longest first, so a shorter one here was also said on its own.
    typed = people + companies + products
    return Entities(
        people=people[:10],
        companies=companies[:10],
        products=products[:15],
        mentioned=[n for n in mentioned if not _inside(n, typed + mentioned)][:12],
    )


def _inside(name: str, names: list[str]) -> bool:
    """Whether the name is part of a longer one ('Imagine' of 'Imagine with Claude')."""
    return any(name != other and f" {name} " in f" {other} " for other in names)
