"""An Episode for one URL or path given on the command line or to the process-url flow."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from newsroom import ytdlp
from newsroom.config import MEDIA_EXTENSIONS, Settings, SourceConfig, detect_kind
from newsroom.models import Episode, stable_id
from newsroom.net import check_url
from newsroom.sources import SourceError, discover


def _media_episode(url: str, title: str, duration: float | None = None) -> Episode:
    """An episode whose media is the URL itself (a file, or a page yt-dlp finds media on)."""
    return Episode(
        id=stable_id("url", url),
        source_id="adhoc",
        source_name=urlparse(url).hostname or "web",
        kind="podcast",
        title=title,
        url=url,
        media_url=url,
        duration=duration,
    )


def episode_for_url(url: str, settings: Settings) -> Episode:
    kind = detect_kind(url)
    source = SourceConfig(url=url, kind=kind, name="")
    if kind == "youtube":
        from newsroom.youtube import episode_from_info

        return episode_from_info(ytdlp.extract(url, cookies_file=settings.youtube.cookies_file), source, url)
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https") and Path(parsed.path).suffix.lower() in MEDIA_EXTENSIONS:
        check_url(url, settings.allow_private_network)
        return _media_episode(url, Path(parsed.path).stem or url)
    if kind == "article" and parsed.scheme in ("http", "https"):
        # A web page may be an article, or a page with an <audio>/<video> element (yt-dlp's generic extractor).
        try:
            return discover(source, settings)[0]
        except Exception:
            info = ytdlp.extract(check_url(url, settings.allow_private_network))
            return _media_episode(url, str(info.get("title") or url), info.get("duration"))
    episodes = discover(source, settings)
    if not episodes:
        raise SourceError(f"{url}: nothing to process there")
    return episodes[0]
