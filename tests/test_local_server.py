"""The background Prefect server: started once, found by the next command, stopped by `newsroom down`
or when idle, never two at once, and nothing left behind when the command is killed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from newsroom.ops.prefect_server import BACKGROUND_MARKER, healthy, process_alive
from tests.conftest import transcript_feed


def children_of(pid: int) -> set[int]:
    """Every process below `pid` (from /proc: its children, theirs, ...)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    def running(pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        return state != "Z"

    return {p for p in pids if running(p)}


def until(check, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A feed that ships transcripts, its config, and an environment with its own PREFECT_HOME and no
    PREFECT_API_URL: the command has to find (or start) a server by itself."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to follow processes")
    config = transcript_feed(tmp_path, [date.today().isoformat()])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "NEWSROOM_", "PREFECT_API_"))}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    return tmp_path / "demo" / "quick.xml", config, env


def newsroom(*args: str, env: dict[str, str], **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "newsroom", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def marker(env: dict[str, str]) -> dict[str, object] | None:
    try:
        return dict(json.loads((Path(env["PREFECT_HOME"]) / BACKGROUND_MARKER).read_text()))
    except (OSError, ValueError):
        return None


@pytest.mark.slow
def test_a_killed_command_leaves_only_the_server_it_can_find_and_stop(project):
    feed, config, env = project
    cli = newsroom("task", "fetch", str(feed), "--config", str(config), "--quiet", env=env)
    try:
        found = until(lambda: marker(env), 60, "the command to record its server")
        server_pid, api_url = int(found["pid"]), str(found["api_url"])  # type: ignore[call-overload]
        until(lambda: healthy(api_url, timeout=1.0), 120, "the background server to answer")
        below = children_of(cli.pid)
        assert server_pid in below
        cli.send_signal(signal.SIGKILL)
        cli.wait(timeout=10)
    finally:
        if cli.poll() is None:
            cli.kill()
    # Everything the command started is gone except the server, which its marker names.
    until(lambda: alive(below) <= {server_pid}, 15, "the command's other processes to end")
    assert alive(below) == {server_pid} and healthy(api_url)

    # The next command finds it instead of starting another.
    again = newsroom("task", "fetch", str(feed), "--config", str(config), "--quiet", env=env)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err[-2000:]
    assert f"background server {api_url} (running since" in err and f"pid {server_pid}" in err
    assert '"kind": "transcript"' in out
    assert marker(env) == found

    down = subprocess.run(
        [sys.executable, "-m", "newsroom", "down"], env=env, capture_output=True, text=True, timeout=60
    )
    assert down.returncode == 0 and f"Stopped the background Prefect server {api_url}" in down.stdout
    assert alive(below) == set() and not process_alive(server_pid) and marker(env) is None
    again_down = subprocess.run(
        [sys.executable, "-m", "newsroom", "down"], env=env, capture_output=True, text=True, timeout=60
    )
    assert "No background Prefect server runs" in again_down.stdout


@pytest.mark.slow
def test_two_commands_at_once_share_one_server_which_stops_when_idle(project):
    feed, config, env = project
    env["NEWSROOM_SERVER_IDLE_MINUTES"] = "0.1"  # 6 s without a request or an open connection
    both = [newsroom("task", "fetch", str(feed), "--config", str(config), "--quiet", env=env) for _ in "ab"]
    said = [p.communicate(timeout=300) for p in both]
    assert [p.returncode for p in both] == [0, 0], [err[-1500:] for _, err in said]
    lines = [next(line for line in err.splitlines() if line.startswith("Prefect: ")) for _, err in said]
    pids = {re.search(r"pid (\d+)", line).group(1) for line in lines}  # type: ignore[union-attr]
    assert len(pids) == 1 and sum("started now" in line for line in lines) == 1, lines
    assert not any("did not answer" in err for _, err in said)
    server_pid = int(pids.pop())
    until(lambda: not process_alive(server_pid), 120, "the idle server to stop by itself")
    assert marker(env) is None


def test_the_users_prefect_api_url_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    from newsroom.ops.prefect_server import ensure_api

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.example:4200/api")
    assert ensure_api() is None
    assert os.environ["PREFECT_API_URL"] == "http://prefect.example:4200/api"
    assert not (tmp_path / BACKGROUND_MARKER).exists()  # nothing started
    assert "Prefect: http://prefect.example:4200/api (your PREFECT_API_URL)" in capsys.readouterr().err
