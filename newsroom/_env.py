"""Process-wide defaults that must be in place before Prefect is imported.

Prefect reads its settings when it is first imported, so every entry point of the project
(`newsroom`, `flows`, `tasks`, `deployments`) imports this package first. Anything the user set in
the environment wins: these are defaults only.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The repository checkout when running from one (editable install), else the working directory."""
    candidate = PACKAGE_DIR.parent
    if (candidate / "pyproject.toml").is_file() and (candidate / "flows").is_dir():
        return candidate
    return Path.cwd()


def configure_environment() -> None:
    """Keep Prefect's state in the project, telemetry off, and give the temporary server time to start."""
    defaults = {
        "PREFECT_HOME": str(project_root() / ".prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        # The temporary server takes 12-20 s to start on 2 cores; Prefect's default is 20 s.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        # Faster-whisper's bundled model is loaded from disk; never reach for a model hub.
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        # Prefect's own progress logging is noisy at INFO in a terminal that already shows progress.
        "PREFECT_LOGGING_LOG_PRINTS": "true",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
