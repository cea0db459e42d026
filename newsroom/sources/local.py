"""Local files and folders of media, named in the config itself."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from newsroom.config import Settings, SourceConfig
from newsroom.models import Episode, stable_id
from newsroom.sources.base import MEDIA_EXTENSIONS, NOTHING_SEEN, Fetched, Seen, SourceError, SourceKind
from newsroom.sources.fetching import fetch_media


class LocalKind(SourceKind):
    """A media file, or a folder of them, on this machine."""

    name = "local"
    label = "File"
    fallback = True  # whatever is neither a known site nor a web page is a path

    def detects(self, url: str) -> bool:
        return True

    def discover(self, source: SourceConfig, settings: Settings, seen: Seen = NOTHING_SEEN) -> list[Episode]:
        return discover_local(source, settings)

    def fetch(self, episode: Episode, folder: Path, settings: Settings) -> Fetched:
        return fetch_media(episode, folder, settings)


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
