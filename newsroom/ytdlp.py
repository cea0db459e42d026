"""yt-dlp as a library: flat listings, metadata, audio and subtitles, with safe options.

File names come from ids, never titles; no `--exec`; requests are spaced politely. YouTube now
needs a JavaScript runtime (deno) plus the yt-dlp-ejs scripts for full support.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path
from typing import Any

import yt_dlp
from yt_dlp.utils import DownloadError, unsmuggle_url

from newsroom.media import ffmpeg_exe

log = logging.getLogger("newsroom.ytdlp")


class MediaUnavailableError(Exception):
    """The item cannot be fetched: private, removed, geo-blocked, bot check, HTTP error, no media."""


# yt-dlp's messages for common failures, and what we tell the user.
_REASONS = [
    (r"private video", "private video"),
    (r"video unavailable|has been removed|no longer available|does not exist", "removed or unavailable"),
    (r"not available in your country|geo.?restrict", "geo-blocked in this region"),
    (r"sign in to confirm|not a bot", "YouTube asked for a bot check (sign-in); try cookies or later"),
    (r"members.only|join this channel", "members-only"),
    (r"HTTP Error 403", "HTTP 403 forbidden"),
    (r"HTTP Error 404", "HTTP 404 not found"),
    (r"HTTP Error 429", "HTTP 429 rate limited"),
    (
        r"Unsupported URL|no video formats|no suitable formats|Requested format is not available",
        "no downloadable media at this URL",
    ),
]


def explain(exc: BaseException) -> str:
    message = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).replace("ERROR: ", "").strip()
    for pattern, reason in _REASONS:
        if re.search(pattern, message, re.IGNORECASE):
            return f"{reason} ({message[:160]})"
    return message[:300]


def deno_available() -> bool:
    return shutil.which("deno") is not None


def youtube_runtime_warning() -> str | None:
    """A start-up note when YouTube's JavaScript challenge cannot be solved here."""
    if deno_available():
        return None
    return (
        "deno is not installed: yt-dlp needs a JavaScript runtime for full YouTube support "
        "(install it from https://deno.land or your package manager). Until then newsroom uses "
        "captions where YouTube still serves them, and downloads may fail."
    )


def base_options(quiet: bool = True, sleep: float = 0.0) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "quiet": quiet,
        "no_warnings": quiet,
        "noprogress": True,
        "restrictfilenames": True,
        "windowsfilenames": True,
        "ffmpeg_location": ffmpeg_exe(),
        "socket_timeout": 30,
        "retries": 3,
        "fragment_retries": 3,
        "noplaylist": False,
        "logger": _QuietLogger() if quiet else None,
    }
    if sleep:
        opts["sleep_interval_requests"] = sleep
    return {k: v for k, v in opts.items() if v is not None}


class _QuietLogger:
    def debug(self, msg: str) -> None:
        pass

    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        if "generic information extractor" not in msg:
            log.debug("yt-dlp: %s", msg)

    def error(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)


def list_flat(url: str, limit: int, sleep: float = 0.0) -> list[dict[str, Any]]:
    """Entries of a channel, playlist or feed without visiting each (cheap): id, url, title."""
    opts = base_options(sleep=sleep) | {
        "extract_flat": "in_playlist",
        "playlistend": limit,
        "skip_download": True,
    }
    try:
        with yt_dlp.YoutubeDL(opts) as ydl:
            info = ydl.extract_info(url, download=False)
    except DownloadError as exc:
        raise MediaUnavailableError(explain(exc)) from exc
    if info is None:
        return []
    entries = info.get("entries")
    if entries is None:  # a single video
        return [info]
    out = []
    for entry in list(entries)[:limit]:
        if not entry:
            continue
        entry_id = entry.get("id")
        if not entry_id and entry.get("url"):
            # RSS entries listed flat carry their guid in the smuggled URL.
            _, data = unsmuggle_url(entry["url"], {})
            entry_id = data.get("force_videoid")
        out.append({**entry, "id": entry_id})
    return out


def extract(url: str, sleep: float = 0.0) -> dict[str, Any]:
    """Full metadata of one item, no download."""
    opts = base_options(sleep=sleep) | {"skip_download": True, "noplaylist": True}
    try:
        with yt_dlp.YoutubeDL(opts) as ydl:
            info = ydl.extract_info(url, download=False)
    except DownloadError as exc:
        raise MediaUnavailableError(explain(exc)) from exc
    if not info:
        raise MediaUnavailableError(f"{url}: yt-dlp found nothing")
    return dict(ydl.sanitize_info(info))


def download_audio(url: str, dest_dir: Path, name: str, progress: Any = None) -> Path:
    """Best audio of one item to `dest_dir/name.<ext>`; returns the file."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    opts = base_options() | {
        "format": "bestaudio/best",
        "outtmpl": {"default": str(dest_dir / f"{name}.%(ext)s")},
        "noplaylist": True,
        "overwrites": True,
        "continuedl": True,
        "progress_hooks": [progress] if progress else [],
    }
    try:
        with yt_dlp.YoutubeDL(opts) as ydl:
            info = ydl.extract_info(url, download=True)
    except DownloadError as exc:
        raise MediaUnavailableError(explain(exc)) from exc
    if not info:
        raise MediaUnavailableError(f"{url}: nothing downloaded")
    files = [p for p in dest_dir.glob(f"{name}.*") if not p.name.endswith((".part", ".ytdl", ".json"))]
    if not files:
        raise MediaUnavailableError(f"{url}: download produced no file")
    return max(files, key=lambda p: p.stat().st_mtime)


def download_subtitles(url: str, dest_dir: Path, name: str, languages: list[str]) -> tuple[Path, str] | None:
    """Manual subtitles first, then automatic captions, in one of `languages`; (file, kind) or None."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    for automatic in (False, True):
        opts = base_options() | {
            "skip_download": True,
            "writesubtitles": not automatic,
            "writeautomaticsub": automatic,
            "subtitleslangs": languages,
            "subtitlesformat": "json3/vtt/best",
            "outtmpl": {"default": str(dest_dir / f"{name}.%(ext)s")},
            "noplaylist": True,
        }
        try:
            with yt_dlp.YoutubeDL(opts) as ydl:
                info = ydl.extract_info(url, download=True)
        except DownloadError as exc:
            raise MediaUnavailableError(explain(exc)) from exc
        subs = (info or {}).get("requested_subtitles") or {}
        for lang in languages:
            entry = subs.get(lang)
            if entry and entry.get("filepath") and Path(entry["filepath"]).exists():
                return Path(entry["filepath"]), ("auto" if automatic else "manual") + ":" + entry.get(
                    "ext", ""
                )
    return None
