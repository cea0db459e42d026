"""yt-dlp as a library: flat listings, metadata, audio and subtitles, with safe options.

File names come from ids, never titles; no `--exec`; requests are spaced politely. Every request,
redirect hop and connection is held to the address policy (`network`, i.e. `allow_private_network`)
by `newsroom.sources.ytdlp_guard`. YouTube now needs a JavaScript runtime (deno) plus the yt-dlp-ejs
scripts for full support.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsroom.ffmpeg import ffmpeg_exe
from newsroom.net import AllowPrivate, NetworkPolicy, UnsafeURLError

if TYPE_CHECKING:  # yt-dlp takes ~1.3 s to import: it loads when a source first needs it
    from newsroom.sources.ytdlp_guard import GuardedYoutubeDL

log = logging.getLogger("newsroom.sources.ytdlp")


class MediaUnavailableError(Exception):
    """The item cannot be fetched: private, removed, geo-blocked, bot check, HTTP error, no media."""


# yt-dlp's messages for common failures (as YouTube and yt-dlp word them), and what we tell the user.
# Order matters: "Private video. Sign in if you've been granted access" must not read as a bot check.
_REASONS = [
    (r"private video", "private video"),
    (r"members.only|join this channel", "members-only video; set youtube.cookies_file to a member's cookies"),
    (
        r"confirm your age|age.restricted|inappropriate for some users",
        "age-restricted; set youtube.cookies_file",
    ),
    (
        r"not available in your country|not made this video available in your country|"
        r"not available from your location|geo.?restrict",
        "geo-blocked in this region",
    ),
    (
        r"sign in to confirm|not a bot|captcha",
        "YouTube asked for a bot check; set youtube.cookies_file (see yt-dlp's FAQ on cookies) or retry later",
    ),
    (
        r"try again later|rate.?limit|HTTP Error 429|too many requests",
        "rate limited by the site; retried next run",
    ),
    (
        r"premieres in|live event will begin|this live event|is_upcoming",
        "not out yet (upcoming premiere or live)",
    ),
    (
        r"video unavailable|has been removed|no longer available|does not exist|account .* terminated|"
        r"HTTP Error 410",
        "removed or unavailable",
    ),
    (r"DRM protected", "DRM-protected, cannot be downloaded"),
    (r"did not get any data blocks|downloaded file is empty", "the source served an empty file (0 bytes)"),
    (r"HTTP Error 403", "HTTP 403 forbidden (YouTube: often a bot check or a missing JavaScript runtime)"),
    (r"HTTP Error 404", "HTTP 404 not found"),
    (r"HTTP Error 5\d\d", "server error at the source; retried next run"),
    (
        r"Unsupported URL|no video formats|no suitable formats|Requested format is not available|"
        r"no formats found",
        "no downloadable media at this URL",
    ),
]


def failure(exc: BaseException) -> Exception:
    """What a yt-dlp failure means for the report: the guard's refusal (with the refused address) as
    UnsafeURLError, anything else as MediaUnavailableError with `explain`'s reason."""
    from newsroom.sources.ytdlp_guard import unsafe_cause

    refused = unsafe_cause(exc)
    if refused is not None:
        return UnsafeURLError(str(refused))
    # Fragment downloaders (HLS, DASH) report a refused fragment only as text.
    if match := re.search(r"refused to connect to .*? in newsroom\.toml", str(exc)):
        return UnsafeURLError(match.group(0))
    return MediaUnavailableError(explain(exc))


def youtube_dl(opts: dict[str, Any], network: AllowPrivate | NetworkPolicy) -> GuardedYoutubeDL:
    """The only way newsroom makes a YoutubeDL: guarded by the address policy."""
    from newsroom.sources.ytdlp_guard import GuardedYoutubeDL

    return GuardedYoutubeDL(opts, policy=NetworkPolicy.of(network))


def explain(exc: BaseException) -> str:
    """A short reason for the run report: what happened, in words a user can act on, plus yt-dlp's text."""
    message = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).replace("ERROR: ", "").strip()
    message = re.sub(r"\s+", " ", message)
    for pattern, reason in _REASONS:
        if re.search(pattern, message, re.IGNORECASE):
            return f"{reason} ({message[:160]})"
    return message[:300]


