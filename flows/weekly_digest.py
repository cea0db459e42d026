"""The weekly digest: discover -> fetch -> transcript -> summary -> draft -> publish, with a report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from prefect import flow
from prefect.futures import as_completed
from prefect.runtime import flow_run

from flows.process_episode import describe, process_episode
from newsroom.artifacts import EpisodeProgress, create_digest_artifacts
from newsroom.config import load_settings
from newsroom.editor import record_draft
from newsroom.limits import ensure_stage_limits
from newsroom.models import EpisodeOutcome, EpisodeResult, RunReport, SourceOutcome, utcnow
from newsroom.notify import notify_failure
from newsroom.openai_api import resolve_llm_backend
from newsroom.publishing import issue_folder, write_report
from newsroom.run_options import DEFAULT_OPTIONS, DigestOptions, apply_options
from newsroom.runners import episode_task_runner
from newsroom.secrets import install_redaction
from newsroom.selection import select
from newsroom.store import Store
from newsroom.stt import make_stt
from newsroom.summarizer import make_summarizer
from newsroom.ytdlp import youtube_runtime_warning
from tasks.discover import discover_source
from tasks.draft import draft_newsletter
from tasks.publish import publish_newsletter, release_newsletter, retry_failed_deliveries


class DigestFailedError(Exception):
    """Every source or every episode failed: the run is marked failed (and notifies) after its report."""


def window_start(store: Store, since: date | None, days: int, now: datetime) -> datetime:
    """Since the given date, else since the last successful run, else `days` ago."""
    if since is not None:
        return datetime.combine(since, datetime.min.time(), UTC)
    return store.last_successful_window_end() or now - timedelta(days=days)


class ReviewTimeoutError(Exception):
    """Nobody approved the draft in time: nothing was published (the report says so)."""


def window_end(until: date | None, now: datetime) -> datetime:
    """The end of the day `until` (a backfill's week), else now."""
    if until is None:
        return now
    return min(now, datetime.combine(until + timedelta(days=1), datetime.min.time(), UTC))


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
    ensure_stage_limits(settings)
    store = Store(settings.library_dir)
    run_id = flow_run.get_id() or f"local-{utcnow():%Y%m%d%H%M%S}"
    started = utcnow()
    now = window_end(until, started)
    day = until or now.date()  # the issue's date: a backfilled week's own
    start = window_start(store, since, settings.window_days, now)
    store.start_run(run_id, start, now)
    report = RunReport(run_id=run_id, started=started, window_start=start, window_end=now, dry_run=dry_run)
    report.backends = {
        "speech-to-text": make_stt(settings).name,
        "summaries": make_summarizer(settings).name,
        "llm": resolve_llm_backend(settings),
    }

    if any(s.kind == "youtube" for s in settings.sources) and (warning := youtube_runtime_warning()):
        report.notes.append(warning)
        print(f"warning: {warning}")

    futures = [discover_source.submit(source, settings) for source in settings.sources]
    found = []
    for source, future in zip(settings.sources, futures, strict=True):
        name = source.name or source.url
        try:
            episodes = future.result()
        except Exception as exc:
            report.sources.append(
                SourceOutcome(source_id=source.source_id, name=name, status="failed", reason=describe(exc))
            )
            continue
        report.sources.append(
            SourceOutcome(source_id=source.source_id, name=name, status="ok", found=len(episodes))
        )
        found.append((source, episodes))

    state = {e.id: s for _, eps in found for e in eps if (s := store.episode_state(e.id))}
    chosen, skipped = select(found, state, start, now, settings.max_episodes, settings.max_attempts, force)
    for skip in skipped:
        report.episodes.append(
            EpisodeOutcome(
                episode_id=skip.episode.id,
                title=skip.episode.title,
                source_name=skip.episode.source_name,
                status="skipped",
                reason=skip.reason,
            )
        )
    print(f"{len(chosen)} new episode(s) from {len(found)} source(s) since {start:%Y-%m-%d %H:%M} UTC")

    results: list[EpisodeResult] = []
    progress = EpisodeProgress(len(chosen))
    if chosen:
        parameters = [{"episode": e, "settings": settings, "run_id": run_id, "force": force} for e in chosen]
        with episode_task_runner(settings) as runner:
            episode_futures: list[Any] = [runner.submit(process_episode, p) for p in parameters]
            for _ in as_completed(episode_futures):
                progress.advance()
            results = [f.result() for f in episode_futures]
    report.episodes = [r.outcome for r in results] + report.episodes
    stories = [(r.episode, r.summary) for r in results if r.summary is not None]

    released = newsletter_id = None
    folder = issue_folder(settings, day.isoformat(), dry_run)
    if stories:
        draft = draft_newsletter(stories, settings, day, run_id)
        newsletter = draft.newsletter
        record_draft(report, draft)
        written = publish_newsletter(newsletter, stories, report, settings, dry_run)
        report.newsletter_path = written["markdown"]
        # Review (if asked) and delivery to every [[publish]] target, each exactly once.
        newsletter_id = newsletter.id
        released = release_newsletter(
            newsletter, stories, report, settings, written["markdown"], dry_run, republish
        )
        if released == "approved":
            store.mark_digested([e.id for e, _ in stories], newsletter.id)
    else:
        report.notes.append(
            "Nothing new since the last run." if not results else "No episode could be summarized."
        )

    if not dry_run:
        retry_failed_deliveries(report, settings, exclude=newsletter_id)
    report.finished = utcnow()
    failed_all = (results and not stories) or (settings.sources and not found)
    write_report(folder, report, settings)
    create_digest_artifacts(report, folder)
    store.finish_run(run_id, "failed" if failed_all else ("dry-run" if dry_run else "completed"), report)
    print_summary(report)
    if failed_all:
        raise DigestFailedError(
            "; ".join(e.reason or "" for e in report.episodes if e.status == "failed")
            or "; ".join(s.reason or "" for s in report.sources if s.status == "failed")
        )
    if released == "expired":
        raise ReviewTimeoutError(f"Review {report.review}: nothing was published; see {folder / 'report.md'}")
    return report


def print_summary(report: RunReport) -> None:
    counts = {
        status: sum(1 for e in report.episodes if e.status == status)
        for status in ("done", "failed", "skipped")
    }
    print(
        f"done: {counts['done']}, failed: {counts['failed']}, skipped: {counts['skipped']}; "
        f"backends: {', '.join(f'{k}={v}' for k, v in report.backends.items())}"
    )
    for e in report.episodes:
        if e.status == "failed":
            print(f"  FAILED {e.title} [{e.stage}]: {e.reason}")
