"""The Podcasting 2.0 transcript forms beyond captions: JSON (sentences or single words), HTML
(`<cite>`/`<time>`/`<p>`) and plain text, and the speaker labels every form may carry.

A speaker label is who talks, not what is said: it goes to `Segment.speaker` and out of the text.
Sources label a turn once, when the speaker changes, so a label holds until the next one.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from html.parser import HTMLParser

from newsroom.models import Segment


class TranscriptFormatError(ValueError):
    """A transcript file that cannot be read as the form it claims to be."""


# "Sarah:", "Darth Vader:", "Dr. Jan de Vries:", "SPEAKER 1:" at the start of a cue or paragraph.
# At most four words, each capitalised or a name particle, so "So what I mean: ..." stays text.
_PARTICLES = r"(?:de|van|der|den|von|la|le|da|di|du|del|ter|ten|'t)"
_NAME_WORD = r"(?:[A-Z\u00c0-\u00de][\w'’.\-]*|\d+)"
_LABEL = re.compile(
    rf"^\s*(?:>>\s*)?(?P<name>{_NAME_WORD}(?:\s+(?:{_PARTICLES}|{_NAME_WORD})){{0,3}})\s*:\s+(?=\S)"
)
# Words that start a sentence followed by a colon but name nobody.
_NOT_NAMES = {
    "note", "update", "warning", "question", "answer", "example", "tip", "step", "edit", "ps", "today",
    "now", "so", "yes", "no", "well", "here", "remember", "first", "second", "third", "finally", "also",
    "but", "and", "okay", "ok", "listen", "look", "summary", "conclusion", "intro", "outro", "chapter",
    "vandaag", "nu", "dus", "ja", "nee", "let op", "vraag", "antwoord",
}  # fmt: skip


def split_speaker(text: str) -> tuple[str | None, str]:
    """(speaker, the rest) when `text` starts with a `Name:` label, else (None, text)."""
    match = _LABEL.match(text)
    if not match or len(match.group("name")) > 40 or match.group("name").lower() in _NOT_NAMES:
        return None, text
    return match.group("name").strip(), text[match.end() :]


def take_labels(texts: list[str]) -> list[tuple[str | None, str]]:
    """(speaker, words) for each cue or paragraph of one file. A `Name:` is taken for a speaker only
    when the file uses labels: some name labels two turns or more, or every paragraph is labelled.
    A lone "Today: Anthropic news." in a file without speakers stays words."""
    found = [split_speaker(t) for t in texts]
    names = Counter(name for name, _ in found if name)
    labelled = sum(names.values())
    if not (any(n >= 2 for n in names.values()) or (labelled >= 2 and labelled == len(texts))):
        return [(None, t) for t in texts]
    return found


def carry_speakers(segments: list[Segment]) -> list[Segment]:
    """Give an unlabelled segment the speaker of the one before it (labels mark changes of turn)."""
    out, current = [], None
    for seg in segments:
        current = seg.speaker or current
        out.append(seg if seg.speaker == current else seg.model_copy(update={"speaker": current}))
    return out


def parse_clock(value: str) -> float | None:
    """'0:53', '1:02:03', '00:01:42.5' -> seconds; None when it is not a time."""
    parts = value.strip().replace(",", ".").split(":")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    if not 1 <= len(numbers) <= 3:
        return None
    seconds = 0.0
    for n in numbers:
        seconds = seconds * 60 + n
    return seconds


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?…])\s+", text.strip()) if s.strip()]


def turn_segments(turns: list[tuple[float | None, str | None, str]]) -> list[Segment]:
    """Segments from (start or None, speaker, text) turns, cut into sentences for readable notes and
    quotable lines. A sentence gets its turn's start (the finest time the source gives); a turn ends
    where the next timed one starts. Without any time the segments sit at 0 s: untimed."""
    starts = [t for t, _, _ in turns if t is not None]
    out: list[Segment] = []
    for i, (start, speaker, text) in enumerate(turns):
        if start is None and starts:
            start = out[-1].start if out else 0.0
        at = start or 0.0
        later = [t for t, _, _ in turns[i + 1 :] if t is not None and t >= at]
        end = later[0] if later else at
        for sentence in sentences(text):
            out.append(Segment(start=at, end=max(end, at), text=sentence, speaker=speaker))
    return out


def parse_plain(data: str) -> list[Segment]:
    """Plain text: a paragraph (or line) is a turn, `Name:` at its start says who speaks."""
    blocks = [b for b in re.split(r"\n\s*\n", data.replace("\r\n", "\n")) if b.strip()]
    if len(blocks) == 1:  # no blank lines: every line is a turn
        blocks = [line for line in blocks[0].splitlines() if line.strip()] if blocks else []
    labels = take_labels([" ".join(block.split()) for block in blocks])
    return carry_speakers(turn_segments([(None, speaker, text) for speaker, text in labels]))


class _HTMLTranscript(HTMLParser):
    """Collects `<cite>` (speaker), `<time>` (start) and `<p>` (words) in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.turns: list[tuple[float | None, str | None, str]] = []
        self._tag: str | None = None
        self._buffer: list[str] = []
        self._speaker: str | None = None
        self._start: float | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("cite", "time", "p"):
            self._flush()
            self._tag = tag
            if tag == "time" and (stamp := dict(attrs).get("datetime")):
                self._start = parse_clock(stamp.removeprefix("PT").rstrip("S"))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._tag:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._tag:
            self._buffer.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._buffer).split())
        tag, self._tag, self._buffer = self._tag, None, []
        if not text:
            return
        if tag == "cite":
            self._speaker = text.rstrip(":").strip() or None
        elif tag == "time":
            self._start = parse_clock(text) if parse_clock(text) is not None else self._start
        elif tag == "p":
            self.turns.append((self._start, self._speaker, text))
            self._start = None  # a time belongs to the paragraph after it


