"""YouTube channels, playlists and videos: cheap flat listing, then metadata per new video.

A channel page lists its videos newest first with titles but without dates, so every video that is
new to us costs one metadata request. Those requests are spaced (`youtube.request_interval`), capped
per run (`max_items`, else `max_episodes`), and never repeated for a video already in a newsletter
(not listed again) or already in the library (its stored metadata is reused).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from newsroom import ytdlp
from newsroom.config import Settings, SourceConfig
from newsroom.models import Episode
from newsroom.net import check_url
from newsroom.selection import filter_reason
from newsroom.sources import chapters_from


class Pacer:
    """At least `interval` seconds between the starts of consecutive calls to `wait()` (thread-safe)."""

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._last: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            if self._last is not None and now - self._last < self.interval:
                self.sleep(self.interval - (now - self._last))
            self._last = self.clock()


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
    pacer = Pacer(yt.request_interval)
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
        previous = stored(episode_id) if stored is not None else None
        if previous is not None and previous.published is not None:
            episodes.append(previous)  # metadata fetched on an earlier run: no request
        else:
            cheap = episode_from_info(entry, source, url)
            info: dict[str, Any] = entry
            # A title or length the source's filters drop needs no metadata request; selection reports it.
            if (
                not filter_reason(cheap, source)
                and not entry.get("upload_date")
                and not entry.get("timestamp")
            ):
                pacer.wait()
                try:
                    info = {
                        **entry,
                        **ytdlp.extract(url, sleep=yt.request_interval, cookies_file=yt.cookies_file),
                    }
                except ytdlp.MediaUnavailableError:
                    info = entry  # the fetch stage fails this one with the reason
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
