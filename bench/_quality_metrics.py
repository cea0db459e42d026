"""The quality bench's yardsticks, pure: text in, numbers out (`bench/quality.py` runs them).

A helper module of the benchmarks (the leading underscore keeps `python -m bench` from listing it);
tests/test_quality_bench.py tests these functions directly.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from typing import Any

from newsroom.locales import BUILTIN as LOCALES
from newsroom.models import Summary
from newsroom.summaries.summarizer import text_values

# Function words (after the Snowball stopword lists, with spoken contractions) and spoken fillers.
# The bench keeps its own lists so that its yardstick does not move when the summarizer's does.
STOPWORDS = {
    "en": """
a about above after again against all am an and any are aren't as at be because been before being
below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't
down during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's
her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it
it's its itself let's me more most mustn't my myself no nor not of off on once only or other ought
our ours ourselves out over own same shan't she she'd she'll she's should shouldn't so some such
than that that's the their theirs them themselves then there there's these they they'd they'll
they're they've this those through to too under until up very was wasn't we we'd we'll we're
we've were weren't what what's when when's where where's which while who who's whom why why's will
with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves also just
get got going gonna one
""",
    "nl": """
aan al alles als altijd andere ben bij daar dan dat de der deze die dit doch doen door dus een eens
en er ge geen geweest haar had heb hebben heeft hem het hier hij hoe hun iemand iets ik in is ja je
jij jouw kan kon kunnen maar me meer men met mij mijn moet na naar niet niets nog nu of om omdat
onder ons ook op over reeds te tegen toch toen tot u uit uw van veel voor want waren was wat we
wel werd wezen wie wil worden wordt zal ze zei zelf zich zij zijn zo zonder zou
""",
}
FILLERS = {
    "en": "um uh uhm erm eh hmm hey yeah okay ok like kind sort basically actually literally really "
    "right well stuff thing things lot wanna gotta pretty sure need listen show know mean say",
    "nl": "eh ehm uh hè nou eigenlijk gewoon allemaal heel hele echt even zeg maar soort "
    "natuurlijk inderdaad best super ding dingen zo'n beetje oké nee dus zeg maar weet",
}
NO_SPEECH = re.compile(r"\[[^\]]*\]")  # [Muziek], [ Music], [Applaus]


# Text --------------------------------------------------------------------------------------------


def tokens(text: str) -> list[str]:
    """Lower-case words, apostrophes and hyphens kept inside a word."""
    return re.findall(r"\w+(?:['’-]\w+)*", text.lower().replace("’", "'"))


ABBREVIATION = re.compile(r"(?:^|\s)(?:Dr|Mr|Mrs|Ms|St|vs|dhr|mevr|bijv|o\.a|e\.g|i\.e|[A-Z](?:\.[A-Z])+)\.$")


def sentences(text: str) -> list[str]:
    """Sentences, not cut after "Dr." or "U.S.", cut after a closing quotation mark that ends one."""
    out: list[str] = []
    # A sentence may end inside its closing quotation mark: '... like software." Jonah tried ...'.
    for piece in (p.strip() for p in re.split(r"(?<=[.!?…])\s+|(?<=[.!?…][\"”’»])\s+|\n+", text)):
        if not piece:
            continue
        if out and ABBREVIATION.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def spoken(text: str, language: str) -> list[str]:
    """Tokens as a quote may keep them: no [cues], no 'eh'/'um', no word said twice in a row."""
    drop = {"eh", "ehm", "uh", "uhm", "um", "erm", "hmm"}
    out: list[str] = []
    for word in tokens(NO_SPEECH.sub(" ", text)):
        if word in drop or (out and out[-1] == word):
            continue
        out.append(word)
    return out


def stopwords(language: str) -> set[str]:
    """Function words and fillers of `language`, plus English ones (Dutch speech borrows them)."""
    words = set(STOPWORDS.get(language, "").split()) | set(FILLERS.get(language, "").split())
    return words | set(STOPWORDS["en"].split()) | set(FILLERS["en"].split())


def _same(word: str, topic_word: str) -> bool:
    """A word names a topic word when it is that word or an inflection of it (templates, guests)."""
    return word == topic_word or (word.startswith(topic_word) and len(word) - len(topic_word) <= 3)


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return bool(n) and any(
        all(_same(haystack[i + k], needle[k]) for k in range(n)) for i in range(len(haystack) - n + 1)
    )


# Metrics (pure) ----------------------------------------------------------------------------------


def topic_coverage(topics: list[str], story: str) -> float:
    """Share of topics the story names; "a|b" counts when either wording is there."""
    if not topics:
        return 1.0
    words = tokens(story)
    hit = sum(any(_contains(words, tokens(alt)) for alt in topic.split("|")) for topic in topics)
    return hit / len(topics)


def title_words(title: str, language: str) -> list[str]:
    stop = stopwords(language)
    return list(dict.fromkeys(w for w in tokens(title) if w not in stop and len(w) > 2 and not w.isdigit()))


def title_coverage(title: str, story: str, language: str) -> float:
    wanted = title_words(title, language)
    words = tokens(story)
    return sum(_contains(words, [w]) for w in wanted) / len(wanted) if wanted else 1.0


LEAD_IN_LIST = re.compile(r"^([^\W\d][\w' ]{1,30}): ([^.:]+)\.?$")


def unsupported(
    written: Iterable[str], sources: Iterable[str], language: str, own_wording: set[str]
) -> list[str]:
    """The sentences none of the sources holds: the transcript, and the publisher's description
    (the host's own words, which a blurb may use). newsroom's own wording does not count. A lead-in
    list ("Key subjects: a, b, c.") is held when each of its phrases is; its label is the mismatch
    metric's business, and its phrases' quality the filler metric's."""
    held_in = [" " + " ".join(spoken(source, language)) + " " for source in sources]

    def held(text: str) -> bool:
        words = f" {' '.join(spoken(text, language))} "
        return any(words in source for source in held_in)

    out = []
    for sentence in written:
        if not spoken(sentence, language) or " ".join(tokens(sentence)) in own_wording:
            continue
        listed = LEAD_IN_LIST.match(sentence)
        phrases = [p for p in listed.group(2).split(",") if p.strip()] if listed else []
        if not (all(held(p) for p in phrases) if len(phrases) > 1 else held(sentence)):
            out.append(sentence)
    return out


def repeated(groups: Iterable[Iterable[str]], min_words: int = 4) -> list[str]:
    """Sentences said again: the same words, or one sentence inside another of 6 words or more."""
    seen: list[str] = []
    again = []
    for text in (s for group in groups for g in group for s in sentences(g)):
        words = " ".join(tokens(text))
        if len(words.split()) < min_words:
            continue
        if any(
            words == other
            or (min(len(words.split()), len(other.split())) >= 6 and (words in other or other in words))
            for other in seen
        ):
            again.append(text)
        seen.append(words)
    return again


def filler_labels(labels: Iterable[str], language: str, share: float = 0.5) -> list[str]:
    """Labels mostly (more than `share` of their words) made of stopwords or spoken fillers."""
    stop = stopwords(language)
    out = []
    for label in labels:
        words = [w for w in tokens(label) if len(w) > 1]  # "U.S" is initials, not filler
        if words and sum(w in stop for w in words) / len(words) > share:
            out.append(label)
    return out


def language_mismatches(labels: Iterable[str], language: str, vocab: dict[str, set[str]]) -> list[str]:
    """Program labels whose words all belong to another language's wording and not to this one's.
    `vocab` is every language's words as newsroom writes them (`wording_vocabulary`)."""
    own = vocab.get(language, set())
    out = []
    for label in labels:
        words = set(tokens(label))
        if not words or words <= own:
            continue
        if any(words <= theirs for code, theirs in vocab.items() if code != language):
            out.append(label)
    return out


# What newsroom writes --------------------------------------------------------------------------------


def locale_strings() -> dict[str, list[str]]:
    """Every string of every built-in locale file, by language."""
    return {
        p.stem: list(text_values(tomllib.loads(p.read_text(encoding="utf-8"))))
        for p in LOCALES.glob("*.toml")
    }


def wording_vocabulary() -> dict[str, set[str]]:
    return {
        code: {w for s in texts for w in tokens(re.sub(r"\{\w+\}", " ", s))}
        for code, texts in locale_strings().items()
    }


def own_wording() -> set[str]:
    """newsroom's fixed sentences (locale phrases), as token strings, so support skips them."""
    return {" ".join(tokens(s)) for texts in locale_strings().values() for t in texts for s in sentences(t)}


NOT_PROSE = {"name", "title", "episode_id", "language", "backend", "prompt_version", "entities", "chapters"}


def prose_fields(summary: Summary) -> list[str]:
    """The summary's sentences: every text field but names, titles and entity lists."""
    data = summary.model_dump()
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, v in value.items():
                if key not in NOT_PROSE:
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and len(value.split()) > 6:
            out.append(value)

    walk(data)
    return out


def summary_labels(summary: Summary) -> list[str]:
    """Names, chapter titles, entity names, short list items and keyword lead-ins ("Themes: a, b")."""
    data = summary.model_dump()
    labels = [*(c["title"] for c in data["chapters"]), *text_values(data["entities"])]
    for value in data.values():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and "name" in item:
                    labels.append(item["name"])
                elif isinstance(item, str) and len(item.split()) <= 6:
                    labels.append(item)
    for text in text_values({k: v for k, v in data.items() if k not in NOT_PROSE}):
        labels += [m.group(2) for m in re.finditer(r"(?:^|\n|\. )([^\W\d][\w' ]{1,30}): ([^.:\n]+)\.", text)]
    return [label for label in labels if label.strip()]


def program_labels(markdown: str) -> list[str]:
    """Headings and lead-ins ("People: ...", "Themes: ...") of a rendered note or issue."""
    out = []
    for line in markdown.splitlines():
        heading = re.match(r"^#{2,6}\s+(?:\d+\.\s+)?(.+?)\s*$", line)
        if heading and not heading.group(1).startswith("["):  # a linked story title is the episode's
            out.append(heading.group(1))
        for m in re.finditer(r"(?:^|(?<=\. ))(?:- )?([^\W\d][\w' ]{1,30}):\s", line):
            out.append(m.group(1))
    return out


def speakers_as_things(entities: dict[str, list[str]], speakers: Iterable[str]) -> list[str]:
    """Names filed as anything but people (products, companies, ...) that are a speaker's name or
    part of it: speakers are never products."""
    names = [set(tokens(s)) - {"host", "guest"} for s in speakers]
    return [
        name
        for kind, found in entities.items()
        if kind != "people"
        for name in found
        if tokens(name) and any(set(tokens(name)) <= words for words in names if words)
    ]


INLINE_SPEAKER = re.compile(r"^([A-Z][\w'-]+(?: [A-Z][\w'-]+)?): ")


def speakers_of(segments: Iterable[tuple[str | None, str]]) -> set[str]:
    """Who speaks: the transcript's speaker labels, or a "Name: " at the start of a caption."""
    out = set()
    for speaker, text in segments:
        if speaker:
            out.add(speaker)
        elif m := INLINE_SPEAKER.match(text):
            out.add(m.group(1))
    return out