def deno_available() -> bool:
    """yt-dlp enables only deno by default for YouTube's JavaScript challenges."""
    return shutil.which("deno") is not None


DENO_HINT = (
    "install deno (https://deno.land, or your package manager) so yt-dlp can solve YouTube's "
    "JavaScript challenge"
)


def youtube_runtime_warning() -> str | None:
    """A start-up note when YouTube's JavaScript challenge cannot be solved here."""
    if deno_available():
        return None
    return (
        "deno is not installed: yt-dlp needs a JavaScript runtime to download YouTube audio; "
        f"{DENO_HINT}. Until then YouTube videos are transcribed from their captions only, and a "
        "video without captions fails with this reason (and is retried on the next run)."
    )


def base_options(quiet: bool = True, sleep: float = 0.0, cookies_file: str | None = None) -> dict[str, Any]:
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
        # yt-dlp sleeps this long before every request of this instance but its first (--sleep-requests).
        opts["sleep_interval_requests"] = sleep
    if cookies_file:
        opts["cookiefile"] = str(Path(cookies_file).expanduser())
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


def list_flat(
    url: str, limit: int, cookies_file: str | None = None, network: AllowPrivate | NetworkPolicy = False
) -> list[dict[str, Any]]:
    """Entries of a channel, playlist or feed without visiting each (cheap): id, url, title."""
    from yt_dlp.utils import DownloadError, unsmuggle_url

    opts = base_options(cookies_file=cookies_file) | {
        "extract_flat": "in_playlist",
        "playlistend": limit,
        "skip_download": True,
    }
    try:
        with youtube_dl(opts, network) as ydl:
            info = ydl.extract_info(url, download=False)
    except DownloadError as exc:
        raise failure(exc) from exc
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


def extract(
    url: str,
    sleep: float = 0.0,
    cookies_file: str | None = None,
    network: AllowPrivate | NetworkPolicy = False,
) -> dict[str, Any]:
    """Full metadata of one item, no download."""
    with MetadataSession(sleep=sleep, cookies_file=cookies_file, network=network) as session:
        return session.extract(url)


class MetadataSession:
    """Full metadata of several items through one yt-dlp instance, so `sleep` seconds separate every
    request it makes (yt-dlp's `--sleep-requests`), across items as well as within one.

        with MetadataSession(sleep=2) as session:
            info = session.extract(url)
    """

    def __init__(
        self,
        sleep: float = 0.0,
        cookies_file: str | None = None,
        network: AllowPrivate | NetworkPolicy = False,
    ):
        opts = base_options(sleep=sleep, cookies_file=cookies_file) | {
            "skip_download": True,
            "noplaylist": True,
        }
        self.ydl = youtube_dl(opts, network)

    def __enter__(self) -> MetadataSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.ydl.close()

    def extract(self, url: str) -> dict[str, Any]:
        from yt_dlp.utils import DownloadError

        try:
            info = self.ydl.extract_info(url, download=False)
        except DownloadError as exc:
            raise failure(exc) from exc
        if not info:
            raise MediaUnavailableError(f"{url}: yt-dlp found nothing")
        return dict(self.ydl.sanitize_info(info))


def download_audio(
    url: str,
    dest_dir: Path,
    name: str,
    progress: Any = None,
    cookies_file: str | None = None,
    network: AllowPrivate | NetworkPolicy = False,
) -> Path:
    """Best audio of one item to `dest_dir/name.<ext>` (`name` is an id, never a title); returns the file."""
    from yt_dlp.utils import DownloadError

    dest_dir.mkdir(parents=True, exist_ok=True)
    opts = base_options(cookies_file=cookies_file) | {
        "format": "bestaudio/best",
        "outtmpl": {"default": str(dest_dir / f"{name}.%(ext)s")},
        "noplaylist": True,
        "overwrites": True,
        "continuedl": True,
        "progress_hooks": [progress] if progress else [],
    }
    try:
        with youtube_dl(opts, network) as ydl:
            info = ydl.extract_info(url, download=True)
    except DownloadError as exc:
        raise failure(exc) from exc
    if not info:
        raise MediaUnavailableError(f"{url}: nothing downloaded")
    files = [p for p in dest_dir.glob(f"{name}.*") if not p.name.endswith((".part", ".ytdl", ".json"))]
    if not files:
        raise MediaUnavailableError(f"{url}: download produced no file")
    return max(files, key=lambda p: p.stat().st_mtime)


