"""Prefect flows: the weekly digest and one episode end to end.

`import newsroom` comes first: it sets Prefect's defaults (project-local state, no telemetry)
before Prefect is imported.
"""

import newsroom  # noqa: F401
