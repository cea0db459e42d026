"""One local Prefect server per project, started in the background on first need and reused.

Without PREFECT_API_URL, Prefect would start a temporary server for every command (~9 s of its
own on 2 cores) and stop it when the command ends. Instead the first `newsroom digest` or
`newsroom task` starts one server (Prefect's uvicorn app in ephemeral mode: no UI, no background
services) as a detached process with its state in the project's PREFECT_HOME, and records it in
`PREFECT_HOME/newsroom-server.json` (pid, port, start time). Later commands find it there, check
its health, and use it. A file lock keeps two commands from starting two servers. It stops by
itself after NEWSROOM_SERVER_IDLE_MINUTES (30) without a request or an open connection, or with
`newsroom down`. A user's own PREFECT_API_URL wins, then a running `newsroom up`.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

IDLE_ENV = "NEWSROOM_SERVER_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 30.0
MARKER = "newsroom-up.json"  # written by `newsroom up`
BACKGROUND_MARKER = "newsroom-server.json"  # written when the background server starts
MODULE = "newsroom.ops.prefect_server"  # the server process runs this module


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


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME", ".prefect"))


def marker_path() -> Path:
    return prefect_home() / MARKER


def running_server() -> tuple[str, str] | None:
    """(API URL, UI URL) of a `newsroom up` of this project that answers, if one runs."""
    try:
        data = json.loads(marker_path().read_text())
        api_url, ui_url = str(data["api_url"]), str(data["ui_url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (api_url, ui_url) if healthy(api_url, timeout=1.0) else None


def idle_timeout() -> float:
    """Seconds without any request or open connection after which the background server stops."""
    raw = os.environ.get(IDLE_ENV, "")
    try:
        minutes = float(raw) if raw.strip() else DEFAULT_IDLE_MINUTES
    except ValueError:
        minutes = DEFAULT_IDLE_MINUTES
    return max(minutes, 0.01) * 60


def process_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not count), and on Linux, whether it is our server."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it was our own child and has exited
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if not proc.is_dir():
        return True
    try:
        state = proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0]
        cmdline = proc.joinpath("cmdline").read_bytes()
    except (OSError, IndexError):
        return False
    return state != "Z" and MODULE.encode() in cmdline  # a reused pid is not our server


@dataclass
class BackgroundServer:
    """The project's background server as its marker file describes it."""

    pid: int
    port: int
    started: float
    fresh: bool = False  # started by this command

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @staticmethod
    def path() -> Path:
        return prefect_home() / BACKGROUND_MARKER

    @classmethod
    def find(cls) -> BackgroundServer | None:
        """The server the marker names, if its process still runs (it may still be starting)."""
        try:
            data = json.loads(cls.path().read_text())
            found = cls(pid=int(data["pid"]), port=int(data["port"]), started=float(data["started"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return found if process_alive(found.pid) else None

    @classmethod
    def start(cls) -> BackgroundServer:
        """Start the server detached (own session: a Ctrl-C or kill of this command spares it)."""
        port = free_port()
        logs = prefect_home() / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1"}
        env.pop("PREFECT_API_URL", None)
        with (logs / "background-server.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", MODULE, "--port", str(port), "--idle", str(idle_timeout())],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        server = cls(pid=process.pid, port=port, started=time.time(), fresh=True)
        server.write_marker()
        return server

    def write_marker(self) -> None:
        path = self.path()
        partial = path.with_suffix(".tmp")
        partial.write_text(
            json.dumps({"pid": self.pid, "port": self.port, "api_url": self.api_url, "started": self.started})
        )
        partial.replace(path)

    def wait(self, timeout: float = 90.0) -> bool:
        """True once /api/health answers; False if the server died or timed out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process_alive(self.pid):
            if healthy(self.api_url, timeout=1.0):
                return True
            time.sleep(0.1)
        return False

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM (the server finishes its requests and closes the database), then SIGKILL."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while process_alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if process_alive(self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            while process_alive(self.pid):
                time.sleep(0.05)
        self.forget()

    def forget(self) -> None:
        """Remove the marker if it still names this server."""
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            if int(json.loads(self.path().read_text())["pid"]) == self.pid:
                self.path().unlink()

    def describe(self) -> str:
        since = datetime.fromtimestamp(self.started).strftime("%H:%M")
        how = "started now" if self.fresh else f"running since {since}"
        return f"background server {self.api_url} ({how}, pid {self.pid}; `newsroom down` stops it)"


@contextlib.contextmanager
def _server_lock() -> Any:
    prefect_home().mkdir(parents=True, exist_ok=True)
    with (prefect_home() / "newsroom-server.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def background_server() -> BackgroundServer:
    """The running background server, else a new one; under a lock, so only one ever starts."""
    with _server_lock():
        return BackgroundServer.find() or BackgroundServer.start()


def stop_background_server() -> BackgroundServer | None:
    """Stop the project's background server (`newsroom down`); the one stopped, if one ran."""
    with _server_lock():
        found = BackgroundServer.find()
        if found is not None:
            found.stop()
        else:
            with contextlib.suppress(OSError):
                BackgroundServer.path().unlink()  # a stale marker
        return found


def skip_ca_bundle(api_url: str) -> None:
    """Every Prefect client builds a TLS context from certifi's ~150 roots (~0.1-0.2 s each; a digest
    makes four) even for a plain-http address, where it is never used. For our loopback server, point
    PREFECT_API_SSL_CERT_FILE at a file with a single root instead, unless the user set one."""
    if not api_url.startswith("http://127.0.0.1:") or "PREFECT_API_SSL_CERT_FILE" in os.environ:
        return
    import certifi

    path = prefect_home() / "loopback-ca.pem"
    try:
        if not path.exists():
            bundle = Path(certifi.where()).read_text()
            end = "-----END CERTIFICATE-----"
            first = bundle[bundle.index("-----BEGIN CERTIFICATE-----") : bundle.index(end) + len(end)]
            partial = path.with_suffix(".tmp")
            partial.write_text(first + "\n")
            partial.replace(path)
    except (OSError, ValueError):
        return
    os.environ["PREFECT_API_SSL_CERT_FILE"] = str(path)


def say(line: str) -> None:
    print(f"Prefect: {line}", file=sys.stderr, flush=True)


def ensure_api() -> BackgroundServer | None:
    """Point Prefect at a server before it is imported: the user's PREFECT_API_URL, a running
    `newsroom up`, else the background server (started now if none runs). Prints which."""
    if url := os.environ.get("PREFECT_API_URL"):
        say(f"{url} (your PREFECT_API_URL)")
        return None
    if found := running_server():  # `newsroom up` runs for this project: use it, runs show in its UI
        os.environ["PREFECT_API_URL"] = found[0]
        skip_ca_bundle(found[0])
        say(f"the server of `newsroom up`: {found[1]}")
        return None
    try:
        server = background_server()
    except OSError as exc:  # PREFECT_HOME not writable, ...: Prefect's own temporary server then
        say(f"no background server ({exc}); a temporary one for this command")
        return None
    os.environ["PREFECT_API_URL"] = server.api_url
    skip_ca_bundle(server.api_url)
    # Our own server runs this very Prefect version: no need to ask it for its version on every client.
    os.environ.setdefault("PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED", "false")
    say(server.describe())
    return server


def await_api(server: BackgroundServer | None) -> AbstractContextManager[object]:
    """Block until the background server answers, and run the command's flows without heartbeats.

    Heartbeats (every 180 s by default) let a server spot a crashed run; a run in this terminal reports
    its own crash, and ending its heartbeat thread costs up to a second per flow run. A
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY the user set is kept. If the background server could not
    start, the context also unsets PREFECT_API_URL, so Prefect starts its own temporary server."""
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    updates: dict[Any, Any] = {}
    if "PREFECT_FLOWS_HEARTBEAT_FREQUENCY" not in os.environ:
        updates[PREFECT_FLOWS_HEARTBEAT_FREQUENCY] = None
    if server is None or server.wait():
        return temporary_settings(updates=updates)
    say(f"the background server did not answer; see {prefect_home() / 'logs' / 'background-server.log'}")
    if server.fresh:
        server.stop(grace=5)
    os.environ.pop("PREFECT_API_URL", None)
    return temporary_settings(updates=updates, restore_defaults={PREFECT_API_URL})


def exit_now(code: object) -> None:
    """End the command as soon as Prefect has sent what it holds (events, logs), skipping the slow
    interpreter teardown (~2 s of joining threads and freeing modules). Only when the server lives
    outside this process; with Prefect's own temporary server (the fallback) the normal exit stops it."""
    status = 0 if code is None else code if isinstance(code, int) else 1
    if not isinstance(code, int | None):
        print(code, file=sys.stderr)
    if "prefect" in sys.modules and os.environ.get("PREFECT_API_URL"):
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        for worker in (APILogWorker, EventsWorker):  # logs first: sending them emits no events
            worker.drain_all(timeout=30)
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


# The server process itself: `python -m newsroom.ops.prefect_server --port N --idle SECONDS` -------

ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


class Activity:
    """ASGI wrapper that counts open requests and connections (a running flow keeps its events
    websocket open) and remembers when the last one ended."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.open = 0
        self.last = time.monotonic()

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        self.open += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open -= 1
            self.last = time.monotonic()

    def idle_for(self) -> float:
        return 0.0 if self.open else time.monotonic() - self.last


def serve(port: int, idle: float) -> None:
    """Run Prefect's API on 127.0.0.1:port until SIGTERM or `idle` seconds without use."""
    import uvicorn
    from prefect.server.api.server import create_app

    activity = Activity(create_app(ephemeral=True, final=True))
    server = uvicorn.Server(
        uvicorn.Config(activity, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    )

    def watch() -> None:
        while not server.started and not server.should_exit:  # migrations can take a while
            time.sleep(0.2)
        activity.last = time.monotonic()
        while not server.should_exit:
            time.sleep(min(5.0, idle / 4))
            if activity.idle_for() > idle:
                print(f"idle for {idle:.0f} s: stopping", file=sys.stderr, flush=True)
                server.should_exit = True

    threading.Thread(target=watch, name="idle-watch", daemon=True).start()
    try:
        server.run()
    finally:
        BackgroundServer(pid=os.getpid(), port=port, started=0).forget()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--idle", type=float, default=DEFAULT_IDLE_MINUTES * 60)
    args = parser.parse_args()
    serve(args.port, args.idle)
