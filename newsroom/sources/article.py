"""Web articles: main text, title, author and date, extracted with trafilatura."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from newsroom.config import Settings, SourceConfig
from newsroom.models import Episode, Segment, stable_id
from newsroom.net import check_url, fetch_bytes
from newsroom.sources import ytdlp
from newsroom.sources.base import (
    NOTHING_SEEN,
    Fetched,
    Seen,
    SourceKind,
    is_web,
    media_episode,
    read_location,
)


class NoMainTextError(Exception):
    """The page has no article text we can find (a landing page, a paywall, a media page)."""


class ArticleKind(SourceKind):
    """A web page: its article text, or else the audio or video on it."""

    name = "article"
    label = "Article"
    fallback = True  # any web page no other kind claims

    def detects(self, url: str) -> bool:
        return is_web(url)

    def discover(self, source: SourceConfig, settings: Settings, seen: Seen = NOTHING_SEEN) -> list[Episode]:
        return discover_article(source, settings)

    def fetch(self, episode: Episode, folder: Path, settings: Settings) -> Fetched:
        return fetch_article_text(episode, folder, settings)

    def episode_for_url(self, url: str, settings: Settings) -> Episode:
        """The article on the page, else the page's `<audio>`/`<video>` (yt-dlp's generic extractor)."""
        try:
            return discover_article(SourceConfig(url=url, kind=self.name), settings)[0]
        except Exception:
            network = settings.allow_private_network
            info = ytdlp.extract(check_url(url, network), network=network)
            return media_episode(url, str(info.get("title") or url), info.get("duration"))


def extract_article(html: bytes | str, url: str, min_chars: int = 200) -> dict[str, str | None]:
    """Title, author, date (ISO) and main text of an article page; NoMainTextError if it has none."""
    import trafilatura  # ~0.8 s to import: only when an article is read

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    if len(text) < min_chars:
        raise NoMainTextError(f"{url}: no main text found on the page ({len(text)} characters)")
    return {
        "title": getattr(doc, "title", None),
        "author": getattr(doc, "author", None),
        "date": getattr(doc, "date", None),
        "site": getattr(doc, "sitename", None),
        "text": text,
    }


def site_name(sitename: str | None, url: str) -> str:
    """How a reader names the site: its `og:site_name` (trafilatura's sitename), else its domain."""
    if sitename and sitename.strip():
        return sitename.strip()
    host = urlparse(url).hostname or url
    return host.removeprefix("www.")


def discover_article(source: SourceConfig, settings: Settings) -> list[Episode]:
    html = fetch_bytes(source.url, settings.allow_private_network, max_bytes=10_000_000)
    article = extract_article(html, source.url)
    published = None
    if article["date"]:
        try:
            published = datetime.fromisoformat(article["date"]).replace(tzinfo=UTC)
        except ValueError:
            published = None
    return [
        Episode(
            id=stable_id("art", source.url),
            source_id=source.source_id,
            source_name=source.name or site_name(article["site"], source.url),
            kind="article",
            title=article["title"] or source.url,
            url=source.url,
            published=published,
            author=article["author"],
            language=source.language,
            output_language=source.output_language,
            text=article["text"],
        )
    ]


def fetch_article_text(episode: Episode, folder: Path, settings: Settings) -> Fetched:
    """The article's text (read at discovery, else from its page) as article.txt."""
    text = episode.text
    if not text:
        html = read_location(episode.url, settings, max_bytes=10_000_000)
        text = str(extract_article(html, episode.url)["text"])
    path = folder / "article.txt"
    path.write_text(text, encoding="utf-8")
    return Fetched(episode_id=episode.id, text=str(path))


def article_segments(text: str) -> list[Segment]:
    """Paragraphs as segments; articles have no timeline, so every segment sits at 0 s."""
    return [Segment(start=0.0, end=0.0, text=p.strip()) for p in text.split("\n") if p.strip()]
