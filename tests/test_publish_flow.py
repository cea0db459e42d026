"""The digest publishing to every kind of target: once, failures alone, retries of only the failed
targets, a dry run that sends nothing, a crash mid-send that re-sends nothing, and no secret anywhere."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.weekly_digest import weekly_digest
from newsroom.app.cli import app
from newsroom.config import load_settings
from newsroom.publishers.ledger import Ledger
from newsroom.store import Store
from tests.conftest import BUTTONDOWN_KEY, SMTP_PASSWORD
from tests.fakes.publish_receiver import PublishReceiver
from tests.fakes.smtp_server import SMTPServer, free_port
from tests.fakes.tls import Certs
from tests.publish_helpers import buttondown_block, email_block, obsidian_block, webhook_block

READERS = ["ann@example.org", "ben@example.org", "cas@example.org"]
SLACK_TOKEN = "slack-tok-Planted-3e8d11"


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch, publish_receiver: PublishReceiver) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("TEST_BUTTONDOWN_KEY", BUTTONDOWN_KEY)
    monkeypatch.setenv("SLACK_URL", f"{publish_receiver.base_url}/slack/T0/B0/{SLACK_TOKEN}")


def add_all_targets(
    project: Path,
    smtp: SMTPServer,
    certs: Certs,
    receiver: PublishReceiver,
    port: int | None = None,
    retries: int = 0,
) -> Path:
    """Append every kind of target to the project's config; returns the (new) Obsidian vault."""
    vault = project.parent / "vault"
    vault.mkdir()
    email = email_block(smtp, certs, READERS)
    if port is not None:
        email = email.replace(f"port = {smtp.port}", f"port = {port}")
    slack = webhook_block("slack", "slack", "SLACK_URL", retries=retries)
    project.write_text(
        project.read_text() + email + slack + buttondown_block(receiver) + obsidian_block(vault)
    )
    return vault


@pytest.mark.slow
def test_every_target_once_and_reruns_send_nothing(
    demo_project: Path, smtp_server: SMTPServer, tls_certs: Certs, publish_receiver: PublishReceiver, secrets_env: None
):  # fmt: skip
    vault = add_all_targets(demo_project, smtp_server, tls_certs, publish_receiver)

    report = weekly_digest(config=str(demo_project))
    by_target = {p.target: p for p in report.publications}
    assert {t: p.status for t, p in by_target.items()} == dict.fromkeys(
        ["email", "slack", "buttondown", "obsidian"], "sent"
    )
    assert by_target["email"].sent == 3
    assert sorted(r for m in smtp_server.handler.messages for r in m.rcpt_tos) == READERS
    assert len(publish_receiver.to("/slack/")) == 1 and len(publish_receiver.emails) == 1
    assert len(list((vault / "Newsroom" / "Transcripts").iterdir())) == 3
    report_md = (Path(report.newsletter_path).parent / "report.md").read_text()
    assert "## Publishing" in report_md and "| email | email |" in report_md

    assert weekly_digest(config=str(demo_project)).publications == []  # nothing new, nothing due
    # Forced: the same episodes, the same day, the same newsletter: the ledger says it all went out.
    forced = weekly_digest(config=str(demo_project), force=True)
    assert {p.status for p in forced.publications} == {"already-sent"}
    assert len(smtp_server.handler.messages) == 3 and len(publish_receiver.to("/slack/")) == 1
    assert len(publish_receiver.emails) == 1

    again = weekly_digest(config=str(demo_project), force=True, republish=True)  # on purpose
    assert {p.status for p in again.publications} == {"sent"}
    assert len(smtp_server.handler.messages) == 6 and len(publish_receiver.emails) == 2


@pytest.mark.slow
def test_failing_targets_fail_alone_and_the_next_run_retries_only_them(
    demo_project: Path, smtp_server: SMTPServer, tls_certs: Certs, publish_receiver: PublishReceiver,
    secrets_env: None, monkeypatch: pytest.MonkeyPatch,
):  # fmt: skip
    dead_port = free_port()  # nothing listens: the SMTP server is unreachable
    vault = add_all_targets(demo_project, smtp_server, tls_certs, publish_receiver, dead_port, retries=1)
    publish_receiver.fail["/slack/"] = [500, 500]  # the quick retry fails too
    monkeypatch.setenv("TEST_BUTTONDOWN_KEY", "revoked-key-000")

    report = weekly_digest(config=str(demo_project))
    assert [e.status for e in report.episodes] == ["done"] * 3  # the digest itself is fine
    outcome = {p.target: p for p in report.publications}
    assert outcome["obsidian"].status == "sent"
    assert outcome["email"].status == "failed" and f"127.0.0.1:{dead_port}" in outcome["email"].reason
    assert outcome["slack"].status == "failed" and "HTTP 500" in outcome["slack"].reason
    assert len(publish_receiver.to("/slack/")) == 2  # retried once within the run
    assert outcome["buttondown"].status == "failed" and "HTTP 401" in outcome["buttondown"].reason
    report_md = (Path(report.newsletter_path).parent / "report.md").read_text()
    assert "HTTP 401 Unauthorized" in report_md and "Connection refused" in report_md
    notes = vault / "Newsroom" / "Transcripts" / "Agents that plan your week.md"
    written_at = notes.stat().st_mtime_ns

    # Fixed: the server is back, the key renewed, Slack healthy. Nothing new was published, yet the
    # next run delivers to exactly the three failed targets.
    demo_project.write_text(
        demo_project.read_text().replace(f"port = {dead_port}", f"port = {smtp_server.port}")
    )
    monkeypatch.setenv("TEST_BUTTONDOWN_KEY", BUTTONDOWN_KEY)
    retry = weekly_digest(config=str(demo_project))
    assert retry.episodes == []
    assert {p.target: p.status for p in retry.publications} == {
        "buttondown": "sent",
        "email": "sent",
        "slack": "sent",
    }
    assert len(smtp_server.handler.messages) == 3 and len(publish_receiver.emails) == 1
    assert notes.stat().st_mtime_ns == written_at  # the vault was not touched again
    assert any("Retried 3 delivery" in n for n in retry.notes)
    assert weekly_digest(config=str(demo_project)).publications == []


