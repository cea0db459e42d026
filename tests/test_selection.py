"""Which episodes a run takes: window, filters, dedup, retry limits and caps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsroom.config import SourceConfig
from newsroom.models import Episode
from newsroom.selection import select

NOW = datetime(2026, 11, 22, 7, tzinfo=UTC)
SINCE = NOW - timedelta(days=7)


def ep(n: int, days_ago: float | None, title: str = "Episode", duration: float | None = 1800) -> Episode:
    return Episode(
        id=f"e{n}",
        source_id="s",
        source_name="S",
        kind="podcast",
        title=f"{title} {n}",
        url=f"https://x/{n}",
        published=None if days_ago is None else NOW - timedelta(days=days_ago),
        duration=duration,
    )


def test_window_and_undated_items():
    source = SourceConfig(url="https://x/feed.xml")
    chosen, _ = select([(source, [ep(1, 1), ep(2, 10), ep(3, None)])], {}, SINCE, NOW, 25, 3)
    assert [e.id for e in chosen] == ["e1", "e3"]


def test_dedup_retries_and_give_up():
    source = SourceConfig(url="https://x/feed.xml")
    state = {
        "e1": {"digest_id": "2026-11-15-x", "status": "done"},
        "e2": {"status": "failed", "attempts": 1, "reason": "HTTP 500", "digest_id": None},
        "e3": {"status": "failed", "attempts": 3, "reason": "private video", "digest_id": None},
    }
    chosen, skipped = select([(source, [ep(1, 1), ep(2, 30), ep(3, 1)])], state, SINCE, NOW, 25, 3)
    assert [e.id for e in chosen] == ["e2"]  # a failed one is retried even outside the window
    assert "gave up after 3" in skipped[0].reason
    chosen, _ = select([(source, [ep(1, 1), ep(2, 30), ep(3, 1)])], state, SINCE, NOW, 25, 3, force=True)
    assert [e.id for e in chosen] == ["e1", "e3", "e2"]


def test_filters_caps_and_all_items():
    source = SourceConfig(
        url="https://x/feed.xml", exclude=["#shorts"], min_duration=600, max_items=2, all_items=True
    )
    episodes = [
        ep(1, 1, "Big news"),
        ep(2, 2, "Clip #shorts"),
        ep(3, 3, "Tiny", duration=60),
        ep(4, 40),
        ep(5, 50),
    ]
    chosen, skipped = select([(source, episodes)], {}, SINCE, NOW, 25, 3)
    assert [e.id for e in chosen] == ["e1", "e4"]
    assert {s.episode.id for s in skipped} == {"e2", "e3"}
    chosen, skipped = select([(SourceConfig(url="x.xml", all_items=True), episodes)], {}, SINCE, NOW, 2, 3)
    assert len(chosen) == 2 and sum("max_episodes" in s.reason for s in skipped) == 3
