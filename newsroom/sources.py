"""What each kind of source published: podcast feeds, YouTube, web articles and local files."""

from __future__ import annotations

import calendar
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlparse

import feedparser

from newsroom.config import MEDIA_EXTENSIONS, Settings, SourceConfig
from newsroom.models import Chapter, Episode, stable_id
from newsroom.net import fetch_bytes

PODCAST_NS = "https://podcastindex.org/namespace/1.0"


class SourceError(Exception):
    """A source that cannot be read at all (unreachable, 404, malformed feed)."""


def discover(
    source: SourceConfig,
    settings: Settings,
    known: Callable[[str], bool] | None = None,
    stored: Callable[[str], Episode | None] | None = None,
) -> list[Episode]:
    """Every item the source lists, newest first as the source orders them (no date filter here).

    `known(id)` is true for items already sent (YouTube leaves them out, saving a request each);
    `stored(id)` gives an item's metadata from an earlier run.
    """
    kind = source.kind
    if kind == "podcast":
        return discover_feed(source, settings)
    if kind == "youtube":
        from newsroom.youtube import discover_youtube

        return discover_youtube(source, settings, known, stored)
    if kind == "article":
        from newsroom.articles import discover_article

        return discover_article(source, settings)
    return discover_local(source, settings)


# Podcast feeds ---------------------------------------------------------------------------------------


def read_location(location: str, settings: Settings, max_bytes: int = 20_000_000) -> bytes:
    """Bytes of a URL (guarded) or of a path relative to the config file."""
    if urlparse(location).scheme in ("http", "https"):
        return fetch_bytes(location, settings.allow_private_network, max_bytes)
    path = settings.resolve(location.removeprefix("file://"))
    if not path.is_file():
        raise SourceError(f"{location}: file not found ({path})")
    return path.read_bytes()


def base_for(location: str, settings: Settings) -> str:
    """What relative links in a feed are resolved against."""
    if urlparse(location).scheme in ("http", "https"):
        return location
    return settings.resolve(location.removeprefix("file://")).resolve().as_uri()


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


# Local files ------------------------------------------------------------------------------------------


def discover_local(source: SourceConfig, settings: Settings) -> list[Episode]:
    root = settings.resolve(source.url.removeprefix("file://"))
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.suffix.lower() in MEDIA_EXTENSIONS)
    elif root.is_file():
        files = [root]
    else:
        raise SourceError(f"{source.url}: no such file or folder ({root})")
    episodes = []
    for path in files:
        stat = path.stat()
        resolved = path.resolve()
        episodes.append(
            Episode(
                id=stable_id("file", f"{resolved}:{stat.st_size}"),
                source_id=source.source_id,
                source_name=source.name or root.name,
                kind="local",
                title=path.stem.replace("_", " ").replace("-", " ").strip() or path.name,
                url=resolved.as_uri(),
                media_url=resolved.as_uri(),
                published=datetime.fromtimestamp(stat.st_mtime, UTC),
                language=source.language,
                output_language=source.output_language,
            )
        )
    return episodes


def chapters_from(info: dict[str, Any]) -> list[Chapter]:
    return [
        Chapter(start=float(c.get("start_time") or 0), title=str(c.get("title") or "").strip())
        for c in info.get("chapters") or []
        if c.get("title")
    ]