@pytest.mark.slow
def test_dry_run_shows_what_would_go_where_and_sends_nothing(
    demo_project: Path, smtp_server: SMTPServer, tls_certs: Certs, publish_receiver: PublishReceiver, secrets_env: None
):  # fmt: skip
    vault = add_all_targets(demo_project, smtp_server, tls_certs, publish_receiver)
    report = weekly_digest(config=str(demo_project), dry_run=True)
    assert {p.status for p in report.publications} == {"would-send"}
    detail = {p.target: p.detail for p in report.publications}
    assert f"to 3 recipient(s) via 127.0.0.1:{smtp_server.port} (starttls, login newsroom)" in detail["email"]
    assert "slack JSON (title, summary, link) to 127.0.0.1" in detail["slack"]
    assert SLACK_TOKEN not in json.dumps(report.model_dump(mode="json"))
    previews = Path(report.newsletter_path).parent / "publish"
    assert sorted(p.name for p in previews.iterdir()) == ["buttondown.json", "email.eml", "slack.json"]
    assert smtp_server.handler.messages == [] and publish_receiver.requests == []
    assert not list(vault.iterdir())
    assert Ledger(Store(load_settings(demo_project).library_dir)).find(None) is None

    real = weekly_digest(config=str(demo_project))
    assert {p.status for p in real.publications} == {"sent"}


