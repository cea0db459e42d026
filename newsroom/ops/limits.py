"""How many episodes each stage works on at once, and one rate limit for every OpenAI request.

Stage limits (`[limits]`) have two scopes:

* `process`: a semaphore per stage in each process. Free, and enough on one machine.
* `server`: Prefect global concurrency limits (`newsroom-fetch`, `newsroom-transcribe`,
  `newsroom-summarize`), so threads, Dask workers and the workers of a pool all share them.
  Created (or brought in line with the config) on first use. Each slot is a write to the server's
  database: on SQLite, Prefect 3.8 answers some of those with "database is locked" and the client
  retries after about 2 s, so use PostgreSQL with this scope.

`auto` picks `server` when episodes run on Dask, else `process`.

Every OpenAI request first takes a slot of one rate limit (from `llm.requests_per_minute`), with the
same scope: a token bucket in the process, or the Prefect rate limit `newsroom-openai` (created on
first use) that every process and machine shares. On SQLite each server slot costs about 2 s, which
is why `auto` keeps it in the process unless episodes run on Dask.
"""

from __future__ import annotations

import logging
import math
import threading
from contextlib import AbstractContextManager
from typing import Any

from newsroom.config import Settings
from newsroom.openai_api import local_slot, rate_limit_shape, share_rate_limit

STAGE_LIMITS = {
    "fetch": "newsroom-fetch",
    "transcribe": "newsroom-transcribe",
    "summarize": "newsroom-summarize",
}
OPENAI_LIMIT = "newsroom-openai"

log = logging.getLogger("newsroom.ops.limits")
_ensured: dict[tuple[str, str], tuple[int, float]] = {}
_lock = threading.Lock()


def _api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value() or "")


def ensure_limit(name: str, limit: int, decay_per_second: float = 0.0) -> None:
    """Create the global concurrency limit `name`, or update it to these values (once per process)."""
    key = (_api_url(), name)
    with _lock:
        if _ensured.get(key) == (limit, decay_per_second):
            return
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.actions import (
            GlobalConcurrencyLimitCreate,
            GlobalConcurrencyLimitUpdate,
        )
        from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

        with get_client(sync_client=True) as client:
            try:
                current: Any = client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                try:
                    client.create_global_concurrency_limit(
                        GlobalConcurrencyLimitCreate(
                            name=name, limit=limit, slot_decay_per_second=decay_per_second, active=True
                        )
                    )
                    log.info("created concurrency limit %s = %s", name, limit)
                except ObjectAlreadyExists:  # another process won the race; bring it in line below
                    current = client.read_global_concurrency_limit_by_name(name)
                else:
                    current = None
            if current is not None and (
                current.limit != limit
                or not math.isclose(current.slot_decay_per_second or 0.0, decay_per_second)
                or not current.active
            ):
                client.update_global_concurrency_limit(
                    name,
                    GlobalConcurrencyLimitUpdate(
                        limit=limit, slot_decay_per_second=decay_per_second, active=True
                    ),
                )
                log.info("updated concurrency limit %s to %s", name, limit)
        _ensured[key] = (limit, decay_per_second)


def server_scope(settings: Settings) -> bool:
    """Whether the stage limits and the OpenAI rate limit live on the Prefect server."""
    scope = settings.limits.scope
    return scope == "server" or (scope == "auto" and settings.task_runner.type == "dask")


def ensure_stage_limits(settings: Settings) -> None:
    """With the `server` scope, create the per-stage limits up front; flows call this when they start."""
    if server_scope(settings):
        for stage, name in STAGE_LIMITS.items():
            ensure_limit(name, int(getattr(settings.limits, stage)))


_semaphores: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_local_lock = threading.Lock()  # guards the in-process semaphores and token buckets


def stage_slot(stage: str, settings: Settings) -> AbstractContextManager[Any]:
    """Hold one of the stage's slots while its work runs."""
    limit = int(getattr(settings.limits, stage))
    if server_scope(settings):
        from prefect.concurrency.sync import concurrency

        ensure_limit(STAGE_LIMITS[stage], limit)
        return concurrency(STAGE_LIMITS[stage], occupy=1, strict=True)
    with _local_lock:
        return _semaphores.setdefault((stage, limit), threading.BoundedSemaphore(limit))


def _in_prefect_run() -> bool:
    from prefect.context import FlowRunContext, TaskRunContext

    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def server_openai_slot(settings: Settings) -> bool:
    """With the `server` scope, inside a flow or task run: wait for a slot of the Prefect rate limit
    every process shares, and say so; otherwise False (the caller's process bucket applies)."""
    if not (server_scope(settings) and _in_prefect_run()):
        return False
    from prefect.concurrency.sync import rate_limit

    slots, decay = rate_limit_shape(settings.llm.requests_per_minute)
    ensure_limit(OPENAI_LIMIT, slots, decay)
    rate_limit(OPENAI_LIMIT, occupy=1, strict=True)
    return True


# Every process that runs newsroom's tasks imports this module, so every OpenAI request it makes
# (openai_api.request_slot) shares the server's limit when the scope says so.
share_rate_limit(server_openai_slot)


def openai_slot(settings: Settings) -> None:
    """Wait for a slot of the rate limit every OpenAI request shares (`llm.requests_per_minute`).

    With the `server` scope, inside a flow or task run, that is the Prefect rate limit every process
    shares; otherwise (the `process` scope, or a pure function called from a script or a unit test,
    with no server to share a limit through) a token bucket of the same shape in this process.
    """
    if not server_openai_slot(settings):
        local_slot(settings)