def parse_html(data: str) -> list[Segment]:
    """The Podcasting 2.0 HTML transcript: `<cite>Name:</cite><time>0:00</time><p>words</p>`."""
    parser = _HTMLTranscript()
    parser.feed(data)
    parser.close()
    if not parser.turns:
        raise TranscriptFormatError("the HTML transcript has no <p> paragraphs")
    return turn_segments(parser.turns)


def _clean(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def parse_podcast_json(data: str) -> list[Segment]:
    """The Podcasting 2.0 JSON transcript: {"segments": [{"startTime", "endTime", "body", "speaker"}]}.
    Word-level files (one word per segment) are grouped into lines; each line starts at its first word."""
    try:
        items = json.loads(data).get("segments", [])
        segments = [
            Segment(
                start=float(s["startTime"]),
                end=float(s.get("endTime", s["startTime"])),
                text=_clean(str(s["body"])),
                speaker=(str(s["speaker"]).strip() or None) if s.get("speaker") else None,
            )
            for s in items
        ]
    except (json.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise TranscriptFormatError(f"malformed JSON transcript: {exc}") from exc
    return group_words(sorted((s for s in segments if s.text), key=lambda s: s.start))


def group_words(segments: list[Segment], max_words: int = 24, max_gap: float = 1.5) -> list[Segment]:
    """Join consecutive single-word segments into lines: a line ends at a sentence end, a change of
    speaker, a pause over `max_gap` seconds or `max_words` words. Multi-word segments stay as they are."""
    out: list[Segment] = []
    words: list[Segment] = []

    def close() -> None:
        if words:
            text = " ".join(w.text for w in words)
            out.append(Segment(start=words[0].start, end=words[-1].end, text=text, speaker=words[0].speaker))
            words.clear()

    for seg in segments:
        single = len(seg.text.split()) == 1
        if words and (
            not single
            or seg.speaker != words[-1].speaker
            or seg.start - words[-1].end > max_gap
            or len(words) >= max_words
        ):
            close()
        if not single:
            out.append(seg)
            continue
        words.append(seg)
        if seg.text.endswith((".", "!", "?", "…")):
            close()
    close()
    return out
