"""The interface every source kind implements, and what the kinds share.

A source kind is one module: how to recognise its URLs, list what it published and fetch what a
transcript needs. It is registered with one line in `newsroom.sources.registry`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlparse

from pydantic import BaseModel

from newsroom.config import Settings, SourceConfig
from newsroom.models import Episode, stable_id
from newsroom.net import fetch_bytes

MEDIA_EXTENSIONS = {".mp3", ".m4a", ".wav", ".ogg", ".opus", ".flac", ".aac", ".mp4", ".mkv", ".webm", ".mov"}

Known = Callable[[str], bool]  # an episode id already in a newsletter
Stored = Callable[[str], Episode | None]  # an episode's metadata from an earlier run


@dataclass(frozen=True)
class Seen:
    """What the library already knows, for a kind that can save requests with it (YouTube)."""

    known: Known | None = None
    stored: Stored | None = None


NOTHING_SEEN = Seen()


class SourceError(Exception):
    """A source that cannot be read at all (unreachable, 404, malformed feed, unknown kind)."""


class Fetched(BaseModel):
    """What the fetch stage produced; paths are inside the episode's library folder (or the local file)."""

    episode_id: str
    transcript: str | None = None  # a transcript file the feed provides
    transcript_format: str | None = None
    captions: str | None = None  # YouTube subtitles or automatic captions
    captions_format: str | None = None
    media: str | None = None
    text: str | None = None  # article text file
    fallbacks: list[str] = []  # routes passed over on the way (a dead transcript link, ...), with why

    @property
    def kind(self) -> str:
        for name in ("transcript", "captions", "text", "media"):
            if getattr(self, name):
                return name
        return "nothing"


class SourceKind(ABC):
    """One kind of place episodes come from (a podcast feed, a YouTube channel, a web page, a folder)."""

    name: ClassVar[str]  # what `kind = ...` says in newsroom.toml, and Episode.kind
    label: ClassVar[str]  # how a note names it: "[YouTube](url)"
    fallback: ClassVar[bool] = False  # a catch-all, asked only after every other kind said no

    @abstractmethod
    def detects(self, url: str) -> bool:
        """Whether a source URL (or path) given without `kind` is of this kind."""

    @abstractmethod
    def discover(self, source: SourceConfig, settings: Settings, seen: Seen = NOTHING_SEEN) -> list[Episode]:
        """Every item the source lists, newest first as the source orders them (no date filter here)."""

    @abstractmethod
    def fetch(self, episode: Episode, folder: Path, settings: Settings) -> Fetched:
        """The cheapest route to this episode's transcript, brought into `folder`."""

    def episode_for_url(self, url: str, settings: Settings) -> Episode:
        """The episode one URL or path names (`newsroom task`, the process-url flow)."""
        episodes = self.discover(SourceConfig(url=url, kind=self.name), settings)
        if not episodes:
            raise SourceError(f"{url}: nothing to process there")
        return episodes[0]


def is_web(url: str) -> bool:
    return urlparse(url).scheme in ("http", "https")


def read_location(location: str, settings: Settings, max_bytes: int = 20_000_000) -> bytes:
    """Bytes of a URL (guarded) or of a path relative to the config file."""
    if is_web(location):
        return fetch_bytes(location, settings.allow_private_network, max_bytes)
    path = settings.resolve(location.removeprefix("file://"))
    if not path.is_file():
        raise SourceError(f"{location}: file not found ({path})")
    return path.read_bytes()


def base_for(location: str, settings: Settings) -> str:
    """What relative links in a feed are resolved against."""
    if is_web(location):
        return location
    return settings.resolve(location.removeprefix("file://")).resolve().as_uri()


def media_episode(url: str, title: str, duration: float | None = None) -> Episode:
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