# Captions ---------------------------------------------------------------------------------------------

CAPTION_FORMATS = ("json3", "vtt", "srt")  # what newsroom.transcripts.captions parses, best first


def _lang_matches(key: str, language: str) -> bool:
    """'nl' matches 'nl', 'nl-NL' and 'nl-BE'; not 'nl-orig' (handled apart) or 'nld'."""
    return key == language or (key.startswith(language + "-") and not key.endswith("-orig"))


def choose_captions(
    info: dict[str, Any], language: str | None, fallbacks: list[str]
) -> tuple[str, str, dict[str, Any]] | None:
    """Pure: (language, "manual"|"auto", track) of the best captions for transcribing, or None.

    Manual subtitles in the spoken language first, then automatic captions in that language. YouTube
    also offers automatic *translations* into every language; yt-dlp marks the original track
    '<lang>-orig', so a plain auto track is taken only when no track is marked original. When the
    spoken language is unknown, manual ones in `fallbacks` are taken, then the original auto track.
    """

    def best_format(tracks: list[dict[str, Any]]) -> dict[str, Any] | None:
        by_ext = {t.get("ext"): t for t in tracks if t.get("url")}
        return next((by_ext[ext] for ext in CAPTION_FORMATS if ext in by_ext), None)

    manual: dict[str, list[dict[str, Any]]] = info.get("subtitles") or {}
    auto: dict[str, list[dict[str, Any]]] = info.get("automatic_captions") or {}
    manual = {k: v for k, v in manual.items() if k != "live_chat"}
    language = language.split("-")[0].lower() if language else None
    wanted = [language] if language else list(dict.fromkeys(fallbacks))
    for lang in wanted:
        for key in sorted(manual, key=lambda k: (k != lang, k)):
            if _lang_matches(key, lang) and (track := best_format(manual[key])):
                return key, "manual", track
    originals = [k for k in auto if k.endswith("-orig")]
    # Without an '-orig' mark (other sites, older videos) the plain track is the original.
    candidates = ([f"{language}-orig"] + ([] if originals else [language])) if language else originals
    for key in candidates:
        if key in auto and (track := best_format(auto[key])):
            return key.removesuffix("-orig"), "auto", track
    return None


def download_subtitles(
    url: str,
    dest_dir: Path,
    name: str,
    language: str | None,
    fallbacks: list[str],
    cookies_file: str | None = None,
    network: AllowPrivate | NetworkPolicy = False,
) -> tuple[Path, str, str] | None:
    """The best captions (see `choose_captions`) to `dest_dir/name.<lang>.<ext>`: (file, kind, language).

    One metadata request, then one request for the chosen track, both through yt-dlp (its cookies,
    headers and proxy settings); None when the video has no usable captions.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    opts = base_options(cookies_file=cookies_file) | {"skip_download": True, "noplaylist": True}
    try:
        with youtube_dl(opts, network) as ydl:
            info = ydl.extract_info(url, download=False)
            chosen = choose_captions(info or {}, language, fallbacks)
            if chosen is None:
                return None
            lang, kind, track = chosen
            data = ydl.urlopen(track["url"]).read()
    except Exception as exc:  # DownloadError, and yt-dlp's networking errors when fetching the track
        raise failure(exc) from exc
    safe_lang = re.sub(r"[^A-Za-z0-9-]", "", lang)[:20] or "und"
    path = dest_dir / f"{name}.{safe_lang}.{track['ext']}"
    path.write_bytes(data)
    return path, f"{kind}:{track['ext']}", lang
