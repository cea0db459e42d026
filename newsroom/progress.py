"""Progress of long work (downloads, transcription), reported to whoever is listening.

The CLI listens with a rich progress display; under a Prefect worker nobody does and reports are
dropped (the flow's progress artifact shows episode-level progress there).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

Listener = Callable[[str, str, float, float], None]  # (key, description, completed, total)

_listeners: list[Listener] = []
_lock = threading.Lock()


def subscribe(listener: Listener) -> Callable[[], None]:
    with _lock:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return unsubscribe


def report(key: str, description: str, completed: float, total: float) -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        with contextlib.suppress(Exception):  # a display problem must never fail the work
            listener(key, description, completed, total)


def ytdlp_hook(key: str, description: str) -> Callable[[dict[str, object]], None]:
    """A yt-dlp progress hook that reports bytes downloaded."""

    def hook(status: dict[str, object]) -> None:
        total = status.get("total_bytes") or status.get("total_bytes_estimate") or 0
        done = status.get("downloaded_bytes") or 0
        if isinstance(total, int | float) and isinstance(done, int | float):
            report(key, description, float(done), float(total or done or 1))

    return hook
