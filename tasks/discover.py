"""Discover what each source published."""

from __future__ import annotations

from prefect import task

from newsroom.config import Settings, SourceConfig
from newsroom.models import Episode
from newsroom.retry import is_transient
from newsroom.sources import discover
from newsroom.store import Store
from tasks import run_as_command


@task(
    name="discover-source",
    task_run_name="discover {source.url}",
    retries=2,
    retry_delay_seconds=[3, 15],
    retry_jitter_factor=0.5,
    retry_condition_fn=is_transient,
)
def discover_source(source: SourceConfig, settings: Settings) -> list[Episode]:
    """List the items one source publishes (newest first); the flow picks the new ones."""
    store = Store(settings.library_dir)

    def digested(episode_id: str) -> bool:
        state = store.episode_state(episode_id)
        return bool(state and state["digest_id"])

    return discover(source, settings, known=digested, stored=store.get_episode)


if __name__ == "__main__":
    run_as_command("discover")
