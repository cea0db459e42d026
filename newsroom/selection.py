"""Which discovered episodes this run processes: window, filters, dedup, retries and caps (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsroom.config import SourceConfig
from newsroom.models import Episode


@dataclass(frozen=True)
class Skip:
    episode: Episode
    reason: str


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
) -> tuple[list[Episode], list[Skip]]:
    """Episodes to process, newest first, and those left out with why (only the notable ones)."""
    chosen: list[Episode] = []
    skipped: list[Skip] = []
    for source, episodes in found:
        taken = 0
        for episode in episodes:
            known = state.get(episode.id)
            if known and not force:
                if known.get("digest_id"):
                    continue  # in an earlier newsletter: never again
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
