"""One episode end to end: fetch, transcript, summary. Used by the digest and as its own flow."""

from __future__ import annotations

import time
from typing import Annotated

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from pydantic import Field

from newsroom.config import Settings, load_settings
from newsroom.models import Episode, EpisodeOutcome, EpisodeResult
from newsroom.ops.limits import ensure_stage_limits
from newsroom.ops.notify import notify_failure
from newsroom.ops.parameters import plain_parameters
from newsroom.secrets import install_redaction, redact
from newsroom.selection import config_failure_reason, settings_mark
from newsroom.sources import check_kinds, episode_for_url
from newsroom.store import Store
from newsroom.transcripts.bundled import ModelConfigError
from tasks.fetch import fetch_episode
from tasks.summarize import summarize_episode
from tasks.transcribe import transcribe_episode


def describe(exc: BaseException) -> str:
    """A one-line reason for the run report, with secrets masked."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return redact(f"{type(exc).__name__}: {text}" if type(exc).__name__ not in text else text)[:400]


def run_episode(
    episode: Episode, settings: Settings, run_id: str | None, force: bool = False
) -> EpisodeResult:
    """Run the stages in order; the first failure ends this episode (only) with its stage and reason."""
    store = Store(settings.library_dir)
    store.upsert_episode(episode)
    started = time.monotonic()
    outcome = EpisodeOutcome(
        episode_id=episode.id, title=episode.title, source_name=episode.source_name, status="done"
    )
    stage = "fetch"
    try:
        fetched = fetch_episode(episode, settings)
        outcome.fallbacks = fetched.fallbacks
        stage = "transcribe"
        transcript = transcribe_episode(episode, fetched, settings, run_id, force)
        outcome.transcript_backend = transcript.backend
        outcome.language = transcript.language
        outcome.corrections = transcript.corrections
        stage = "summarize"
        summary = summarize_episode(episode, transcript, settings, run_id, force)
        outcome.summary_backend = summary.backend
    except Exception as exc:
        outcome.status, outcome.stage, outcome.reason = "failed", stage, describe(exc)
        stored = f"{stage}: {outcome.reason}"
        if isinstance(exc, ModelConfigError):  # the same settings would fail the same way next run
            stored = config_failure_reason(stored, settings_mark(settings))
        store.set_episode_status(episode.id, "failed", stored)
        summary = None
    else:
        store.set_episode_status(episode.id, "done")
    outcome.seconds = round(time.monotonic() - started, 2)
    outcome.cost_usd = round(store.episode_cost(episode.id, run_id), 6) if run_id else 0.0
    return EpisodeResult(episode=episode, outcome=outcome, summary=summary)


@task(name="process-episode", task_run_name="episode {episode.id}", cache_policy=NO_CACHE)
def process_episode(
    episode: Episode, settings: Settings, run_id: str | None, force: bool = False
) -> EpisodeResult:
    """One episode through fetch, transcript and summary; a failure is reported, never raised."""
    return run_episode(episode, settings, run_id, force)


@plain_parameters
@flow(name="process-url", log_prints=True, on_failure=[notify_failure], on_crashed=[notify_failure])
def process_url(
    url: Annotated[str, Field(min_length=1)], config: str = "newsroom.toml", force: bool = False
) -> EpisodeResult:
    """Fetch, transcribe and summarize one video, episode, article or file given by URL or path.

    Args:
        url: A video, episode, article or media URL, or a file path on the machine that runs the flow.
        config: Path of newsroom.toml, relative to the run's working directory.
        force: Redo the stages even when their stored results are still valid.
    """
    install_redaction()  # served and worker runs start here, not in the CLI: mask secrets from the start
    settings = load_settings(config)
    check_kinds(settings)
    ensure_stage_limits(settings)
    episode = episode_for_url(url, settings)
    result = run_episode(episode, settings, flow_run.get_id(), force)
    print(
        f"{result.outcome.status}: {episode.title}"
        + (f" ({result.outcome.reason})" if result.outcome.reason else "")
    )
    if result.outcome.status == "failed":
        raise RuntimeError(result.outcome.reason)
    return result
