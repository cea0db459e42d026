"""What a digest run leaves in Prefect: the preview, report, links and progress artifacts, a bounded
number of task runs, and a webhook call when it fails or crashes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, FlowRunFilter

from flows.weekly_digest import weekly_digest
from newsroom.models import EpisodeOutcome, RunReport, utcnow
from newsroom.newsletter.issue import run_folder
from newsroom.ops.artifacts import EpisodeProgress, report_table
from newsroom.ops.run_options import DigestOptions
from newsroom.publishers.ledger import Ledger
from newsroom.secrets import remember
from newsroom.store import Store
from tests.conftest import transcript_feed, write_config
from tests.fakes.webhook_server import WebhookServer
from tests.publish_helpers import enable_review, paused_for_review


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


@pytest.fixture
def quick(tmp_path: Path) -> Path:
    return transcript_feed(tmp_path, [days_ago(1), days_ago(2), days_ago(3)])


def artifacts_of(flow_run_id: UUID) -> dict[str, Any]:
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(flow_run_filter=FlowRunFilter(id={"any_": [flow_run_id]}))
    return {a.key: a for a in found if a.key}


def task_run_names(flow_run_id: UUID, expected: int, timeout: float = 60) -> list[str]:
    """Task runs reach the server as events: wait until `expected` arrived (or the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id={"any_": [flow_run_id]}))
        if len(runs) >= expected or time.monotonic() > deadline:
            return sorted(r.name for r in runs)
        time.sleep(0.25)


def test_a_digest_run_shows_preview_report_links_and_progress(quick: Path):
    state = weekly_digest(config=str(quick), options=DigestOptions(title="Ops Weekly"), return_state=True)
    report = state.result()
    run_id = state.state_details.flow_run_id
    assert [e.status for e in report.episodes] == ["done"] * 3
    artifacts = artifacts_of(run_id)

    preview = artifacts["newsletter-preview"]
    assert preview.type == "markdown"
    assert "# Ops Weekly" in preview.data  # the run's own option reached the rendered issue
    assert all(f"Quick episode {i}" in preview.data for i in (1, 2, 3))

    table = artifacts["run-report"]
    rows = json.loads(table.data)
    assert table.type == "table"
    assert sorted(r["episode"] for r in rows) == ["Quick episode 1", "Quick episode 2", "Quick episode 3"]
    assert {r["status"] for r in rows} == {"done"} and {r["cost"] for r in rows} == {"$0.0000"}
    assert {"episode", "status", "reason", "cost"} <= set(rows[0])

    html = Path(report.newsletter_path).with_suffix(".html")
    assert html.resolve().as_uri() in artifacts["newsletter-link"].data
    # This run's own report, kept for good (the folder's report.md is the latest run's).
    own = run_folder(Path(report.newsletter_path).parent, report) / "report.md"
    assert own.is_file() and own.resolve().as_uri() in artifacts["run-report-link"].data

    progress = artifacts["digest-progress"]
    assert progress.type == "progress" and float(progress.data) == 100.0
    assert progress.description == "3 of 3 episode(s) processed"

    # Coarse tasks: per episode one process/fetch/transcribe/summarize (no ASR windows here, never
    # one per segment), plus discover, draft, publish and the archive once per run.
    names = task_run_names(run_id, expected=3 + 3 * 4 + 1)
    assert len(names) == 16, names
    assert sum(n.startswith("episode ") for n in names) == 3
    assert sum(n.startswith("transcribe ") for n in names) == 3


def test_the_progress_artifact_moves_as_episodes_finish():
    seen: list[tuple[float, str]] = []

    @flow
    def advance_three_of_four() -> UUID:
        progress = EpisodeProgress(4)
        for _ in range(3):
            progress.advance()
            with get_client(sync_client=True) as client:
                [artifact] = client.read_artifacts(artifact_filter=ArtifactFilter(id={"any_": [progress.id]}))
            seen.append((float(artifact.data), artifact.description or ""))
        return progress.id

    advance_three_of_four()
    assert [round(p) for p, _ in seen] == [25, 50, 75]
    assert seen[-1][1] == "3 of 4 episode(s) processed"


def test_the_report_table_masks_secrets():
    secret = remember("sk-test-abcdef123456")
    report = RunReport(run_id="r", started=utcnow())
    report.episodes.append(
        EpisodeOutcome(
            episode_id="e", title="T", source_name="S", status="failed", stage="summarize",
            reason=f"401 Unauthorized for key {secret}",
        )
    )  # fmt: skip
    [row] = report_table(report)
    assert secret not in json.dumps(row) and "[REDACTED]" in row["reason"]
    assert row["reason"].startswith("[summarize] 401")


def test_a_failed_run_calls_the_webhook_with_its_reason(
    tmp_path: Path, webhook: WebhookServer, monkeypatch: pytest.MonkeyPatch
):
    config = write_config(tmp_path, '[[sources]]\nurl = "nowhere.xml"\nkind = "podcast"\n')
    hook_url = f"{webhook.url}/hooks/T000/secret-token-0123456789"
    monkeypatch.setenv("NEWSROOM_WEBHOOK_URL", hook_url)
    webhook.fail_next = 2  # a flaky receiver: the third attempt gets through
    state = weekly_digest(config=str(config), return_state=True)
    assert state.is_failed()
    [(path, body)] = webhook.wait_for(1)
    assert path == "/hooks/T000/secret-token-0123456789"
    assert body["flow"] == "weekly-digest" and body["state"] == "Failed"
    assert body["flow_run_id"] == str(state.state_details.flow_run_id)
    assert "file not found" in body["message"] and body["text"].startswith("newsroom: weekly-digest run")
    assert "secret-token" not in json.dumps(body)


def test_without_a_webhook_a_failed_run_just_fails(tmp_path: Path, webhook: WebhookServer):
    config = write_config(tmp_path, '[[sources]]\nurl = "nowhere.xml"\nkind = "podcast"\n')
    state = weekly_digest(config=str(config), return_state=True)
    assert state.is_failed() and "file not found" in (state.message or "")
    assert webhook.received == []


@pytest.mark.slow
def test_a_crashed_run_calls_the_webhook(demo_project: Path, webhook: WebhookServer, prefect_server: str):
    """Ctrl-C in the middle of a digest: the run is marked Crashed, the command exits non-zero, and
    the webhook hears of it. The run is paused for review when the signal comes, so it cannot have
    finished first (a warm cache makes the demo digest take a second)."""
    enable_review(demo_project, 300)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    env.update(PREFECT_API_URL=prefect_server, NEWSROOM_WEBHOOK_URL=f"{webhook.url}/crash")
    process = subprocess.Popen(
        [sys.executable, "-m", "newsroom", "digest", "--config", str(demo_project)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    ledger = Ledger(Store(demo_project.parent / "library"))
    deadline = time.monotonic() + 180
    while not paused_for_review(ledger):
        assert process.poll() is None and time.monotonic() < deadline, (
            process.stdout and process.stdout.read()
        )
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=180)[0].decode(errors="replace")
    assert process.returncode == 130, output[-3000:]  # as a shell reports an interrupted command
    [(path, body)] = webhook.wait_for(1)
    assert path == "/crash" and body["state"] == "Crashed", output[-2000:]
    assert body["flow"] == "weekly-digest"
