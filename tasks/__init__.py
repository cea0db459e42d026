"""Prefect tasks, one module per stage. Each is a thin wrapper over pure functions in `newsroom`.

`import newsroom` comes first: it sets Prefect's defaults (project-local state, no telemetry)
before Prefect is imported.
"""

import newsroom  # noqa: F401
