"""YouTube channels, playlists and videos: cheap flat listing, then metadata per new video.

A channel page lists its videos newest first with titles but without dates, so every video that is
new to us costs one metadata request. Those requests are spaced (`youtube.request_interval`), capped
per run (`max_items`, else `max_episodes`), and never repeated for a video already in a newsletter
(not listed again) or already in the library (its stored metadata is reused).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from newsroom.config import Settings, SourceConfig
from newsroom.models import Chapter, Episode
from newsroom.net import check_url
from newsroom.selection import filter_reason
from newsroom.sources import ytdlp
from newsroom.sources.base import NOTHING_SEEN, Fetched, Known, Seen, SourceKind, Stored
from newsroom.sources.fetching import fetch_media


class YouTubeKind(SourceKind):
    """A YouTube channel, playlist or video."""

    name = "youtube"
    label = "YouTube"

    def detects(self, url: str) -> bool:
        return (urlparse(url).hostname or "").lower().endswith(("youtube.com", "youtu.be"))

    def discover(self, source: SourceConfig, settings: Settings, seen: Seen = NOTHING_SEEN) -> list[Episode]:
        return discover_youtube(source, settings, seen.known, seen.stored)

    def fetch(self, episode: Episode, folder: Path, settings: Settings) -> Fetched:
        """Captions in the spoken language, else the audio (which needs a JavaScript runtime)."""
        captions = fetch_captions(episode, folder, settings)
        if captions:
            return captions
        if not ytdlp.deno_available():
            # Without a JavaScript runtime YouTube's audio formats are missing or throttled (403):
            # captions were the route that still works, and this video has none.
            raise ytdlp.MediaUnavailableError(
                f"no captions in {episode.language or 'the expected languages'}, and downloading "
                f"YouTube audio needs a JavaScript runtime: {ytdlp.DENO_HINT}"
            )
        return fetch_media(episode, folder, settings)

    def episode_for_url(self, url: str, settings: Settings) -> Episode:
        info = ytdlp.extract(
            url, cookies_file=settings.youtube.cookies_file, network=settings.allow_private_network
        )
        return episode_from_info(info, SourceConfig(url=url, kind=self.name), url)


def discover_youtube(
    source: SourceConfig,
    settings: Settings,
    known: Known | None = None,
    stored: Stored | None = None,
) -> list[Episode]:
    """Up to the per-run maximum of new videos, with full metadata; `known(id)`: already sent, skip."""
    yt = settings.youtube
    limit = source.max_items or settings.max_episodes
    check_url(source.url, settings.allow_private_network)
    network = settings.allow_private_network
    flat = ytdlp.list_flat(source.url, limit=limit * 2, cookies_file=yt.cookies_file, network=network)
    episodes: list[Episode] = []
    with ytdlp.MetadataSession(yt.request_interval, yt.cookies_file, network) as session:
        for entry in flat:
            if len(episodes) >= limit:
                break
            episode = _episode_for(entry, source, session, known, stored)
            if episode is not None:
                episodes.append(episode)
    return episodes


def _episode_for(
    entry: dict[str, Any],
    source: SourceConfig,
    session: ytdlp.MetadataSession,
    known: Known | None,
    stored: Stored | None,
) -> Episode | None:
    """One listed video: None if already sent, stored metadata if seen before, else one request."""
    video_id = entry.get("id")
    if not video_id:
        return None
    episode_id = f"yt-{video_id}"
    if known is not None and known(episode_id):
        return None  # done before: not listed again
    previous = stored(episode_id) if stored is not None else None
    if previous is not None and previous.published is not None:
        return previous  # metadata fetched on an earlier run: no request
    url = entry.get("webpage_url") or entry.get("url") or ""
    if not str(url).startswith("http"):
        url = f"https://www.youtube.com/watch?v={video_id}"
    cheap = episode_from_info(entry, source, url)
    # A title or length the source's filters drop needs no request (selection reports it), nor does
    # an entry the listing already dated.
    if filter_reason(cheap, source) or entry.get("upload_date") or entry.get("timestamp"):
        return cheap
    try:
        return episode_from_info({**entry, **session.extract(url)}, source, url)
    except ytdlp.MediaUnavailableError:
        return cheap  # the fetch stage fails this one with the reason


def episode_from_info(info: dict[str, Any], source: SourceConfig, url: str) -> Episode:
    video_id = str(info.get("id"))
    return Episode(
        id=f"yt-{video_id}",
        source_id=source.source_id,
        source_name=source.name or info.get("channel") or info.get("uploader") or "YouTube",
        kind="youtube",
        title=str(info.get("title") or video_id),
        url=url,
        media_url=url,
        published=published_at(info),
        duration=info.get("duration"),
        views=info.get("view_count"),
        author=info.get("channel") or info.get("uploader"),
        description=str(info.get("description") or "")[:5000],
        thumbnail=info.get("thumbnail"),
        chapters=chapters_from(info),
        # The video's own language when YouTube states it, so the source's language filter can act.
        language=info.get("language") or source.language,
        output_language=source.output_language,
        video_id=video_id,
    )


def published_at(info: dict[str, Any]) -> datetime | None:
    if info.get("timestamp"):
        return datetime.fromtimestamp(int(info["timestamp"]), UTC)
    if info.get("upload_date"):
        return datetime.strptime(str(info["upload_date"]), "%Y%m%d").replace(tzinfo=UTC)
    return None


def chapters_from(info: dict[str, Any]) -> list[Chapter]:
    return [
        Chapter(start=float(c.get("start_time") or 0), title=str(c.get("title") or "").strip())
        for c in info.get("chapters") or []
        if c.get("title")
    ]


def fetch_captions(episode: Episode, folder: Path, settings: Settings) -> Fetched | None:
    """Manual subtitles, else automatic captions, in the episode's spoken language (never a translation)."""
    check_url(episode.url, settings.allow_private_network)
    found = ytdlp.download_subtitles(
        episode.url,
        folder,
        "captions",
        episode.language,
        [settings.language, "en"],
        cookies_file=settings.youtube.cookies_file,
        network=settings.allow_private_network,
    )
    if not found:
        return None
    path, kind, _language = found
    return Fetched(episode_id=episode.id, captions=str(path), captions_format=kind)
