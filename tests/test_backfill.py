"""Backfill: one newsletter per past period, episodes never sent twice, the schedule undisturbed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from flows.backfill import BackfillError, backfill, periods
from flows.weekly_digest import weekly_digest
from tests.conftest import transcript_feed, write_config

TODAY = date.today()


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def test_periods_cover_the_range_oldest_first():
    d = date(2026, 11, 1)
    assert periods(d, date(2026, 11, 21), 7, today=date(2026, 11, 22)) == [
        (date(2026, 11, 1), date(2026, 11, 7)),
        (date(2026, 11, 8), date(2026, 11, 14)),
        (date(2026, 11, 15), date(2026, 11, 21)),
    ]
    assert periods(d, date(2026, 11, 9), 4, today=date(2026, 11, 22)) == [
        (date(2026, 11, 1), date(2026, 11, 4)),
        (date(2026, 11, 5), date(2026, 11, 8)),
        (date(2026, 11, 9), date(2026, 11, 9)),  # the last one is cut at the end date
    ]
    assert periods(d, d, 7, today=d) == [(d, d)]
    with pytest.raises(ValueError, match="after end"):
        periods(date(2026, 11, 9), d, 7, today=date(2026, 11, 22))
    with pytest.raises(ValueError, match="in the future"):
        periods(d, date(2026, 11, 30), 7, today=date(2026, 11, 22))


def test_a_backfill_writes_one_issue_per_week_and_sends_nothing_twice(tmp_path: Path):
    config = transcript_feed(tmp_path, [ago(20).isoformat(), ago(13).isoformat(), ago(6).isoformat()])
    reports = backfill(start=ago(21), end=ago(1), config=str(config))
    assert len(reports) == 3
    for report, (title, last_day) in zip(
        reports,
        [("Quick episode 1", ago(15)), ("Quick episode 2", ago(8)), ("Quick episode 3", ago(1))],
        strict=True,
    ):
        assert [(e.title, e.status) for e in report.episodes] == [(title, "done")]
        newsletter = Path(report.newsletter_path)
        assert newsletter.parent.name == last_day.isoformat()  # each issue carries its week's date
        assert title in newsletter.read_text()

    again = backfill(start=ago(21), end=ago(1), config=str(config))
    assert [r.episodes for r in again] == [[], [], []]  # already sent: nothing twice
    # The scheduled digest starts where the latest window ended, not at the first backfilled week.
    weekly = weekly_digest(config=str(config))
    assert weekly.window_start == datetime.combine(TODAY, datetime.min.time(), UTC)
    assert weekly.episodes == [] and "Nothing new" in weekly.notes[0]


def test_failed_periods_fail_the_backfill_with_their_reasons(tmp_path: Path):
    config = write_config(tmp_path, '[[sources]]\nurl = "gone.xml"\nkind = "podcast"\n')
    with pytest.raises(BackfillError, match=r"2 of 2 period\(s\) failed: .*file not found"):
        backfill(start=ago(14), end=ago(1), config=str(config))
