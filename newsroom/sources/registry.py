"""Every source kind newsroom knows, and the calls that pick one.

Adding a kind is one module with a `SourceKind` subclass and one line below (or a `register` call
from your own module); nothing else in newsroom names the kinds.
"""

from __future__ import annotations

from pathlib import Path

from newsroom.config import ConfigError, Settings, SourceConfig
from newsroom.models import Episode
from newsroom.net import UnsafeURLError
from newsroom.sources.article import ArticleKind
from newsroom.sources.base import Fetched, Known, Seen, SourceError, SourceKind, Stored
from newsroom.sources.feed import FeedKind
from newsroom.sources.local import LocalKind
from newsroom.sources.youtube import YouTubeKind

KINDS: dict[str, SourceKind] = {}


def register(kind: SourceKind) -> SourceKind:
    """Make a kind known by its name (a later registration of the same name replaces it)."""
    KINDS[kind.name] = kind
    return kind


register(YouTubeKind())
register(FeedKind())
register(ArticleKind())
register(LocalKind())


def kind_named(name: str) -> SourceKind:
    kind = KINDS.get(name)
    if kind is None:
        raise SourceError(f"unknown source kind {name!r} (known: {', '.join(sorted(KINDS))})")
    return kind


def kind_for_url(url: str) -> SourceKind:
    """The kind a URL or path is, asking the specific kinds before the catch-alls."""
    ordered = sorted(KINDS.values(), key=lambda k: k.fallback)  # stable: registration order within each
    return next(k for k in ordered if k.detects(url))


def kind_of(source: SourceConfig) -> SourceKind:
    """The source's `kind` if the config names one, else the kind its URL is."""
    return kind_named(source.kind) if source.kind else kind_for_url(source.url)


def detect_kind(url: str) -> str:
    return kind_for_url(url).name


def check_kinds(settings: Settings) -> None:
    """Refuse a config whose sources name a kind nobody registered, as the config loader does."""
    problems = [
        f"  sources.{i}.kind: unknown source kind {s.kind!r} (known: {', '.join(sorted(KINDS))})"
        for i, s in enumerate(settings.sources)
        if s.kind and s.kind not in KINDS
    ]
    if problems:
        where = settings.config_path or "newsroom.toml"
        raise ConfigError(
            f"{where}: invalid configuration ({len(problems)} problem(s))\n" + "\n".join(problems)
        )


def discover(
    source: SourceConfig, settings: Settings, known: Known | None = None, stored: Stored | None = None
) -> list[Episode]:
    """Every item the source lists, newest first as the source orders them (no date filter here).

    `known(id)` is true for items already sent (a kind may leave them out, saving a request each);
    `stored(id)` gives an item's metadata from an earlier run.
    """
    return kind_of(source).discover(source, settings, Seen(known, stored))


def fetch(episode: Episode, folder: Path, settings: Settings) -> Fetched:
    """Cheapest route to a transcript, as the episode's kind knows it: a feed's transcript, captions,
    an article's text, else the audio."""
    if episode.refused_links:  # a hostile or broken item fails alone, before anything is fetched
        raise UnsafeURLError("; ".join(episode.refused_links))
    folder.mkdir(parents=True, exist_ok=True)
    return kind_named(episode.kind).fetch(episode, folder, settings)


def episode_for_url(url: str, settings: Settings) -> Episode:
    """The episode one URL or path names, for `newsroom task` and the process-url flow."""
    return kind_for_url(url).episode_for_url(url, settings)
