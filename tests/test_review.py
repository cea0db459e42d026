"""Review before publishing, against the session's real Prefect server: the digest runs in a thread
and pauses; a person resumes it with `newsroom approve` from another process (or rejects it), or
nobody does and the timeout leaves the draft unpublished."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from flows.weekly_digest import weekly_digest
from newsroom.app.cli import app
from newsroom.config import load_settings
from newsroom.publishers.ledger import Ledger, StoredNewsletter
from newsroom.store import Store
from tests.conftest import SMTP_PASSWORD
from tests.fakes.smtp_server import SMTPServer
from tests.fakes.tls import Certs
from tests.publish_helpers import email_block, enable_review, paused_for_review

READERS = ["ann@example.org", "ben@example.org"]


@pytest.fixture
def review_project(
    demo_project: Path, smtp_server: SMTPServer, tls_certs: Certs, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    enable_review(demo_project, 120)
    demo_project.write_text(demo_project.read_text() + email_block(smtp_server, tls_certs, READERS))
    assert load_settings(demo_project).review
    return demo_project


def start_digest(config: Path) -> tuple[threading.Thread, dict[str, Any]]:
    result: dict[str, Any] = {}

    def run() -> None:
        result["state"] = weekly_digest(config=str(config), return_state=True)

    thread = threading.Thread(target=run, daemon=True, name="digest-under-review")
    thread.start()
    return thread, result


def wait_until_paused(config: Path, timeout: float = 180) -> StoredNewsletter:
    ledger = Ledger(Store(load_settings(config).library_dir))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stored := paused_for_review(ledger):
            return stored
        time.sleep(0.2)
    raise AssertionError("the digest never paused for review")


@pytest.mark.slow
def test_approve_from_another_process_publishes_with_the_chosen_subject(
    review_project: Path, smtp_server: SMTPServer, prefect_server: str
):
    from prefect.client.orchestration import get_client

    thread, result = start_digest(review_project)
    stored = wait_until_paused(review_project)
    assert smtp_server.handler.messages == []  # nothing goes out before the decision

    import httpx

    # The draft, shown on the run: asked the way the UI asks (the client's filter call sends nulls
    # this server version refuses).
    query = {"artifacts": {"key": {"any_": ["newsletter-draft"]}, "flow_run_id": {"any_": [stored.run_id]}}}
    drafts = httpx.post(f"{prefect_server}/artifacts/filter", json={**query, "limit": 5, "offset": 0}).json()
    with get_client(sync_client=True) as client:
        run_id = UUID(stored.run_id)
        form = client.read_flow_run_input(run_id, "paused-1-schema")  # what the UI's Resume form shows
    assert len(drafts) == 1 and drafts[0]["type"] == "markdown"
    assert "Agents that plan your week" in drafts[0]["data"]
    assert '"approve"' in form and '"reject"' in form and stored.newsletter.title in form

    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    env["PREFECT_API_URL"] = prefect_server
    approve = subprocess.run(
        [sys.executable, "-m", "newsroom", "approve", "--config", str(review_project),
         "--subject", "Deze week: agents en stemmen", "--note", "looks good"],
        capture_output=True, text=True, env=env, timeout=180,
    )  # fmt: skip
    assert approve.returncode == 0, approve.stderr[-2000:]
    assert "Approved run" in approve.stdout

    thread.join(timeout=180)
    state = result["state"]
    assert state.is_completed(), state
    report = state.result()
    assert report.review == "approved (looks good)"
    assert [(p.target, p.status, p.sent) for p in report.publications] == [("email", "sent", 2)]
    assert {m.message["Subject"] for m in smtp_server.handler.messages} == {"Deze week: agents en stemmen"}
    ledger = Ledger(Store(load_settings(review_project).library_dir))
    assert ledger.find(None).status == "approved" and ledger.find(None).review_note == "looks good"
    assert weekly_digest(config=str(review_project)).episodes == []  # they went out: never again


@pytest.mark.slow
def test_reject_by_run_name_stops_the_run_and_the_episodes_come_back(
    review_project: Path, smtp_server: SMTPServer
):
    from prefect.client.orchestration import get_client

    thread, result = start_digest(review_project)
    stored = wait_until_paused(review_project)
    with get_client(sync_client=True) as client:
        name = client.read_flow_run(UUID(stored.run_id)).name
    rejected = CliRunner().invoke(
        app, ["approve", name, "--reject", "--note", "not this week", "--config", str(review_project)]
    )
    assert rejected.exit_code == 0, rejected.output
    thread.join(timeout=180)
    report = result["state"].result()
    assert report.review == "rejected (not this week)" and report.publications == []
    assert any("nothing was published" in n for n in report.notes)
    assert smtp_server.handler.messages == []
    again = CliRunner().invoke(app, ["approve", "--config", str(review_project)])
    assert again.exit_code == 1 and "no draft is waiting for review" in again.output

    review_project.write_text(review_project.read_text().replace("review = true", "review = false"))
    next_run = weekly_digest(config=str(review_project))
    assert sum(e.status == "done" for e in next_run.episodes) == 3  # the rejected episodes, again
    assert [p.status for p in next_run.publications] == ["sent"] and len(smtp_server.handler.messages) == 2


@pytest.mark.slow
def test_a_review_timeout_leaves_the_draft_unpublished_and_says_so(
    review_project: Path, smtp_server: SMTPServer
):
    review_project.write_text(
        review_project.read_text().replace("review_timeout_seconds = 120", "review_timeout_seconds = 2")
    )
    state = weekly_digest(config=str(review_project), return_state=True)
    assert state.is_failed()
    assert "Review timed out: not approved within 2 s: nothing was published" in (state.message or "")
    settings = load_settings(review_project)
    report = Store(settings.library_dir).last_report()
    assert report is not None and report.review == "timed out: not approved within 2 s"
    report_md = next(settings.output_dir.glob("*/report.md")).read_text()
    assert "Review: timed out" in report_md and "newsroom publish" in report_md
    assert smtp_server.handler.messages == []
    stored = Ledger(Store(settings.library_dir)).find(None)
    assert stored is not None and stored.status == "expired"

    late = CliRunner().invoke(app, ["approve", stored.run_id, "--config", str(review_project)])
    assert late.exit_code == 1 and "is not waiting for review" in late.output
    # Released by hand: that is the approval; its episodes are then in a newsletter.
    released = CliRunner().invoke(app, ["publish", stored.newsletter.id, "--config", str(review_project)])
    assert released.exit_code == 0, released.output
    assert len(smtp_server.handler.messages) == 2
    review_project.write_text(review_project.read_text().replace("review = true", "review = false"))
    assert weekly_digest(config=str(review_project)).episodes == []
