"""A temporary local Prefect server, started before Prefect is imported so the two overlap.

Without PREFECT_API_URL, Prefect starts a temporary server itself once the first flow runs, after
this process has spent ~5 s importing Prefect; the server then needs ~9 s of its own on 2 cores.
The CLI starts the same server (Prefect's uvicorn app factory, in ephemeral mode: no UI, in-process
services) at once instead, so both happen in parallel. A user's PREFECT_API_URL is left alone.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    """Whether a Prefect server answers its health check at `api_url`."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def stop_process(process: subprocess.Popen[bytes] | None, sig: int, grace: float) -> int | None:
    """Signal a child, give it `grace` seconds, then kill it; its exit code."""
    if process is None:
        return None
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


MARKER = "newsroom-up.json"


def marker_path() -> Path:
    return Path(os.environ.get("PREFECT_HOME", ".prefect")) / MARKER


def running_server() -> tuple[str, str] | None:
    """(API URL, UI URL) of a `newsroom up` of this project that answers, if one runs."""
    try:
        data = json.loads(marker_path().read_text())
        api_url, ui_url = str(data["api_url"]), str(data["ui_url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (api_url, ui_url) if healthy(api_url, timeout=1.0) else None


class TemporaryServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        spec = importlib.util.find_spec("prefect")
        if spec is None or not spec.origin:
            return
        app_dir = str(Path(spec.origin).parent.parent)
        env = {
            **os.environ,
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        env.pop("PREFECT_API_URL", None)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                app_dir,
                "--factory",
                "prefect.server.api.server:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        atexit.register(self.stop)

    def wait(self, timeout: float = 90.0) -> bool:
        """True once /api/health answers; False if the server died or timed out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process and self.process.poll() is None:
            if healthy(self.api_url):
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        stop_process(self.process, signal.SIGTERM, 10)
        self.process = None


def ensure_api() -> TemporaryServer | None:
    """Start a temporary server unless the user points at one; call before importing Prefect."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    if found := running_server():  # `newsroom up` runs for this project: use it, runs show in its UI
        os.environ["PREFECT_API_URL"] = found[0]
        print(f"Using the Prefect server of `newsroom up`: {found[1]}", file=sys.stderr)
        return None
    server = TemporaryServer()
    server.start()
    if server.process is None:
        return None
    os.environ["PREFECT_API_URL"] = server.api_url
    return server


def await_api(server: TemporaryServer | None) -> AbstractContextManager[object]:
    """Block until the early server answers. If it could not start, the returned context runs the
    flow with PREFECT_API_URL unset, so Prefect starts its own temporary server as usual."""
    if server is None or server.wait():
        return nullcontext()
    server.stop()
    os.environ.pop("PREFECT_API_URL", None)
    from prefect.settings import PREFECT_API_URL, temporary_settings

    return temporary_settings(restore_defaults={PREFECT_API_URL})
