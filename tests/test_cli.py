"""The `newsroom` command as a user runs it: help, config errors, and the digest in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsroom.app.cli import app
from tests.conftest import write_config

runner = CliRunner()


def test_help_on_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("digest", "task", "config", "up"):
        assert command in result.output
        sub = runner.invoke(app, [command, "--help"])
        assert sub.exit_code == 0, sub.output
    digest_help = runner.invoke(app, ["digest", "--help"]).output
    for option in ("--since", "--force", "--config", "--dry-run"):
        assert option in digest_help


def test_bad_config_exits_2_before_any_work(tmp_path: Path):
    path = write_config(tmp_path, "concurency = 3\n")
    result = runner.invoke(app, ["digest", "--config", str(path)])
    assert result.exit_code == 2
    assert "concurency" in result.output and "unknown key" in result.output
    assert not (tmp_path / "library").exists()


def test_config_shows_resolved_backends(tmp_path: Path):
    result = runner.invoke(app, ["config", "--config", str(write_config(tmp_path, ""))])
    assert result.exit_code == 0
    assert "Speech-to-text: local" in result.output and "LLM: offline" in result.output


@pytest.mark.slow
def test_digest_command_in_a_subprocess(demo_project: Path, prefect_server: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    env["PREFECT_API_URL"] = prefect_server
    # Its own result storage: transcription windows it caches must not be served to other tests'
    # digests of the same demo audio (they count the calls those make).
    env["PREFECT_RESULTS_LOCAL_STORAGE_PATH"] = str(demo_project.parent / "prefect-storage")
    cmd = [sys.executable, "-m", "newsroom", "digest", "--config", str(demo_project)]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "speech-to-text=local:tiny.en" in first.stdout and "summaries=offline:extractive" in first.stdout
    assert "Newsletter:" in first.stdout
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert second.returncode == 0
    assert "Nothing new since the last run." in second.stdout
