"""`newsroom publish` and `newsroom approve` as a user meets them: help, and clear refusals."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from newsroom.app.cli import app
from tests.conftest import write_config

runner = CliRunner(env={"COLUMNS": "200"})


def test_help_shows_the_publishing_options():
    publish = runner.invoke(app, ["publish", "--help"]).output
    for option in ("--target", "--republish", "--resend-unknown", "--dry-run", "--config"):
        assert option in publish
    approve = runner.invoke(app, ["approve", "--help"]).output
    for option in ("--reject", "--subject", "--note", "Flow run id or name (default: the one run waiting"):
        assert option in approve
    assert "--republish" in runner.invoke(app, ["digest", "--help"]).output


def test_publish_says_what_is_missing(tmp_path: Path):
    config = write_config(tmp_path, '[[publish]]\ntype = "folder"\npath = "copies"\n')
    result = runner.invoke(app, ["publish", "--config", str(config)])
    assert result.exit_code == 2 and "No newsletter" in result.output and "newsroom digest" in result.output

    from newsroom.config import load_settings
    from newsroom.publishers.ledger import Ledger
    from newsroom.store import Store
    from tests.publish_helpers import sample_issue

    settings = load_settings(config)
    issue = sample_issue(settings)
    Ledger(Store(settings.library_dir)).save_newsletter(
        issue.newsletter, issue.subject, [], {}, "r1", "approved"
    )
    result = runner.invoke(app, ["publish", "--config", str(config), "--target", "emial"])
    assert result.exit_code == 2 and "No target named emial" in result.output and "folder" in result.output
    result = runner.invoke(app, ["publish", "2026-11-22", "--config", str(config), "--dry-run"])
    assert (
        result.exit_code == 0 and "would-send" in result.output and "dry run, nothing sent" in result.output
    )
    assert not (tmp_path / "copies").exists()


def test_approve_without_a_waiting_draft(tmp_path: Path):
    result = runner.invoke(app, ["approve", "--config", str(write_config(tmp_path, ""))])
    assert result.exit_code == 1 and "no draft is waiting for review" in result.output
