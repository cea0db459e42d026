"""Fetch helpers the source kinds share: a feed's transcript file, and the audio (local or by yt-dlp)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from newsroom import progress
from newsroom.config import Settings
from newsroom.models import Episode
from newsroom.net import FetchError, check_url
from newsroom.sources import ytdlp
from newsroom.sources.base import Fetched, read_location

# Preference among several feed transcripts: timed formats first, then untimed text (still better
# than paying for speech-to-text, or waiting for it).
FORMAT_RANK = ["vtt", "srt", "json", "html", "plain"]

# Podcasting 2.0 names SRT `application/x-subrip` (some feeds say `application/srt`).
_MIME_HINTS = {"subrip": "srt", "srt": "srt", "vtt": "vtt", "json": "json", "html": "html", "plain": "plain"}
_SUFFIXES = {"vtt": "vtt", "srt": "srt", "json": "json", "html": "html", "htm": "html", "txt": "plain"}


def transcript_format(mime: str, url: str) -> str | None:
    """vtt, srt, json, html or plain, from a `<podcast:transcript>` type, else from the URL's suffix."""
    for hint, fmt in _MIME_HINTS.items():
        if hint in (mime or "").lower():
            return fmt
    suffix = Path(urlparse(url).path).suffix.lower().lstrip(".")
    return _SUFFIXES.get(suffix)


def _rank(pair: tuple[str, str]) -> int:
    fmt = transcript_format(pair[1], pair[0])
    return FORMAT_RANK.index(fmt) if fmt else len(FORMAT_RANK)


def fetch_feed_transcript(
    episode: Episode, folder: Path, settings: Settings
) -> tuple[Fetched | None, list[str]]:
    """The first readable `<podcast:transcript>` in FORMAT_RANK order (None if none can be read), and
    each one passed over with why."""
    fallbacks: list[str] = []
    for url, mime in sorted(episode.transcript_urls, key=_rank):
        fmt = transcript_format(mime, url)
        if fmt is None:
            fallbacks.append(f"transcript {url}: type {mime or '?'!r} is not one newsroom reads; skipped")
            continue
        try:
            data = read_location(_as_location(url), settings, max_bytes=20_000_000)
        except Exception as exc:
            fallbacks.append(f"transcript {url} ({fmt}) unreachable: {str(exc)[:300]}; trying the next")
            continue
        if problem := unreadable(data, fmt):
            fallbacks.append(f"transcript {url} ({fmt}) unreadable: {problem}; trying the next")
            continue
        path = folder / f"feed-transcript.{fmt}"
        path.write_bytes(data)
        fetched = Fetched(
            episode_id=episode.id, transcript=str(path), transcript_format=fmt, fallbacks=fallbacks
        )
        return fetched, fallbacks
    return None, fallbacks


def unreadable(data: bytes, fmt: str) -> str | None:
    """Why `data` cannot be a transcript of `fmt` (a cheap look; the transcript stage parses it)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    head = text.lstrip("\ufeff \r\n\t")[:4000]
    if not head.strip():
        return "empty"
    lowered = head.lower()
    if fmt != "html" and lowered.startswith(("<!doctype html", "<html")):
        return "an HTML page, not a transcript (a login or error page?)"
    checks = {
        "vtt": head.startswith("WEBVTT"),
        "srt": "-->" in head,
        "json": head.startswith("{") and '"segments"' in text,
        "html": "<p" in lowered,
        "plain": "\x00" not in head,
    }
    return None if checks.get(fmt, True) else f"does not look like {fmt}"


def _as_location(url: str) -> str:
    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.scheme == "file" else url


def local_path(url: str) -> Path | None:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme in ("", None):
        return Path(url)
    return None


def fetch_media(episode: Episode, folder: Path, settings: Settings) -> Fetched:
    """Audio for speech-to-text: a local file is used in place, a URL is downloaded with yt-dlp."""
    url = episode.media_url or episode.url
    path = local_path(url)
    if path is not None:
        if not path.is_file():
            raise FetchError(f"{path}: media file not found")
        return Fetched(episode_id=episode.id, media=str(path))
    check_url(url, settings.allow_private_network)
    for old in folder.glob("media.*"):
        if not old.name.endswith((".part", ".ytdl")) and old.stat().st_size > 0:
            return Fetched(episode_id=episode.id, media=str(old))  # downloaded on an earlier attempt
    hook = progress.ytdlp_hook(f"{episode.id}:download", f"download {episode.title[:40]}")
    cookies = settings.youtube.cookies_file if episode.kind == "youtube" else None
    file = ytdlp.download_audio(
        url, folder, "media", progress=hook, cookies_file=cookies, network=settings.allow_private_network
    )
    return Fetched(episode_id=episode.id, media=str(file))
