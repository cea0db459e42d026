"""Prefect tasks, one module per stage. Each is a thin wrapper over pure functions in `newsroom`.

`import newsroom` comes first: it sets Prefect's defaults (project-local state, no telemetry)
before Prefect is imported.
"""

import os
import sys

import newsroom  # noqa: F401


def run_as_command(stage: str) -> None:
    """`python -m tasks.<stage> TARGET...` is exactly `newsroom task <stage> TARGET...`.

    The stage module imported Prefect before this runs, too late for the settings the command sets
    before Prefect starts (server address, log levels), so the command runs in a fresh interpreter.
    """
    os.execv(sys.executable, [sys.executable, "-m", "newsroom", "task", stage, *sys.argv[1:]])
