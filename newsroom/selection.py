"""Which discovered episodes this run processes: window, filters, dedup, retries and caps (pure)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsroom.config import Settings, SourceConfig
from newsroom.models import Episode, distinct_id


@dataclass(frozen=True)
class Skip:
    episode: Episode
    reason: str


@dataclass(frozen=True)
class Collision:
    """Different items that came with one id: which ids they have now, and the report's note."""

    ids: tuple[str, ...]
    note: str


Found = list[tuple[SourceConfig, list[Episode]]]

# A failure only a settings change can fix (a model that cannot do the language, a missing model)
# ends its reason with this tag and the settings it failed under; runs with the same settings skip it.
SETTINGS_TAG = "[needs a settings change; settings "


def settings_mark(settings: Settings) -> str:
    """A short fingerprint of the settings a configuration failure depends on (speech-to-text)."""
    return hashlib.sha256(settings.transcription.model_dump_json().encode()).hexdigest()[:10]


def config_failure_reason(reason: str, mark: str) -> str:
    """The stored reason of a failure that needs a settings change, tagged with the settings."""
    return f"{reason} {SETTINGS_TAG}{mark}]"


def identity(episode: Episode) -> str:
    """What makes an item itself: its media, else its page."""
    return episode.media_url or episode.url


def distinct_episodes(
    found: Found, stored: Callable[[str], Episode | None] | None = None
) -> tuple[Found, list[Collision]]:
    """One episode per item, and distinct ids for distinct items (pure, given `stored`).

    The same item seen twice (listed twice in a feed, or in two feeds) is one episode: the first
    listing is kept. Different items with one id (two items with one `<guid>`, one guid in two feeds)
    are kept apart: the one the library already stores under that id keeps it (else the oldest), the
    others get `distinct_id(id, media)`, the same on every run. Ids nobody shares stay as they were.
    """
    listed: dict[str, list[Episode]] = {}
    for _, episodes in found:
        for episode in episodes:
            listed.setdefault(episode.id, []).append(episode)
    renamed: dict[int, Episode | None] = {}  # id(listing) -> its replacement (None: a repeat, dropped)
    collisions = []
    for episode_id, listings in listed.items():
        items: dict[str, Episode] = {}
        for listing in listings:
            if identity(listing) in items:
                renamed[id(listing)] = None
            else:
                items[identity(listing)] = listing
        if len(items) < 2:
            continue
        known = stored(episode_id) if stored else None
        owner = identity(known) if known is not None and identity(known) in items else _oldest(items)
        moved = {
            key: item.model_copy(update={"id": distinct_id(episode_id, key)}) for key, item in items.items()
        }
        for key, item in items.items():
            if key != owner:
                renamed[id(item)] = moved[key]
        kept = [items[owner], *(moved[k] for k in items if k != owner)]
        collisions.append(
            Collision(
                tuple(e.id for e in kept),
                f"{len(kept)} different items came with one id ({episode_id}: one <guid> for different "
                "media); kept apart as " + ", ".join(f"{e.title!r} ({e.source_name}) = {e.id}" for e in kept),
            )
        )
    if not renamed:
        return found, []
    out = [
        (source, [r for e in episodes if (r := renamed.get(id(e), e)) is not None])
        for source, episodes in found
    ]
    return out, collisions


def _oldest(items: dict[str, Episode]) -> str:
    """The item listed as published first (ties: listed last, as feeds list newest first)."""
    order = list(items)

    def when(key: str) -> tuple[float, int]:
        published = items[key].published
        return (published.timestamp() if published else float("inf"), -order.index(key))

    return min(order, key=when)


def filter_reason(episode: Episode, source: SourceConfig) -> str | None:
    """Why the source's own filters drop this episode, or None to keep it."""
    title = episode.title.lower()
    if source.include and not any(word.lower() in title for word in source.include):
        return f"title has none of {source.include}"
    for word in source.exclude:
        if word.lower() in title:
            return f"title contains excluded {word!r}"
    if episode.duration is not None:
        if source.min_duration is not None and episode.duration < source.min_duration:
            return f"shorter than {source.min_duration:.0f} s"
        if source.max_duration is not None and episode.duration > source.max_duration:
            return f"longer than {source.max_duration:.0f} s"
    if (
        source.language
        and episode.language
        and episode.language.split("-")[0] != source.language.split("-")[0]
    ):
        return f"language {episode.language} is not {source.language}"
    return None


def in_window(episode: Episode, since: datetime, until: datetime) -> bool:
    """Undated items count as new: the store's dedup keeps them from coming back."""
    return episode.published is None or since <= episode.published <= until


def select(
    found: list[tuple[SourceConfig, list[Episode]]],
    state: dict[str, dict[str, Any]],
    since: datetime,
    until: datetime,
    max_episodes: int,
    max_attempts: int,
    force: bool = False,
    mark: str = "",
) -> tuple[list[Episode], list[Skip]]:
    """Episodes to process, newest first, and those left out with why (only the notable ones).
    `mark` is `settings_mark` of this run: a configuration failure under the same settings is not
    tried again until they change."""
    chosen: list[Episode] = []
    skipped: list[Skip] = []
    for source, episodes in found:
        taken = 0
        for episode in episodes:
            known = state.get(episode.id)
            if known and not force:
                if known.get("digest_id"):
                    continue  # in an earlier newsletter: never again
                last = str(known.get("reason") or "")
                if mark and known.get("status") == "failed" and last.endswith(f"{SETTINGS_TAG}{mark}]"):
                    skipped.append(
                        Skip(
                            episode,
                            f"needs a settings change ({last.split(SETTINGS_TAG)[0].strip()}); "
                            "the next run with changed settings retries it, or use --force",
                        )
                    )
                    continue
                if known.get("status") == "failed" and known.get("attempts", 0) >= max_attempts:
                    skipped.append(
                        Skip(
                            episode,
                            f"gave up after {known['attempts']} failed attempts "
                            f"(last: {known.get('reason')}); use --force to retry",
                        )
                    )
                    continue
            retrying = bool(known and known.get("status") in ("failed", "done", "new"))
            if not (source.all_items or retrying or in_window(episode, since, until)):
                continue
            reason = filter_reason(episode, source)
            if reason:
                skipped.append(Skip(episode, reason))
                continue
            if source.max_items is not None and taken >= source.max_items:
                continue
            chosen.append(episode)
            taken += 1
    chosen.sort(key=lambda e: e.published.timestamp() if e.published else float("-inf"), reverse=True)
    overflow = chosen[max_episodes:]
    skipped.extend(Skip(e, f"over max_episodes={max_episodes}; next run") for e in overflow)
    return chosen[:max_episodes], skipped
