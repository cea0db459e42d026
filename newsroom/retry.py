"""Which failures are worth retrying: network trouble, rate limits and server errors, not bad input."""

from __future__ import annotations

import socket
import sys
from typing import Any

import httpx

from newsroom.net import FetchError

TRANSIENT_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


def is_transient_error(exc: BaseException | None) -> bool:
    if exc is None:
        return False
    # openai loads only when a model is called (~1.5 s); if it never loaded, this is not its error.
    if (openai := sys.modules.get("openai")) is not None:
        if isinstance(exc, openai.APIStatusError):
            return bool(exc.status_code in TRANSIENT_STATUS)
        if isinstance(exc, openai.APIConnectionError | openai.APITimeoutError):
            return True
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code in TRANSIENT_STATUS
    if isinstance(exc, httpx.TransportError | socket.timeout | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, FetchError):
        # Decided from what happened, not from the message, which quotes the URL or path.
        return exc.status in TRANSIENT_STATUS or isinstance(
            exc.__cause__, httpx.TimeoutException | httpx.NetworkError
        )
    text = str(exc)
    return "HTTP Error 429" in text or "HTTP Error 5" in text or "timed out" in text


def is_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect `retry_condition_fn`: retry only what another attempt can fix."""
    try:
        state.result()
    except Exception as exc:
        return is_transient_error(exc)
    return False
