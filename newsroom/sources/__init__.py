"""Sources: one module per kind (feed, youtube, article, local) behind `SourceKind`, and a registry."""

from newsroom.sources.base import MEDIA_EXTENSIONS, Fetched, SourceError, SourceKind
from newsroom.sources.registry import (
    KINDS,
    check_kinds,
    detect_kind,
    discover,
    episode_for_url,
    fetch,
    kind_for_url,
    kind_named,
    kind_of,
    register,
)

__all__ = [
    "KINDS",
    "MEDIA_EXTENSIONS",
    "Fetched",
    "SourceError",
    "SourceKind",
    "check_kinds",
    "detect_kind",
    "discover",
    "episode_for_url",
    "fetch",
    "kind_for_url",
    "kind_named",
    "kind_of",
    "register",
]
