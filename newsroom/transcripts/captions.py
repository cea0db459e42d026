"""Transcripts that already exist: feed transcripts (VTT, SRT, JSON, HTML, plain text) and YouTube
captions (json3, vtt). Speakers (VTT `<v Name>`, `Name:` labels, JSON `speaker`, HTML `<cite>`) go to
`Segment.speaker`, never into the words.

YouTube's automatic captions roll: each cue repeats the words of the previous one and adds a few.
`remove_rolling_duplicates` keeps every spoken word once, at the time it was first shown.
"""

from __future__ import annotations

import json
import re
import unicodedata

import webvtt
from webvtt.errors import MalformedFileError

from newsroom.models import Segment
from newsroom.transcripts.formats import (
    TranscriptFormatError,
    carry_speakers,
    parse_html,
    parse_plain,
    parse_podcast_json,
    take_labels,
)


class CaptionError(TranscriptFormatError):
    """A transcript or caption file that cannot be read."""


def parse_transcript(data: str, fmt: str) -> list[Segment]:
    """Parse a transcript in `fmt` (vtt, srt, json, json3, html, plain, or a MIME type naming one)."""
    kind = normalize_format(fmt, data)
    parsers = {
        "vtt": parse_vtt,
        "srt": parse_srt,
        "json3": parse_json3,
        "json": parse_podcast_json,
        "html": parse_html,
        "plain": parse_plain,
    }
    if kind not in parsers:
        raise CaptionError(f"unsupported transcript format {fmt!r}")
    try:
        segments = [s for s in parsers[kind](data) if s.text]
    except CaptionError:
        raise
    except TranscriptFormatError as exc:
        raise CaptionError(str(exc)) from exc
    if not segments:
        raise CaptionError("the transcript has no text")
    return segments


def normalize_format(fmt: str, data: str = "") -> str:
    f = fmt.lower()
    if "vtt" in f:
        return "vtt"
    if "srt" in f or "subrip" in f:
        return "srt"
    if "json3" in f:
        return "json3"
    if "json" in f:
        return "json3" if '"events"' in data[:2000] else "json"
    if "html" in f or f == "htm":
        return "html"
    if "plain" in f or f in ("txt", "text"):
        return "plain"
    if data.lstrip().startswith("WEBVTT"):
        return "vtt"
    return f


def _clean(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text)  # inline timing and style tags
    text = re.sub(r"&nbsp;|\u00a0", " ", text)
    text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    return re.sub(r"\s+", " ", text).strip()


def parse_vtt(data: str) -> list[Segment]:
    try:
        captions = webvtt.from_string(data)
    except MalformedFileError as exc:
        raise CaptionError(f"malformed WebVTT: {exc}") from exc
    cues = captions.captions
    labels = take_labels([_clean(c.raw_text) for c in cues])
    segments = []
    for c, (speaker, text) in zip(cues, labels, strict=True):
        voice = _VOICE.search(c.raw_text)
        segments.append(
            Segment(
                start=c.start_time.in_milliseconds() / 1000,
                end=c.end_time.in_milliseconds() / 1000,
                text=text,
                speaker=(voice.group(1).strip() if voice else None) or speaker,
            )
        )
    return carry_speakers(segments)


# `<v Sarah>` or `<v.loud Sarah>`: the voice span's annotation is the speaker.
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")


def parse_srt(data: str) -> list[Segment]:
    # SRT is WebVTT with commas in timestamps and numeric cue ids; convert and reuse the VTT parser
    # (which also takes the `Name:` label off a cue's first line).
    body = re.sub(r"(\d{2}:\d{2}:\d{2}),(\d{3})", r"\1.\2", data.replace("\r\n", "\n"))
    return parse_vtt("WEBVTT\n\n" + body.strip() + "\n")


def parse_json3(data: str) -> list[Segment]:
    try:
        events = json.loads(data).get("events", [])
    except (json.JSONDecodeError, AttributeError) as exc:
        raise CaptionError(f"malformed json3 captions: {exc}") from exc
    segments = []
    for event in events:
        segs = event.get("segs")
        if not segs:
            continue
        text = _clean("".join(s.get("utf8", "") for s in segs))
        if not text:
            continue
        start = event.get("tStartMs", 0) / 1000
        segments.append(Segment(start=start, end=start + event.get("dDurationMs", 0) / 1000, text=text))
    return segments


def _norm_word(word: str) -> str:
    word = unicodedata.normalize("NFKC", word).lower()
    return re.sub(r"[^\w]", "", word)


def remove_rolling_duplicates(segments: list[Segment]) -> list[Segment]:
    """Drop words a cue repeats from the cues before it (YouTube auto-captions' rolling display)."""
    out: list[Segment] = []
    recent: list[str] = []  # normalized words already emitted, most recent last
    for seg in segments:
        words = seg.text.split()
        norm = [_norm_word(w) for w in words]
        overlap = longest_overlap(recent[-60:], norm)
        fresh = words[overlap:]
        if not fresh:
            continue
        recent.extend(norm[overlap:])
        text = " ".join(fresh)
        if out and out[-1].end > seg.start and out[-1].text == text:
            continue
        out.append(Segment(start=seg.start, end=max(seg.end, seg.start), text=text, speaker=seg.speaker))
    # Rolling cues overlap in time; make each end where the next begins.
    for i in range(len(out) - 1):
        if out[i].end > out[i + 1].start:
            out[i] = out[i].model_copy(update={"end": out[i + 1].start})
    return out


def longest_overlap(tail: list[str], head: list[str]) -> int:
    """Length of the longest suffix of `tail` that equals a prefix of `head`."""
    for k in range(min(len(tail), len(head)), 0, -1):
        if tail[-k:] == head[:k]:
            return k
    return 0
