"""The weekly digest: discover -> fetch -> transcript -> summary -> draft -> publish, with a report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.futures import as_completed
from prefect.runtime import flow_run

from flows.release import retry_failed_deliveries
from newsroom.config import Settings, SourceConfig, load_settings
from newsroom.models import Episode, EpisodeResult, RunReport, SourceOutcome, Summary, utcnow
from newsroom.newsletter.issue import issue_folder, write_report
from newsroom.openai_api import resolve_llm_backend
from newsroom.ops.artifacts import EpisodeProgress, create_digest_artifacts
from newsroom.ops.limits import ensure_stage_limits
from newsroom.ops.notify import notify_failure
from newsroom.ops.parameters import plain_parameters
from newsroom.ops.run_options import DEFAULT_OPTIONS, DigestOptions, apply_options
from newsroom.ops.runners import episode_task_runner
from newsroom.secrets import install_redaction
from newsroom.selection import distinct_episodes, select, settings_mark
from newsroom.sources import check_kinds, kind_of
from newsroom.sources.ytdlp import youtube_runtime_warning
from newsroom.store import Store
from newsroom.summaries.summarizer import make_summarizer
from newsroom.transcripts.stt import make_stt
from tasks.discover import discover_source

# The per-episode flow and the drafting and release stages load when a run has something for them:
# a run with nothing new (the common local loop) does not pay their imports (see README, "fast loop").


class DigestFailedError(Exception):
    """Every source or every episode failed: the run is marked failed (and notifies) after its report."""


class ReviewTimeoutError(Exception):
    """Nobody approved the draft in time: nothing was published (the report says so)."""


@plain_parameters
@flow(name="weekly-digest", log_prints=True, on_failure=[notify_failure], on_crashed=[notify_failure])
def weekly_digest(
    config: str = "newsroom.toml",
    since: date | None = None,
    force: bool = False,
    dry_run: bool = False,
    republish: bool = False,
    options: DigestOptions = DEFAULT_OPTIONS,
    until: date | None = None,
) -> RunReport:
    """Turn what the sources published since the last run into this week's newsletter.

    Args:
        config: Path of newsroom.toml, relative to the run's working directory.
        since: Start of the window; empty: where the last successful run ended.
        force: Redo episodes that are done or already in a newsletter.
        dry_run: Process and render a preview, but publish nothing.
        options: This run's changes to newsroom.toml.
        until: Last day of the window (backfills); empty: up to now.
    """
    install_redaction()  # served and worker runs start here, not in the CLI: mask secrets from the start
    settings = apply_options(load_settings(config), options)
    check_kinds(settings)
    ensure_stage_limits(settings)
    store = Store(settings.library_dir)
    report = open_run(settings, store, flow_run.get_id() or f"local-{utcnow():%Y%m%d%H%M%S}", since, until)
    report.dry_run = dry_run
    assert report.window_end is not None
    day = until or report.window_end.date()  # the issue's date: a backfilled week's own

    found = discover_all(settings, report)
    chosen = choose(found, store, report, settings, force)
    results = process_all(chosen, settings, report.run_id, force)
    report.episodes = [r.outcome for r in results] + report.episodes
    stories = [(r.episode, r.summary) for r in results if r.summary is not None]

    released = newsletter_id = None
    if stories:
        newsletter_id, released = publish(stories, report, settings, day, dry_run, republish)
        if released == "approved":
            store.mark_digested([e.id for e, _ in stories], newsletter_id)
    else:
        report.notes.append(
            "Nothing new since the last run." if not results else "No episode could be summarized."
        )
    if not dry_run:
        retry_failed_deliveries(report, settings, exclude=newsletter_id)

    folder = issue_folder(settings, day.isoformat(), dry_run)
    failed_all = bool((results and not stories) or (settings.sources and not found))
    close_run(
        report, store, folder, settings, "failed" if failed_all else ("dry-run" if dry_run else "completed")
    )
    if failed_all:
        raise DigestFailedError(report.failure_reasons())
    if released == "expired":
        raise ReviewTimeoutError(f"Review {report.review}: nothing was published; see {folder / 'report.md'}")
    return report


# The steps, in the order the flow takes them --------------------------------------------------------


def window_start(store: Store, since: date | None, days: int, now: datetime) -> datetime:
    """Since the given date, else since the last successful run, else `days` ago."""
    if since is not None:
        return datetime.combine(since, datetime.min.time(), UTC)
    return store.last_successful_window_end() or now - timedelta(days=days)


def window_end(until: date | None, now: datetime) -> datetime:
    """The end of the day `until` (a backfill's week), else now."""
    if until is None:
        return now
    return min(now, datetime.combine(until + timedelta(days=1), datetime.min.time(), UTC))


def open_run(
    settings: Settings, store: Store, run_id: str, since: date | None, until: date | None
) -> RunReport:
    """The run's window and report, recorded in the library, with the backends that will run."""
    started = utcnow()
    end = window_end(until, started)
    start = window_start(store, since, settings.window_days, end)
    store.start_run(run_id, start, end)
    report = RunReport(run_id=run_id, started=started, window_start=start, window_end=end)
    report.backends = {
        "speech-to-text": make_stt(settings).name,
        "summaries": make_summarizer(settings).name,
        "llm": resolve_llm_backend(settings),
    }
    if any(kind_of(s).name == "youtube" for s in settings.sources) and (warning := youtube_runtime_warning()):
        report.notes.append(warning)
        print(f"warning: {warning}")
    return report


def discover_all(settings: Settings, report: RunReport) -> list[tuple[SourceConfig, list[Episode]]]:
    """List every source at once; a source that cannot be read fails alone, with its reason."""
    futures = [discover_source.submit(source, settings) for source in settings.sources]
    found = []
    for source, future in zip(settings.sources, futures, strict=True):
        outcome = SourceOutcome(source_id=source.source_id, name=source.name or source.url, status="ok")
        try:
            episodes = future.result()
        except Exception as exc:
            from flows.process_episode import describe

            outcome.status, outcome.reason = "failed", describe(exc)
        else:
            outcome.found = len(episodes)
            found.append((source, episodes))
        report.sources.append(outcome)
    return found


def choose(
    found: list[tuple[SourceConfig, list[Episode]]],
    store: Store,
    report: RunReport,
    settings: Settings,
    force: bool,
) -> list[Episode]:
    """What is new in the window (or failed before and may be retried); the rest is reported."""
    assert report.window_start is not None and report.window_end is not None
    found, collisions = distinct_episodes(found, store.get_episode)
    state = {e.id: s for _, eps in found for e in eps if (s := store.episode_state(e.id))}
    chosen, skipped = select(
        found,
        state,
        report.window_start,
        report.window_end,
        settings.max_episodes,
        settings.max_attempts,
        force,
        settings_mark(settings),
    )
    for skip in skipped:
        report.skipped(skip.episode, skip.reason)
    taken = {e.id for e in chosen}
    report.notes.extend(c.note for c in collisions if taken.intersection(c.ids))
    print(
        f"{len(chosen)} new episode(s) from {len(found)} source(s) since {report.window_start:%Y-%m-%d %H:%M} UTC"
    )
    return chosen


def process_all(chosen: list[Episode], settings: Settings, run_id: str, force: bool) -> list[EpisodeResult]:
    """Every chosen episode through fetch, transcript and summary, `concurrency` at a time."""
    progress = EpisodeProgress(len(chosen))
    if not chosen:
        return []
    from flows.process_episode import process_episode

    parameters = [{"episode": e, "settings": settings, "run_id": run_id, "force": force} for e in chosen]
    with episode_task_runner(settings) as runner:
        futures: list[Any] = [runner.submit(process_episode, p) for p in parameters]
        for _ in as_completed(futures):
            progress.advance()
        return [f.result() for f in futures]


def publish(
    stories: list[tuple[Episode, Summary]],
    report: RunReport,
    settings: Settings,
    day: date,
    dry_run: bool,
    republish: bool,
) -> tuple[str, str]:
    """Draft the issue, write it to out/<date>/, then review (if asked) and deliver it to every target,
    each exactly once: (newsletter id, 'approved', 'rejected', 'expired' or 'dry-run')."""
    from flows.release import release_newsletter
    from newsroom.newsletter.editor import record_draft
    from tasks.draft import draft_newsletter
    from tasks.publish import write_issue

    draft = draft_newsletter(stories, settings, day, report.run_id)
    record_draft(report, draft)
    written = write_issue(draft.newsletter, stories, report, settings, dry_run)
    report.newsletter_path = written["markdown"]
    released = release_newsletter(
        draft.newsletter, stories, report, settings, written["markdown"], dry_run, republish
    )
    return draft.newsletter.id, released


def close_run(report: RunReport, store: Store, folder: Path, settings: Settings, status: str) -> None:
    """The report in out/<date>/ and in the Prefect UI, the run recorded in the library, a summary."""
    report.finished = utcnow()
    write_report(folder, report, settings)
    create_digest_artifacts(report, folder)
    store.finish_run(report.run_id, status, report)
    counts = report.counts()
    print(
        f"done: {counts['done']}, failed: {counts['failed']}, skipped: {counts['skipped']}; "
        f"backends: {', '.join(f'{k}={v}' for k, v in report.backends.items())}"
    )
    for e in report.episodes:
        if e.status == "failed":
            print(f"  FAILED {e.title} [{e.stage}]: {e.reason}")
