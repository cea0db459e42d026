"""`newsroom up` as a person uses it, on PostgreSQL: start it, open the UI in headless Chromium,
run the weekly digest from its form with a custom title, find the newsletter artifact, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from newsroom.app.up import Up, UpError
from tests.conftest import require_tool
from tests.fakes.postgres_server import PostgresServer, postgres_bin

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TITLE = "Ops from the UI"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def post_json(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


class Output:
    """The lines a child process prints, collected in a thread; wait for one without sleeping."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def wait_for(self, text: str, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: any(text in line for line in self.lines), timeout=timeout)

    @property
    def text(self) -> str:
        return "".join(self.lines)


def test_up_refuses_a_port_that_is_taken(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        up = Up(None, port=taken.getsockname()[1], log_dir=tmp_path)
        with pytest.raises(UpError, match="is taken by another program; pick another --port"):
            up.start_server()
    assert up.server is None


def test_up_needs_a_config_to_serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from typer.testing import CliRunner

    from newsroom.app.cli import app

    monkeypatch.chdir(tmp_path)  # no newsroom.toml here
    result = CliRunner().invoke(app, ["up"])
    assert result.exit_code == 2 and "needs a newsroom.toml" in result.output


def test_digest_and_task_find_a_running_newsroom_up(
    tmp_path: Path, prefect_server: str, monkeypatch: pytest.MonkeyPatch
):
    from newsroom.ops.prefect_server import ensure_api, marker_path, running_server

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert running_server() is None
    marker_path().write_text(json.dumps({"api_url": prefect_server, "ui_url": "http://ui.example"}))
    assert running_server() == (prefect_server, "http://ui.example")
    assert ensure_api() is None and os.environ["PREFECT_API_URL"] == prefect_server  # no server of its own
    monkeypatch.delenv("PREFECT_API_URL")
    marker_path().write_text(json.dumps({"api_url": f"http://127.0.0.1:{free_port()}/api", "ui_url": "x"}))
    assert running_server() is None  # left behind by an `up` that is gone: ignored


@pytest.mark.slow
def test_newsroom_up_on_postgres_runs_the_digest_from_the_ui(demo_project: Path, tmp_path: Path):
    require_tool("chromium")
    require_tool("psql")
    if postgres_bin() is None:
        require_tool("initdb")  # skips locally, fails in CI, with the same message as other tools
    from playwright.sync_api import sync_playwright

    port = free_port()
    ui = f"http://127.0.0.1:{port}"
    api = f"{ui}/api"
    with PostgresServer() as pg:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("OPENAI", "NEWSROOM_", "PREFECT_API_URL"))
        }
        env.update(
            PREFECT_HOME=str(tmp_path / "prefect-home"),
            PREFECT_API_DATABASE_CONNECTION_URL=pg.url,
            PREFECT_RUNNER_POLL_FREQUENCY="2",  # pick up the UI's run within 2 s, not 10
            PREFECT_LOGGING_LEVEL="INFO",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "newsroom", "up", "--config", str(demo_project), "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        output = Output(process)
        try:
            assert output.wait_for("Press Ctrl-C to stop", timeout=240), output.text[-3000:]
            assert f"Prefect UI:   {ui}" in output.text
            assert (tmp_path / "prefect-home" / "newsroom-up.json").exists()  # `newsroom digest` finds it

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1100})
                run_id = trigger_digest_from_the_form(page, ui)
                state = wait_for_terminal_state(api, run_id, timeout=420)
                assert state == "COMPLETED", output.text[-4000:]
                page.reload()
                page.get_by_text("Completed", exact=True).first.wait_for(timeout=60_000)
                page.get_by_text("Artifacts", exact=True).click()
                page.get_by_text("newsletter-preview", exact=True).click()
                page.get_by_text(TITLE).first.wait_for(timeout=60_000)  # the rendered preview
                page.get_by_text("Agents that plan your week").first.wait_for(timeout=10_000)
                screenshot = tmp_path / "newsletter-artifact.png"
                page.screenshot(path=str(screenshot), full_page=True)
                browser.close()
            assert screenshot.stat().st_size > 20_000

            # The same run, as PostgreSQL holds it.
            [[state_type]] = pg.sql(f"SELECT state_type FROM flow_run WHERE id = '{run_id}'")
            assert state_type == "COMPLETED"
            keys = {row[0] for row in pg.sql(f"SELECT key FROM artifact WHERE flow_run_id = '{run_id}'")}
            [[runs]] = pg.sql("SELECT COUNT(*) FROM flow_run WHERE state_type <> 'SCHEDULED'")
            assert runs == "1"  # one submit, one run
            assert {"newsletter-preview", "run-report", "digest-progress", "newsletter-link"} <= keys

            # The server's scheduler made the weekly runs: Mondays 07:00 in Amsterdam.
            first = next_scheduled_run(api)
            local = first.astimezone(ZoneInfo("Europe/Amsterdam"))
            assert (local.weekday(), local.hour, local.minute) == (0, 7, 0)
        finally:
            process.send_signal(signal.SIGINT)  # Ctrl-C
            try:
                code = process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
        output.thread.join(timeout=10)
        assert code == 0, output.text[-3000:]
        assert "Stopping the deployments, then the server" in output.text and "Stopped." in output.text
        assert "All deployments have been paused" in output.text  # the schedule waits for the next `up`
        [[paused]] = pg.sql("SELECT paused FROM deployment WHERE name = 'weekly'")
        assert paused == "t"
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        assert not (tmp_path / "prefect-home" / "newsroom-up.json").exists()


def trigger_digest_from_the_form(page: Any, ui: str) -> str:
    """Deployments -> weekly -> Run -> Custom run, type a newsletter title, submit; open the run."""
    page.goto(f"{ui}/deployments")
    page.get_by_role("link", name="weekly", exact=True).click()
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("Custom run").click()
    title_box = page.locator(
        "xpath=//span[contains(@class,'schema-form-property__label')]"
        "[starts-with(normalize-space(.),'Newsletter title')]"
        "/ancestor::div[contains(concat(' ',@class,' '),' schema-form-property ')][1]//textarea"
    )
    title_box.fill(TITLE)
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("scheduled to start").first.wait_for(timeout=30_000)  # the UI's confirmation
    # The toast's "View run" button is hard to click while it animates: open the run by its id.
    runs = post_json(f"{ui}/api/flow_runs/filter", {"sort": "EXPECTED_START_TIME_ASC", "limit": 200})
    [run] = [r for r in runs if (r["parameters"].get("options") or {}).get("title") == TITLE]
    page.goto(f"{ui}/runs/flow-run/{run['id']}")
    return str(run["id"])


def wait_for_terminal_state(api: str, run_id: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        state = get_json(f"{api}/flow_runs/{run_id}")["state"]["type"]
        if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") or time.monotonic() > deadline:
            return str(state)
        time.sleep(1)


def next_scheduled_run(api: str, timeout: float = 120) -> datetime:
    deployment = get_json(f"{api}/deployments/name/weekly-digest/weekly")
    deadline = time.monotonic() + timeout
    while True:
        runs = post_json(
            f"{api}/flow_runs/filter",
            {
                "deployments": {"id": {"any_": [deployment["id"]]}},
                "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
                "sort": "EXPECTED_START_TIME_ASC",
                "limit": 1,
            },
        )
        if runs or time.monotonic() > deadline:
            assert runs, "the scheduler made no runs for the weekly deployment"
            return datetime.fromisoformat(runs[0]["expected_start_time"].replace("Z", "+00:00"))
        time.sleep(1)
