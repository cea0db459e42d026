"""One stage locally: `newsroom task STAGE INPUT` and `python -m tasks.<stage>`, as when debugging."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsroom.app.cli import app
from newsroom.config import load_settings
from newsroom.store import Store
from tests.conftest import DEMO, transcript_feed

runner = CliRunner()


@pytest.fixture
def task_env(prefect_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command uses the session's server, as it would use a running `newsroom up`."""
    monkeypatch.setenv("PREFECT_API_URL", prefect_server)
    monkeypatch.setenv("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")


def task(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["task", *args, "--quiet"])
    return result.exit_code, result.output


def said(output: str) -> str:
    """The message as one line (the terminal wraps it)."""
    return " ".join(output.split())


def test_each_stage_on_its_own_from_transcript_to_a_dry_run_issue(tmp_path: Path, task_env: None):
    config = transcript_feed(tmp_path, [date.today().isoformat()])
    feed = str(tmp_path / "demo" / "quick.xml")
    c = ["--config", str(config)]

    code, out = task("transcribe", feed, "-o", str(tmp_path / "t.json"), *c)
    assert code == 0, out
    transcribed = json.loads((tmp_path / "t.json").read_text())
    assert transcribed["backend"] == "feed:vtt" and "deepfake" in transcribed["text"].lower()
    transcript_file = Path(transcribed["file"])
    episode_id = transcribed["episode"]

    # The episode id from a run report works as input too.
    code, out = task("fetch", episode_id, *c)
    assert code == 0 and f'"episode_id": "{episode_id}"' in out and '"kind": "transcript"' in out

    code, out = task("summarize", str(transcript_file), "-o", str(tmp_path / "s.json"), *c)
    assert code == 0, out
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["episode_id"] == episode_id and summary["backend"] == "offline:extractive"

    code, out = task("draft", str(tmp_path / "s.json"), "-o", str(tmp_path / "n.json"), *c)
    assert code == 0, out
    newsletter = json.loads((tmp_path / "n.json").read_text())
    assert newsletter["title"].startswith("Quick Weekly") and [
        i["episode_id"] for i in newsletter["items"]
    ] == [episode_id]

    code, out = task("publish", str(tmp_path / "n.json"), *c)
    assert code == 0, out
    written = json.loads(out[out.index("{") :])
    preview = Path(written["markdown"])
    assert preview.parent == tmp_path / "out" / date.today().isoformat() / "dry-run"
    assert "Quick episode 1" in preview.read_text()
    state = Store(load_settings(config).library_dir).episode_state(episode_id)
    assert state is not None and not state["digest_id"]  # a single stage never marks anything as sent


def test_bad_input_is_refused_with_what_would_fit(tmp_path: Path, task_env: None):
    config = transcript_feed(tmp_path, [date.today().isoformat()])
    (tmp_path / "notes.json").write_text('{"hello": "world"}')
    code, out = task("summarize", str(tmp_path / "notes.json"), "--config", str(config))
    assert code == 2 and "not a transcript, summary or newsletter" in said(out)
    code, out = task("shout", "x", "--config", str(config))
    assert code == 2 and "unknown stage 'shout'" in said(out)
    code, out = task("publish", str(tmp_path / "missing.json"), "--config", str(config))
    assert code == 2 and "not a readable JSON file" in said(out)
    code, out = task("fetch", str(tmp_path / "missing.mp3"), "--config", str(config))
    assert code == 1 and "fetch failed:" in said(out) and "--traceback" in said(out)


@pytest.mark.slow
def test_python_dash_m_runs_a_stage_module(tmp_path: Path, prefect_server: str):
    audio = shutil.copy(DEMO / "audio" / "episode-2.mp3", tmp_path / "agents.mp3")
    config = tmp_path / "newsroom.toml"
    config.write_text(f'library = "{tmp_path / "library"}"\noutput = "{tmp_path / "out"}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "NEWSROOM_"))}
    env["PREFECT_API_URL"] = prefect_server
    done = subprocess.run(
        [sys.executable, "-m", "tasks.transcribe", str(audio), "--config", str(config), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout[done.stdout.index("{") :])
    assert result["backend"] == "local:tiny.en" and "calendar" in result["text"].lower()
    assert Path(result["file"]).is_file()