@pytest.mark.slow
def test_a_crash_after_sending_never_sends_twice(
    demo_project: Path, smtp_server: SMTPServer, tls_certs: Certs, publish_receiver: PublishReceiver,
    secrets_env: None, monkeypatch: pytest.MonkeyPatch, prefect_server: str,
):  # fmt: skip
    """`newsroom publish` in a child process is killed by the receivers at the worst moment: after
    the server took the message, before the sender recorded it. The next run must not resend."""
    dead_port = free_port()
    body = email_block(smtp_server, tls_certs, READERS).replace(
        f"port = {smtp_server.port}", f"port = {dead_port}"
    )
    demo_project.write_text(demo_project.read_text() + body + buttondown_block(publish_receiver))
    monkeypatch.setenv("TEST_BUTTONDOWN_KEY", "revoked-key-000")
    first = weekly_digest(config=str(demo_project))  # both fail: the newsletter waits in the ledger
    assert {p.status for p in first.publications} == {"failed"}
    demo_project.write_text(
        demo_project.read_text().replace(f"port = {dead_port}", f"port = {smtp_server.port}")
    )
    monkeypatch.setenv("TEST_BUTTONDOWN_KEY", BUTTONDOWN_KEY)

    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    cmd = [sys.executable, "-m", "newsroom", "publish", "--config", str(demo_project), "--target"]

    def killed_when(target: str, arm) -> None:
        pid: list[int] = []
        arm(lambda: os.kill(pid[0], signal.SIGKILL))
        child = subprocess.Popen([*cmd, target], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        pid.append(child.pid)
        child.wait(timeout=120)
        assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""

    def on_second_reader(kill):
        smtp_server.handler.on_data = lambda m: kill() if m.rcpt_tos == [READERS[1]] else None

    def on_draft_created(kill):
        publish_receiver.on_request = lambda r: kill() if r.method == "POST" else None

    killed_when("email", on_second_reader)
    killed_when("buttondown", on_draft_created)
    smtp_server.handler.on_data = publish_receiver.on_request = None
    assert [m.rcpt_tos for m in smtp_server.handler.messages] == [[READERS[0]], [READERS[1]]]
    assert len(publish_receiver.emails) == 1

    result = CliRunner().invoke(app, ["publish", "--config", str(demo_project)])
    assert result.exit_code == 1, result.output  # the unconfirmed email is reported, not resent
    assert sorted(r for m in smtp_server.handler.messages for r in m.rcpt_tos) == READERS  # each once
    assert len(publish_receiver.emails) == 1  # the draft was found, not created again
    assert "may have arrived" in result.output and "--resend-unknown" in result.output
    ledger = Ledger(Store(load_settings(demo_project).library_dir))
    entries = ledger.entries(first.publications[0].newsletter_id, "email")
    assert {r: e.status for r, e in entries.items()} == {
        READERS[0]: "sent",
        READERS[1]: "unknown",
        READERS[2]: "sent",
    }
    assert (
        ledger.entries(first.publications[0].newsletter_id, "buttondown")[""].message_id
        == publish_receiver.emails[0]["id"]
    )

    # The reader says it never arrived: send that one, on purpose, with the same Message-ID.
    lost = smtp_server.to(READERS[1])[0].message["Message-ID"]
    result = CliRunner().invoke(
        app, ["publish", "--config", str(demo_project), "--target", "email", "--resend-unknown"]
    )
    assert result.exit_code == 0, result.output
    resent = smtp_server.to(READERS[1])
    assert len(resent) == 2 and resent[1].message["Message-ID"] == lost
    assert len(smtp_server.handler.messages) == 4


@pytest.mark.slow
def test_secrets_never_reach_logs_reports_or_outputs(
    demo_project: Path, smtp_server: SMTPServer, tls_certs: Certs, publish_receiver: PublishReceiver,
    secrets_env: None, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
):  # fmt: skip
    """Planted secrets: the SMTP password, the Buttondown key and a Slack webhook token. The Slack
    hook answers 500 (errors tend to quote URLs) and Buttondown repeats the Authorization header it got
    back in its 401 (a careless service), which is why every reason is masked before it is stored."""
    caplog.set_level(logging.DEBUG)
    vault = add_all_targets(demo_project, smtp_server, tls_certs, publish_receiver)
    publish_receiver.fail["/slack/"] = [500] * 5
    publish_receiver.echo_auth_on_401 = True
    monkeypatch.setenv("TEST_BUTTONDOWN_KEY", BUTTONDOWN_KEY + "-but-revoked")

    report = weekly_digest(config=str(demo_project), return_state=True).result()
    assert {p.target: p.status for p in report.publications}["email"] == "sent"
    assert "got Token [REDACTED]" in {p.target: p.reason for p in report.publications}["buttondown"]
    planted = [SMTP_PASSWORD, BUTTONDOWN_KEY, SLACK_TOKEN]

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter, LogFilterFlowRunId
    from prefect.client.schemas.sorting import TaskRunSort
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)  # logs reach the server in batches
    with get_client(sync_client=True) as client:
        run_id = report.run_id
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])), limit=200, offset=0)
        task_runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])),
            sort=TaskRunSort.EXPECTED_START_TIME_ASC,
            limit=200,
        )
        states = [f"{t.name} {t.state.message if t.state else ''}" for t in task_runs]
    texts = {
        "python logs": "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records),
        "stdout/stderr": "".join(capsys.readouterr()),
        "Prefect run logs": "\n".join(log.message for log in logs),
        "Prefect task states": "\n".join(states),
        "report": report.model_dump_json(),
    }
    assert texts["Prefect run logs"] and "publish" in texts["Prefect task states"]
    for folder in (demo_project.parent / "out", demo_project.parent / "library", vault):
        for path in folder.rglob("*"):
            if path.is_file():
                texts[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    leaks = [(where, s) for where, text in texts.items() for s in planted if s in text]
    assert leaks == []
    # The secrets were really in play: used to log in, to authorize, in the URL that was called.
    assert smtp_server.logins == [("newsroom", True)]
    assert (
        publish_receiver.to("/v1/emails")[0].headers["Authorization"] == f"Token {BUTTONDOWN_KEY}-but-revoked"
    )
    assert publish_receiver.to("/slack/")[0].path.endswith(SLACK_TOKEN)


def test_run_logs_sent_to_the_prefect_api_are_masked(monkeypatch: pytest.MonkeyPatch):
    """Even a library that logs a secret (or raises with it) cannot put it in the run's logs."""
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging import get_run_logger
    from prefect.logging.handlers import APILogWorker
    from prefect.runtime import flow_run

    from newsroom.secrets import get_secret, install_redaction

    monkeypatch.setenv("SOME_TOKEN", "tok-Planted-e5a1c9")

    @flow
    def careless() -> str:
        token = get_secret("SOME_TOKEN")
        install_redaction()
        try:
            raise RuntimeError(f"upstream said: bad token {token}")
        except RuntimeError:
            get_run_logger().exception("request with %s failed", token)
        return str(flow_run.get_id())

    run_id = careless()
    APILogWorker.drain_all(timeout=10)
    with get_client(sync_client=True) as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])), limit=50, offset=0)
    text = "\n".join(log.message for log in logs)
    assert "request with [REDACTED] failed" in text and "bad token [REDACTED]" in text
    assert "tok-Planted-e5a1c9" not in text
