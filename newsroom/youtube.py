"""YouTube channels, playlists and videos: cheap flat listing, then metadata per new video.

A channel page lists its videos newest first with titles but without dates, so every video that is
new to us costs one metadata request. Those requests are spaced (`youtube.request_interval`), capped
per run (`max_items`, else `max_episodes`), and never repeated for a video already in a newsletter
(not listed again) or already in the library (its stored metadata is reused).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from newsroom import ytdlp
from newsroom.config import Settings, SourceConfig
from newsroom.models import Episode
from newsroom.net import check_url
from newsroom.selection import filter_reason
from newsroom.sources import chapters_from


def discover_youtube(
    source: SourceConfig,
    settings: Settings,
    known: Callable[[str], bool] | None = None,
    stored: Callable[[str], Episode | None] | None = None,
) -> list[Episode]:
    """Up to the per-run maximum of new videos, with full metadata; `known(id)`: already sent, skip."""
    yt = settings.youtube
    limit = source.max_items or settings.max_episodes
    check_url(source.url, settings.allow_private_network)
    flat = ytdlp.list_flat(source.url, limit=limit * 2, cookies_file=yt.cookies_file)
    episodes: list[Episode] = []
    with ytdlp.MetadataSession(sleep=yt.request_interval, cookies_file=yt.cookies_file) as session:
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
    known: Callable[[str], bool] | None,
    stored: Callable[[str], Episode | None] | None,
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
