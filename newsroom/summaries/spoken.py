"""Spoken-language cleanup: what a transcript holds that a reader should not be quoted.

Caption tags ([Muziek], [Applause]), hesitations ("eh", "ehm", "um") and words said twice in a row
("de de", "I I") are dropped; nothing else changes, so a cleaned sentence is still the speaker's own
words. `newsroom.summaries.grounding.normalize` uses the same cleanup, so a cleaned quote is found
in the raw transcript.
"""

from __future__ import annotations

import re
from functools import cache

from newsroom.summaries.lexicon import lexicon

TAG = re.compile(r"\[[^\]\n]{1,40}\]|\((?:muziek|music|applaus|applause|gelach|laughter|laughs)\)|♪+", re.I)
REPEAT = re.compile(r"(?<![\w'’])(\w+(?:['’]\w+)*)(?:[,\s]+\1)+(?![\w'’])", re.I)  # not "that, that's"


@cache
def _disfluency(language: str | None) -> re.Pattern[str]:
    words = sorted(lexicon(language).disfluencies | lexicon(None).disfluencies, key=len, reverse=True)
    alternatives = "|".join(re.escape(w) for w in words)
    # The word with the comma or ellipsis that follows it in captions: "eh, ..." -> "".
    return re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w'’-])[,.…]*(?=\s|$)", re.I)


def clean(text: str, language: str | None = None) -> str:
    """The text without caption tags, hesitations and immediately repeated words."""
    text = TAG.sub(" ", text)
    text = _disfluency(language).sub(" ", text)
    text = REPEAT.sub(r"\1", text)
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^[,;:.…\s]+", "", text)
    return text


# A false start: a few words, a comma, and the same first word again ("I am, I was born in ...",
# "Ik nu dat weet je, ik denk dat ..."): the speaker began the sentence twice; the second is the one.
FALSE_START = re.compile(r"^(\w+)\b[^,.!?]{0,30}?,\s+(?=\1\b)", re.I)


def standalone(sentence: str, language: str | None = None) -> str | None:
    """The sentence without its spoken openers ("So, ...", "Dus eh ja, ...") and a false start ("I
    am, I was born ..."), capitalized; None when what remains leans on the sentence before it
    ("Which ...", "Dat ...", "Het is ...") or starts with a filler."""
    lex = lexicon(language)
    text = sentence.strip()
    while True:
        if (first := re.match(r"([\w'’-]+)[,.…]?\s+", text)) and first.group(1).lower() in lex.openers:
            text = text[first.end() :]
        elif spoken := lex.multiword_fillers.match(text):  # "You know, ...", "Weet je, ..."
            rest = re.match(r"[,.…]\s+", text[spoken.end() :])
            if rest is None:
                return None  # "You know that ...", "Zeg maar de ...": opens with a filler
            text = text[spoken.end() + rest.end() :]
        else:
            break
    text = FALSE_START.sub("", text, count=1)
    word = re.match(r"[\w'’-]+", text)
    if word is None or word.group(0).lower() in lex.dependents | lex.disfluencies | lex.fillers:
        return None
    if " ".join(re.findall(r"[\w'’-]+", text.lower())[:2]) in lex.dependents:
        return None  # "Het is ...": a pronoun and its verb (the lexicon lists such pairs)
    return text[:1].upper() + text[1:]
