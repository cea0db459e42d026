"""The three deployments, served without a work pool (`prefect.serve`); prefect.yaml declares the same.

    python -m deployments --config newsroom.toml     # what `newsroom up` runs next to the server

Runs happen in subprocesses of this one; Ctrl-C (or SIGTERM) stops serving and pauses the schedule
until the next start.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsroom.config import ConfigError, Settings, load_settings


@dataclass(frozen=True)
class Spec:
    """One deployment: which flow, its name, and whether it runs on the configured schedule."""

    flow: str  # "module:function", importable from the installed package
    flow_name: str
    name: str
    description: str
    scheduled: bool = False
    concurrency_limit: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.flow_name}/{self.name}"


SPECS = (
    Spec(
        "flows.weekly_digest:weekly_digest",
        "weekly-digest",
        "weekly",
        "This week's newsletter, on the [schedule] of newsroom.toml (default Mondays 07:00 Europe/Amsterdam).",
        scheduled=True,
        # Two digests at once could both take the same episodes: one at a time, the next one queued.
        concurrency_limit=1,
    ),
    Spec(
        "flows.process_episode:process_url",
        "process-url",
        "adhoc",
        "Process one URL or file: transcript and summary.",
    ),
    Spec(
        "flows.backfill:backfill",
        "backfill",
        "date-range",
        "One newsletter per past period between two dates.",
    ),
)


def load_flow(spec: Spec) -> Any:
    import importlib

    module, function = spec.flow.split(":")
    return getattr(importlib.import_module(module), function)


def build_deployments(settings: Settings) -> list[Any]:
    """RunnerDeployments for `prefect.serve`, with the config's schedule and path as defaults."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    config = str(settings.config_path) if settings.config_path else "newsroom.toml"
    deployments = []
    for spec in SPECS:
        flow = load_flow(spec)
        schedule = (
            [Cron(settings.schedule.cron, timezone=settings.schedule.timezone)] if spec.scheduled else None
        )
        deployments.append(
            flow.to_deployment(
                name=spec.name,
                description=spec.description,
                schedules=schedule,
                # Served again means scheduled again: serving pauses the schedule when it stops.
                paused=not settings.schedule.active if spec.scheduled else False,
                parameters={"config": config},
                tags=["newsroom"],
                concurrency_limit=spec.concurrency_limit,
                # Module paths load from the installed package, whatever the working directory.
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return deployments


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deployments", description=__doc__.splitlines()[0])
    parser.add_argument("--config", "-c", type=Path, default=None, help="newsroom.toml to use")
    parser.add_argument("--limit", type=int, default=None, help="most flow runs at once (default: no limit)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        raise SystemExit(f"Configuration error\n{exc}") from None
    from prefect import serve

    serve(*build_deployments(settings), limit=args.limit)
