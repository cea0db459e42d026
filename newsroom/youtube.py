"""YouTube channels, playlists and videos: cheap flat listing, then metadata per new video."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from newsroom import ytdlp
from newsroom.config import Settings, SourceConfig
from newsroom.models import Episode
from newsroom.sources import chapters_from

# Seconds between metadata requests: YouTube rate-limits eager clients (HTTP 429).
POLITE_SLEEP = 1.0


def discover_youtube(
    source: SourceConfig, settings: Settings, known: Callable[[str], bool] | None = None
) -> list[Episode]:
    limit = source.max_items or settings.max_episodes
    flat = ytdlp.list_flat(source.url, limit=limit * 2, sleep=0)
    episodes: list[Episode] = []
    for entry in flat:
        video_id = entry.get("id")
        if not video_id:
            continue
        episode_id = f"yt-{video_id}"
        if known is not None and known(episode_id):
            continue  # done before: not listed again
        url = entry.get("webpage_url") or entry.get("url") or f"https://www.youtube.com/watch?v={video_id}"
        if not str(url).startswith("http"):
            url = f"https://www.youtube.com/watch?v={video_id}"
        info: dict[str, Any] = entry
        if not entry.get("upload_date") and not entry.get("timestamp"):
            try:
                info = {**entry, **ytdlp.extract(url, sleep=POLITE_SLEEP)}
            except ytdlp.MediaUnavailableError:
                info = entry  # the fetch stage will fail this one with the reason
        episodes.append(episode_from_info(info, source, url))
        if len(episodes) >= limit:
            break
    return episodes


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
        language=source.language or info.get("language"),
        output_language=source.output_language,
        video_id=video_id,
    )


def published_at(info: dict[str, Any]) -> datetime | None:
    if info.get("timestamp"):
        return datetime.fromtimestamp(int(info["timestamp"]), UTC)
    if info.get("upload_date"):
        return datetime.strptime(str(info["upload_date"]), "%Y%m%d").replace(tzinfo=UTC)
    return None
