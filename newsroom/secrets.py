"""Secrets from the environment or Prefect Secret blocks; never from the config file, never logged.

Every secret read through `get_secret` is remembered so `redact` (and the logging filter installed by
`install_redaction`) can replace it wherever it would otherwise be written.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

_known: set[str] = set()
_lock = threading.Lock()
MASK = "[REDACTED]"


def remember(value: str | None) -> str | None:
    if value and len(value) >= 6:
        with _lock:
            _known.add(value)
    return value


def get_secret(env_name: str | None, block_name: str | None = None) -> str | None:
    """The value of `env_name`, else of the Prefect Secret block `block_name`, else None."""
    value = os.environ.get(env_name) if env_name else None
    if not value and block_name:
        from prefect.blocks.system import Secret

        try:
            block: Any = Secret.load(block_name)  # sync call: Prefect resolves it outside an event loop
            value = block.get()
        except ValueError:
            value = None
    return remember(value or None)


def redact(text: str) -> str:
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Masks known secrets in log messages and their arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _known:
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
            if record.exc_info and not record.exc_text:
                # Handlers format the traceback from exc_text when it is set: mask it there too.
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def install_redaction() -> None:
    """Attach the filter to every handler of the root and Prefect loggers."""
    flt = RedactingFilter()
    # prefect.flow_runs/task_runs carry the handlers that send run logs to the Prefect API.
    for name in ("", "prefect", "prefect.flow_runs", "prefect.task_runs", "newsroom", "httpx", "openai"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(flt)
        for handler in logger.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(flt)
