"""Podcast feeds (RSS/Atom, with Podcasting 2.0 `<podcast:transcript>` links), and single media URLs."""

from __future__ import annotations

import calendar
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import feedparser

from newsroom.config import Settings, SourceConfig
from newsroom.models import Episode, stable_id
from newsroom.net import check_url
from newsroom.sources.article import fetch_article_text
from newsroom.sources.base import (
    MEDIA_EXTENSIONS,
    NOTHING_SEEN,
    Fetched,
    Seen,
    SourceError,
    SourceKind,
    base_for,
    is_web,
    media_episode,
    read_location,
)
from newsroom.sources.fetching import fetch_feed_transcript, fetch_media

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
FEED_SUFFIXES = (".xml", ".rss", ".atom")


class FeedKind(SourceKind):
    """A podcast feed, or one media file by URL."""

    name = "podcast"
    label = "Podcast"

    def detects(self, url: str) -> bool:
        if not is_web(url):
            return url.lower().endswith(FEED_SUFFIXES)
        path = urlparse(url).path.lower()
        return path.endswith(FEED_SUFFIXES) or "feed" in path or "rss" in path or is_media_url(url)

    def discover(self, source: SourceConfig, settings: Settings, seen: Seen = NOTHING_SEEN) -> list[Episode]:
        return discover_feed(source, settings)

    def fetch(self, episode: Episode, folder: Path, settings: Settings) -> Fetched:
        """The feed's transcript, else the audio; an item with neither is read as its page's text."""
        if not episode.media_url and not episode.transcript_urls:
            return fetch_article_text(episode, folder, settings)
        if episode.transcript_urls and (fetched := fetch_feed_transcript(episode, folder, settings)):
            return fetched
        return fetch_media(episode, folder, settings)

    def episode_for_url(self, url: str, settings: Settings) -> Episode:
        if is_media_url(url):
            check_url(url, settings.allow_private_network)
            return media_episode(url, Path(urlparse(url).path).stem or url)
        return super().episode_for_url(url, settings)


def is_media_url(url: str) -> bool:
    """An http(s) URL of an audio or video file."""
    return is_web(url) and Path(urlparse(url).path).suffix.lower() in MEDIA_EXTENSIONS


def discover_feed(source: SourceConfig, settings: Settings) -> list[Episode]:
    data = read_location(source.url, settings)
    parsed = feedparser.parse(data)
    transcripts = _podcast_transcripts(data)
    # feedparser recovers what it can from broken XML; an item with nothing to fetch (no enclosure,
    # link or transcript) is such debris, and a broken feed of only debris is refused.
    usable = [
        (index, entry)
        for index, entry in enumerate(parsed.entries)
        if _enclosure(entry) or entry.get("link") or transcripts.get(entry.get("id") or str(index))
    ]
    if parsed.bozo and not usable:
        raise SourceError(f"{source.url}: not a readable RSS/Atom feed ({parsed.get('bozo_exception')})")
    base = base_for(source.url, settings)
    feed_title = parsed.feed.get("title") or source.url
    language = source.language or (parsed.feed.get("language") or "").split("-")[0] or None
    episodes = []
    for index, entry in usable:
        enclosure = _enclosure(entry)
        media_url = urljoin(base, enclosure["href"]) if enclosure else None
        guid = entry.get("id") or ""
        key = guid or media_url or entry.get("link") or entry.get("title", "")
        page = entry.get("link") or media_url or source.url
        episodes.append(
            Episode(
                id=stable_id("pod", source.url if not guid else "", key),
                source_id=source.source_id,
                source_name=source.name or feed_title,
                kind="podcast",
                title=(entry.get("title") or "Untitled episode").strip(),
                url=urljoin(base, page),
                media_url=media_url,
                published=_entry_date(entry),
                duration=parse_duration(entry.get("itunes_duration")),
                author=entry.get("author"),
                description=_strip_html(entry.get("summary", ""))[:2000],
                thumbnail=(entry.get("image") or {}).get("href"),
                language=language,
                output_language=source.output_language,
                transcript_urls=[(urljoin(base, u), t) for u, t in transcripts.get(guid or str(index), [])],
            )
        )
    return episodes


def _enclosure(entry: Any) -> dict[str, Any] | None:
    return next(
        (link for link in entry.get("links", []) if link.get("rel") == "enclosure" and link.get("href")), None
    )


def _podcast_transcripts(data: bytes) -> dict[str, list[tuple[str, str]]]:
    """`<podcast:transcript>` links per item guid (feedparser keeps only the last one)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return {}
    out: dict[str, list[tuple[str, str]]] = {}
    for index, item in enumerate(root.iter("item")):
        guid = (item.findtext("guid") or "").strip() or str(index)
        links = [
            (el.get("url", ""), el.get("type", ""))
            for el in item.findall(f"{{{PODCAST_NS}}}transcript")
            if el.get("url")
        ]
        if links:
            out[guid] = links
    return out


def _entry_date(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def parse_duration(value: Any) -> float | None:
    """itunes:duration as seconds: '3725', '62:05' or '1:02:05'."""
    if value in (None, ""):
        return None
    try:
        parts = [float(p) for p in str(value).strip().split(":")]
    except ValueError:
        return None
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def _strip_html(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()
