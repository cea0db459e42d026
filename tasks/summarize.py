"""Summarize one transcript into the structured Summary, in the configured language."""

from __future__ import annotations

import hashlib

from prefect import task

from newsroom.config import Settings
from newsroom.models import Episode, Summary, Transcript
from newsroom.newsletter.notes import write_episode_notes
from newsroom.openai_api import Meter
from newsroom.ops.limits import stage_slot
from newsroom.retry import is_transient
from newsroom.store import Store
from newsroom.summaries.summarizer import make_summarizer
from tasks import run_as_command


def summary_key(backend_key: str, language: str, transcript: Transcript) -> str:
    digest = hashlib.sha256(transcript.model_dump_json().encode()).hexdigest()[:12]
    return f"{backend_key}|{language}|transcript:{digest}"


@task(
    name="summarize-episode",
    task_run_name="summarize {episode.id}",
    retries=2,
    retry_delay_seconds=[10, 60],
    retry_jitter_factor=0.5,
    retry_condition_fn=is_transient,
)
def summarize_episode(
    episode: Episode,
    transcript: Transcript,
    settings: Settings,
    run_id: str | None = None,
    force: bool = False,
) -> Summary:
    """Structured summary (sections, takeaways, quotes, chapters, entities); reused while nothing changed."""
    store = Store(settings.library_dir)
    summarizer = make_summarizer(settings)
    language = episode.output_language or settings.language
    key = summary_key(summarizer.cache_key, language, transcript)
    if (
        not force
        and store.stage_done(episode.id, "summarize", key)
        and (done := store.load_summary(episode.id))
    ):
        return done
    meter = Meter(store, settings.prices, run_id, episode.id, "summarize")
    with stage_slot("summarize", settings):
        summary = summarizer.summarize(episode, transcript, language, meter)
    store.save_summary(summary)  # summary.json, and its sections in the search index
    write_episode_notes(store, episode, transcript, summary, settings)
    store.set_stage(episode.id, "summarize", "done", cache_key=key, detail=summary.backend)
    return summary


if __name__ == "__main__":
    run_as_command("summarize")
