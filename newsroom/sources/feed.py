"""Podcast feeds (RSS/Atom, with Podcasting 2.0 `<podcast:transcript>` links), and single media URLs."""

from __future__ import annotations

import calendar
import html
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

import feedparser

from newsroom.config import Settings, SourceConfig
from newsroom.models import Episode, stable_id
from newsroom.net import UnsafeURLError, check_url, source_link
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
        passed: list[str] = []
        if episode.transcript_urls:
            fetched, passed = fetch_feed_transcript(episode, folder, settings)
            if fetched:
                return fetched
            passed.append("no listed transcript could be read: speech-to-text on the audio")
        return fetch_media(episode, folder, settings).model_copy(update={"fallbacks": passed})

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
    transcripts = _podcast_transcripts(data, [entry.get("id") or "" for entry in parsed.entries])
    # feedparser recovers what it can from broken XML; an item with nothing to fetch (no enclosure,
    # link or transcript) is such debris, and a broken feed of only debris is refused.
    usable = [
        (index, entry)
        for index, entry in enumerate(parsed.entries)
        if _enclosure(entry) or entry.get("link") or transcripts.get(index)
    ]
    if parsed.bozo and not usable:
        raise SourceError(f"{source.url}: not a readable RSS/Atom feed ({parsed.get('bozo_exception')})")
    base = base_for(source.url, settings)
    # A feed file the config names may link files in its own folder; a feed from the web only http(s).
    local_root = None if is_web(source.url) else Path(unquote(urlparse(base).path)).parent
    feed_title = _text(parsed.feed, "title") or source.url
    language = source.language or (parsed.feed.get("language") or "").split("-")[0] or None
    episodes = []
    for index, entry in usable:
        links = _Links(base, local_root)
        enclosure = _enclosure(entry)
        media_url = links.take(enclosure["href"]) if enclosure else None
        guid = entry.get("id") or ""
        # The id is what it always was (stored episodes keep theirs); two different items with one
        # guid are told apart by `newsroom.selection.distinct_episodes`.
        raw_media = urljoin(base, enclosure["href"]) if enclosure else None
        key = guid or raw_media or entry.get("link") or entry.get("title", "")
        page = (links.take(entry["link"]) if entry.get("link") else None) or media_url or source.url
        episodes.append(
            Episode(
                id=stable_id("pod", source.url if not guid else "", key),
                source_id=source.source_id,
                source_name=source.name or feed_title,
                kind="podcast",
                title=_text(entry, "title") or "Untitled episode",
                url=page,
                media_url=media_url,
                published=_entry_date(entry),
                duration=parse_duration(entry.get("itunes_duration")),
                author=_text(entry, "author") or None,
                description=_text(entry, "summary")[:2000],
                thumbnail=links.take((entry.get("image") or {}).get("href"), report=False),
                language=language,
                output_language=source.output_language,
                page_seeks=source.page_timestamps and page != media_url,
                transcript_urls=[(url, t) for u, t in transcripts.get(index, []) if (url := links.take(u))],
                refused_links=links.refused,
            )
        )
    return episodes


class _Links:
    """An item's links, each held to `source_link`'s rule; what is refused is kept, with why."""

    def __init__(self, base: str, local_root: Path | None) -> None:
        self.base, self.local_root = base, local_root
        self.refused: list[str] = []

    def take(self, link: str | None, report: bool = True) -> str | None:
        if not link:
            return None
        try:
            return source_link(link, self.base, self.local_root)
        except UnsafeURLError as exc:
            if report:
                self.refused.append(str(exc))
            return None


def _text(element: Any, key: str) -> str:
    """A text field of the feed or an item as readable text. feedparser marks a field as HTML when it
    looks like HTML (descriptions nearly always, titles with entities in CDATA): its tags are dropped
    and its entities decoded, which also undoes the second escaping some feeds apply
    (`Juli&amp;aacute;n`). A plain-text field is taken as it is ("Tom & Jerry", "<video> tags")."""
    value = element.get(key) or ""
    detail = element.get(f"{key}_detail") or {}
    if "html" in str(detail.get("type", "")):
        value = html.unescape(re.sub(r"<[^>]+>", " ", value))
    return re.sub(r"\s+", " ", value).strip()


def _enclosure(entry: Any) -> dict[str, Any] | None:
    return next(
        (link for link in entry.get("links", []) if link.get("rel") == "enclosure" and link.get("href")), None
    )


def _podcast_transcripts(data: bytes, guids: list[str]) -> dict[int, list[tuple[str, str]]]:
    """`<podcast:transcript>` links per feedparser entry (feedparser keeps only the last one), matched
    by place in the feed, since two items may share a guid; by guid where the places disagree."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return {}
    items = list(root.iter("item"))
    aligned = [(item.findtext("guid") or "").strip() for item in items] == guids
    first = {guid: i for i, guid in reversed(list(enumerate(guids))) if guid}
    out: dict[int, list[tuple[str, str]]] = {}
    for index, item in enumerate(items):
        links = [
            (el.get("url", ""), el.get("type", ""))
            for el in item.findall(f"{{{PODCAST_NS}}}transcript")
            if el.get("url")
        ]
        where = index if aligned else first.get((item.findtext("guid") or "").strip())
        if links and where is not None:
            out[where] = links
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
