"""Backfill: the digest once per period (a week by default) between two dates, oldest first."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from prefect import flow
from pydantic import Field

from flows.weekly_digest import weekly_digest
from newsroom.models import RunReport
from newsroom.ops.notify import notify_failure
from newsroom.ops.parameters import plain_parameters
from newsroom.ops.run_options import DEFAULT_OPTIONS, DigestOptions
from newsroom.secrets import redact


class BackfillError(Exception):
    """Some periods of a backfill failed; the others were written."""


def periods(start: date, end: date, days: int, today: date | None = None) -> list[tuple[date, date]]:
    """(first, last) day of each period from `start` to `end`, both included (pure)."""
    today = today or date.today()
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    if end > today:
        raise ValueError(f"end {end} is in the future; a backfill covers days that have passed")
    spans = []
    first = start
    while first <= end:
        last = min(first + timedelta(days=days - 1), end)
        spans.append((first, last))
        first = last + timedelta(days=1)
    return spans


@plain_parameters
@flow(name="backfill", log_prints=True, on_failure=[notify_failure], on_crashed=[notify_failure])
def backfill(
    start: date,
    end: date,
    period_days: Annotated[int, Field(ge=1, le=31)] = 7,
    config: str = "newsroom.toml",
    dry_run: bool = False,
    options: DigestOptions = DEFAULT_OPTIONS,
) -> list[RunReport]:
    """Write the digests of past periods, one newsletter per period (episodes already sent are skipped).

    Args:
        start: First day to cover.
        end: Last day to cover (not in the future).
        period_days: Days per newsletter: 7 for weekly issues, 3 or 4 for twice a week.
        config: Path of newsroom.toml, relative to the run's working directory.
        dry_run: Render previews only; nothing is published or marked as sent.
        options: Changes to newsroom.toml for these runs.
    """
    reports: list[RunReport] = []
    failures: list[str] = []
    for first, last in periods(start, end, period_days):
        state = weekly_digest(
            config=config,
            since=first,
            until=last,
            dry_run=dry_run,
            options=options,
            return_state=True,
        )
        if state.is_completed():
            report = state.result()
            reports.append(report)
            done = sum(1 for e in report.episodes if e.status == "done")
            print(f"{first} .. {last}: {done} episode(s)" + (f" -> {report.newsletter_path}" if done else ""))
        else:
            failures.append(f"{first} .. {last}: {redact(state.message or state.name or 'failed')}")
            print(f"{first} .. {last}: FAILED ({state.message})")
    if failures:
        raise BackfillError(
            f"{len(failures)} of {len(failures) + len(reports)} period(s) failed: " + "; ".join(failures)
        )
    return reports
