"""How the flows run on a schedule or on demand: served from one process, or deployed to a work pool.

`import newsroom` comes first: it sets Prefect's defaults (project-local state, no telemetry)
before Prefect is imported.
"""

import newsroom  # noqa: F401
