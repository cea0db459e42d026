"""Approving from the Prefect UI itself: a real `prefect server start` (with its UI) and headless
Chromium driven by Playwright click Resume on the paused digest, fill in the form and submit."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.weekly_digest import weekly_digest
from tests.conftest import require_tool
from tests.fakes.smtp_server import SMTPServer
from tests.test_review import READERS, wait_until_paused
from tests.test_review import review_project as review_project  # a fixture, shared


@pytest.fixture(scope="module")
def prefect_ui_server() -> Iterator[str]:
    """`prefect server start` with the UI, on its own temporary database; yields the UI's base URL."""
    home = tempfile.mkdtemp(prefix="newsroom-ui-prefect-")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PREFECT_HOME": home,
        "PREFECT_API_URL": f"{base}/api",
        "PREFECT_UI_ENABLED": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("prefect server start did not come up") from None
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
def test_resume_from_the_prefect_ui_form(
    review_project: Path, smtp_server: SMTPServer, prefect_ui_server: str, tmp_path: Path
):
    require_tool("chromium")
    from playwright.sync_api import sync_playwright
    from prefect.settings import PREFECT_API_URL, temporary_settings

    api = {PREFECT_API_URL: f"{prefect_ui_server}/api"}
    result: dict[str, Any] = {}

    def run() -> None:
        with temporary_settings(updates=api):
            result["state"] = weekly_digest(config=str(review_project), return_state=True)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    with temporary_settings(updates=api):
        stored = wait_until_paused(review_project)
    assert smtp_server.handler.messages == []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{prefect_ui_server}/runs/flow-run/{stored.run_id}")
            page.get_by_role("button", name="Resume").first.click(timeout=60_000)
            dialog = page.locator(".p-modal")
            dialog.get_by_text("Review the newsletter draft").wait_for()
            dialog.get_by_text("Agents that plan your week").first.wait_for()  # the draft itself
            decision = dialog.locator(".p-select-button__control").first
            decision.click()
            decision.press("ArrowDown")  # opens the option list
            page.get_by_role("option", name="approve", exact=True).click()
            dialog.locator("textarea").first.fill("Approved in the UI")
            dialog.get_by_role("button", name="Submit").click()
            thread.join(timeout=120)
        finally:
            page.screenshot(path=str(tmp_path / "resume.png"))
            browser.close()

    report = result["state"].result()
    assert report.review == "approved"
    assert [(p.target, p.status) for p in report.publications] == [("email", "sent")]
    assert {m.message["Subject"] for m in smtp_server.handler.messages} == {"Approved in the UI"}
    assert sorted(r for m in smtp_server.handler.messages for r in m.rcpt_tos) == READERS
