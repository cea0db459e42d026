"""Transcripts that already exist: feed transcripts (VTT, SRT, JSON) and YouTube captions (json3, vtt).

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


class CaptionError(ValueError):
    """A transcript or caption file that cannot be read."""


def parse_transcript(data: str, fmt: str) -> list[Segment]:
    """Parse a transcript in `fmt` (vtt, srt, json, json3, or a MIME type naming one)."""
    kind = normalize_format(fmt, data)
    if kind == "vtt":
        segments = parse_vtt(data)
    elif kind == "srt":
        segments = parse_srt(data)
    elif kind == "json3":
        segments = parse_json3(data)
    elif kind == "json":
        segments = parse_podcast_json(data)
    else:
        raise CaptionError(f"unsupported transcript format {fmt!r}")
    segments = [s for s in segments if s.text]
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
    return [
        Segment(
            start=c.start_time.in_milliseconds() / 1000,
            end=c.end_time.in_milliseconds() / 1000,
            text=_clean(c.raw_text),
        )
        for c in captions.captions
    ]


def parse_srt(data: str) -> list[Segment]:
    # SRT is WebVTT with commas in timestamps and numeric cue ids; convert and reuse the VTT parser.
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


def parse_podcast_json(data: str) -> list[Segment]:
    """The Podcasting 2.0 JSON transcript: {"segments": [{"startTime", "endTime", "body"}]}."""
    try:
        items = json.loads(data).get("segments", [])
        return [
            Segment(
                start=float(s["startTime"]),
                end=float(s.get("endTime", s["startTime"])),
                text=_clean(s["body"]),
            )
            for s in items
        ]
    except (json.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise CaptionError(f"malformed JSON transcript: {exc}") from exc


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
        out.append(Segment(start=seg.start, end=max(seg.end, seg.start), text=text))
    # Rolling cues overlap in time; make each end where the next begins.
    for i in range(len(out) - 1):
        if out[i].end > out[i + 1].start:
            out[i] = Segment(start=out[i].start, end=out[i + 1].start, text=out[i].text)
    return out


def longest_overlap(tail: list[str], head: list[str]) -> int:
    """Length of the longest suffix of `tail` that equals a prefix of `head`."""
    for k in range(min(len(tail), len(head)), 0, -1):
        if tail[-k:] == head[:k]:
            return k
    return 0
