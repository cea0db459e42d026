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
import time
from contextlib import AbstractContextManager
from typing import Any

from newsroom.config import Settings

STAGE_LIMITS = {
    "fetch": "newsroom-fetch",
    "transcribe": "newsroom-transcribe",
    "summarize": "newsroom-summarize",
}
OPENAI_LIMIT = "newsroom-openai"

log = logging.getLogger("newsroom.limits")
_ensured: dict[tuple[str, str], tuple[int, float]] = {}
_lock = threading.Lock()


def rate_limit_shape(requests_per_minute: int) -> tuple[int, float]:
    """(slots, decay per second) of a token bucket that allows `requests_per_minute`.

    The bucket holds one second's worth of requests, so a burst never exceeds what the API allows
    in a second and any minute sees at most rpm + rpm/60 requests.
    """
    return max(1, math.ceil(requests_per_minute / 60)), requests_per_minute / 60


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


class TokenBucket:
    """Up to `capacity` requests at once, refilled at `rate` per second; `take` waits for a token."""

    def __init__(self, capacity: int, rate: float) -> None:
        self.capacity, self.rate = capacity, rate
        self.tokens, self.updated = float(capacity), time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            time.sleep(wait)


_buckets: dict[tuple[int, float], TokenBucket] = {}


def openai_slot(settings: Settings) -> None:
    """Wait for a slot of the rate limit every OpenAI request shares (`llm.requests_per_minute`).

    With the `server` scope, inside a flow or task run, that is the Prefect rate limit every process
    shares; otherwise (the `process` scope, or a pure function called from a script or a unit test,
    with no server to share a limit through) a token bucket of the same shape in this process.
    """
    slots, decay = rate_limit_shape(settings.llm.requests_per_minute)
    if server_scope(settings) and _in_prefect_run():
        from prefect.concurrency.sync import rate_limit

        ensure_limit(OPENAI_LIMIT, slots, decay)
        rate_limit(OPENAI_LIMIT, occupy=1, strict=True)
        return
    with _local_lock:
        bucket = _buckets.setdefault((slots, decay), TokenBucket(slots, decay))
    bucket.take()
