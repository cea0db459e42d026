"""`newsroom up`: a local Prefect server (SQLite in the project's PREFECT_HOME) plus the served
deployments, in one command; Ctrl-C stops both, the deployments first.

Both run as child processes in their own sessions, so a Ctrl-C in the terminal reaches only this
supervisor, which then stops them in order: a runner left without its server keeps retrying.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cronsim import CronSim

from newsroom.config import ScheduleConfig
from newsroom.ops.prefect_server import healthy, marker_path, stop_process


class UpError(Exception):
    """The server or the deployments could not start; the message says why and what to do."""


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


@dataclass
class Up:
    """The server and the serving process, started and stopped together."""

    config: Path | None
    host: str = "127.0.0.1"
    port: int = 4200
    log_dir: Path = field(default_factory=lambda: Path(os.environ.get("PREFECT_HOME", ".prefect")) / "logs")
    say: Callable[[str], None] = print
    server: subprocess.Popen[bytes] | None = None
    runner: subprocess.Popen[bytes] | None = None
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.ui_url}/api"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "PREFECT_API_URL": self.api_url,
                # The UI asks this address for data; Prefect's default is port 4200 whatever --port says.
                "PREFECT_UI_API_URL": self.api_url,
                "PREFECT_UI_URL": self.ui_url,
                "PREFECT_SERVER_API_HOST": self.host,
                "PREFECT_SERVER_API_PORT": str(self.port),
            }
        )
        return env

    @property
    def server_log(self) -> Path:
        return self.log_dir / "server.log"

    def start_server(self, timeout: float = 120.0) -> None:
        if port_in_use(self.host, self.port):
            if healthy(self.api_url):
                raise UpError(
                    f"a Prefect server already answers at {self.ui_url}: serve the deployments against it "
                    f"with `PREFECT_API_URL={self.api_url} python -m deployments`, or pick another --port"
                )
            raise UpError(f"port {self.port} on {self.host} is taken by another program; pick another --port")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.server_log.open("ab")
        self.server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                self.host,
                "--port",
                str(self.port),
            ],
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()  # the child has its own descriptor
        deadline = time.monotonic() + timeout
        while not healthy(self.api_url, timeout=1.0):
            if self.server.poll() is not None:
                raise UpError(
                    f"the Prefect server exited with code {self.server.returncode}{self._hint('server')}"
                )
            if time.monotonic() > deadline or self.stopping.is_set():
                raise UpError(
                    f"the Prefect server did not answer within {timeout:.0f} s{self._hint('server')}"
                )
            time.sleep(0.25)
        # `newsroom digest` and `newsroom task` find the server here, so their runs show in the UI.
        marker_path().write_text(
            json.dumps({"api_url": self.api_url, "ui_url": self.ui_url, "pid": os.getpid()})
        )

    def start_runner(self) -> None:
        command = [sys.executable, "-m", "deployments"]
        if self.config is not None:
            command += ["--config", str(self.config)]
        # Its output (the runs' logs) goes to this terminal, as `prefect serve` would show it.
        self.runner = subprocess.Popen(command, env=self._env(), start_new_session=True)

    def wait_for_deployments(self, names: list[str], timeout: float = 120.0) -> None:
        """Block until the runner has registered every deployment (or died)."""
        deadline = time.monotonic() + timeout
        pending = list(names)
        while pending:
            if self.runner is not None and self.runner.poll() is not None:
                raise UpError(
                    f"serving the deployments stopped with code {self.runner.returncode}{self._hint('deployments')}"
                )
            if time.monotonic() > deadline or self.stopping.is_set():
                raise UpError(
                    f"the deployments were not served within {timeout:.0f} s{self._hint('deployments')}"
                )
            pending = [n for n in pending if not self._deployment_exists(n)]
            if pending:
                time.sleep(0.5)

    def _deployment_exists(self, name: str) -> bool:
        url = f"{self.api_url}/deployments/name/{name}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def _hint(self, name: str) -> str:
        if name != "server":
            return "; its output is above"
        path = self.server_log
        tail = path.read_text(errors="replace").strip().splitlines()[-15:] if path.exists() else []
        return f"; its log is {path}" + ("\n  " + "\n  ".join(tail) if tail else "")

    def wait(self) -> int:
        """Until Ctrl-C/SIGTERM (0) or until a child dies on its own (1)."""
        while not self.stopping.wait(0.5):
            for name, process in (("Prefect server", self.server), ("deployment runner", self.runner)):
                if process is not None and process.poll() is not None:
                    self.say(
                        f"The {name} stopped (exit code {process.returncode}){self._hint(name.split()[-1])}"
                    )
                    return 1
        return 0

    def stop(self) -> None:
        """The runner first (it pauses the schedule and cancels runs in flight), then the server."""
        self.stopping.set()
        stop_process(self.runner, signal.SIGINT, grace=30)
        stop_process(self.server, signal.SIGTERM, grace=30)
        if self.server is not None:
            with contextlib.suppress(OSError):
                marker_path().unlink()


def banner(ui_url: str, api_url: str, schedule: ScheduleConfig, deployments: list[str]) -> str:
    """What `newsroom up` prints once everything answers: where to look and what to type."""
    zone = ZoneInfo(schedule.timezone)
    next_run = next(CronSim(schedule.cron, datetime.now(zone)))
    when = (
        f"{next_run:%a %Y-%m-%d %H:%M} {schedule.timezone}"
        if schedule.active
        else "paused ([schedule] active = false)"
    )
    lines = [
        f"Prefect UI:   {ui_url}",
        f"Deployments:  {ui_url}/deployments  ({', '.join(deployments)})",
        f"Next digest:  {when}  (cron '{schedule.cron}')",
        f"Run it now:   PREFECT_API_URL={api_url} prefect deployment run '{deployments[0]}'",
        "Press Ctrl-C to stop the deployments and the server.",
    ]
    return "\n".join(lines)
