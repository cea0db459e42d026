"""Where a digest's episodes run: a bounded thread pool here, or a Dask cluster (prefect-dask).

Dask is for more work than one machine does: the per-episode fan-out (fetch, transcript, summary)
goes to the cluster's worker processes, which report their task runs to the same Prefect server.
Every worker must see the same library folder and config (a shared volume) and Prefect's result
storage (see the README's scale-out section).
"""

from __future__ import annotations

from typing import Any

from newsroom.config import Settings


def episode_task_runner(settings: Settings) -> Any:
    """A task runner for the episodes of one digest run, from `[task_runner]`; enter it to use it."""
    cfg = settings.task_runner
    if cfg.type == "dask":
        from prefect_dask import DaskTaskRunner

        if cfg.address:
            return DaskTaskRunner(address=cfg.address)
        return DaskTaskRunner(
            cluster_class="distributed.LocalCluster",
            cluster_kwargs={
                "n_workers": cfg.n_workers,
                "threads_per_worker": cfg.threads_per_worker,
                "processes": True,
                "dashboard_address": None,  # no web server to bind; `address` clusters keep theirs
            },
        )
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=settings.concurrency)
