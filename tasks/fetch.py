"""Fetch an episode's transcript, captions or audio."""

from __future__ import annotations

from prefect import task

from newsroom.config import Settings
from newsroom.models import Episode
from newsroom.ops.limits import stage_slot
from newsroom.retry import is_transient
from newsroom.sources import Fetched, fetch
from newsroom.store import Store
from tasks import run_as_command


@task(
    name="fetch-episode",
    task_run_name="fetch {episode.id}",
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_jitter_factor=0.5,
    retry_condition_fn=is_transient,
)
def fetch_episode(episode: Episode, settings: Settings) -> Fetched:
    """Bring the cheapest route to a transcript into the library: feed transcript, captions, text or audio."""
    store = Store(settings.library_dir)
    with stage_slot("fetch", settings):
        fetched = fetch(episode, store.episode_dir(episode.id), settings)
    store.set_stage(episode.id, "fetch", "done", cache_key=fetched.kind)
    return fetched


if __name__ == "__main__":
    run_as_command("fetch")
