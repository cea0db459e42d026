"""Prefect concurrency and rate limits, created on first use from the config.

Both kinds live on the Prefect server, so they bound the work of every process and machine that
talks to it (threads, Dask workers, several workers of a work pool), not just of one Python process:

* one task-run concurrency limit per stage (`tag:newsroom-fetch`, ...): Prefect's task engine holds
  a slot of each tag limit for as long as a task with that tag runs;
* one rate limit, `newsroom-openai`, that every OpenAI request takes a slot from (`openai_slot`).

The config is the source of truth: a limit whose value differs from it is updated.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Any

from newsroom.config import Settings

STAGE_TAGS = {
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


def ensure_stage_limits(settings: Settings) -> None:
    """The per-stage task concurrency limits, from `[limits]`; flows call this when they start."""
    for stage, tag in STAGE_TAGS.items():
        ensure_limit(f"tag:{tag}", int(getattr(settings.limits, stage)))


def _in_prefect_run() -> bool:
    from prefect.context import FlowRunContext, TaskRunContext

    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def openai_slot(settings: Settings) -> None:
    """Wait for a slot of the rate limit every OpenAI request shares (`llm.requests_per_minute`).

    Outside a flow or task run (a pure function called from a script or a unit test) there is no
    Prefect server to share a limit through, so it does nothing rather than start one.
    """
    if not _in_prefect_run():
        return
    from prefect.concurrency.sync import rate_limit

    slots, decay = rate_limit_shape(settings.llm.requests_per_minute)
    ensure_limit(OPENAI_LIMIT, slots, decay)
    rate_limit(OPENAI_LIMIT, occupy=1, strict=True)
