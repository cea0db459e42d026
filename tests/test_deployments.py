"""The deployments: prefect.yaml and the served ones agree, and `prefect deploy --all` from a fresh
clone runs on a process work pool. (tests/test_up_ui.py checks the schedule's upcoming runs: the
session's test server runs no scheduler.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.client.orchestration import get_client

from deployments.serve import SPECS, build_deployments
from newsroom.config import ScheduleConfig, load_settings
from tests.conftest import ROOT, transcript_feed, write_config


def prefect_yaml() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text())


def test_prefect_yaml_declares_what_serve_serves():
    config = prefect_yaml()
    declared = {d["name"]: d for d in config["deployments"]}
    assert sorted(declared) == sorted(s.name for s in SPECS)
    default = ScheduleConfig()
    for spec in SPECS:
        d = declared[spec.name]
        module, function = spec.flow.split(":")
        assert d["entrypoint"] == f"{module.replace('.', '/')}.py:{function}"
        assert d["work_pool"]["name"] == "newsroom"
        assert d["parameters"] == {"config": "newsroom.toml"}
        assert d.get("concurrency_limit") == spec.concurrency_limit
        if spec.scheduled:
            assert d["schedules"] == [{"cron": default.cron, "timezone": default.timezone, "active": True}]
        else:
            assert "schedules" not in d
    # The worker runs the flows from the folder `prefect deploy` ran in, whatever that is.
    [build] = config["build"]
    step = build["prefect.deployments.steps.run_shell_script"]
    assert step["id"] == "project-dir" and step["script"] == "pwd"
    [pull] = config["pull"]
    assert pull["prefect.deployments.steps.set_working_directory"]["directory"] == "{{ project-dir.stdout }}"


def test_served_deployments_take_the_schedule_and_config_path_from_the_config(tmp_path: Path):
    settings = load_settings(write_config(tmp_path, '[schedule]\ncron = "0 7 * * 1,4"\n'))
    weekly, adhoc, dates = build_deployments(settings)
    assert [weekly.name, adhoc.name, dates.name] == ["weekly", "adhoc", "date-range"]
    [schedule] = weekly.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 7 * * 1,4", "Europe/Amsterdam")
    assert weekly.paused is False and weekly.concurrency_limit == 1
    assert weekly.entrypoint == "flows.weekly_digest.weekly_digest"  # loads from any working directory
    for d in (weekly, adhoc, dates):
        assert d.parameters == {"config": str(settings.config_path)}
    assert not adhoc.schedules and not dates.schedules
    paused = load_settings(write_config(tmp_path / "p", "[schedule]\nactive = false\n"))
    assert build_deployments(paused)[0].paused is True


def fresh_clone(target: Path) -> Path:
    """What a `git clone` of this checkout holds: the tracked (and new, unignored) files."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True
    )
    if listed.returncode != 0:  # not a git checkout: copy the source tree without local state
        shutil.copytree(
            ROOT, target, ignore=shutil.ignore_patterns(".venv", ".prefect", "library", "out", ".*cache*")
        )
        return target
    for name in listed.stdout.splitlines():
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


@pytest.mark.slow
def test_prefect_deploy_all_from_a_fresh_clone_runs_on_a_process_worker(tmp_path: Path, prefect_server: str):
    clone = fresh_clone(tmp_path / "clone")
    quick_feed = (
        transcript_feed(tmp_path / "quick", [datetime.now().date().isoformat()]).parent / "demo" / "quick.xml"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "NEWSROOM_"))}
    env.update(PREFECT_API_URL=prefect_server, PREFECT_HOME=str(tmp_path / "prefect-home"))
    prefect = [sys.executable, "-m", "prefect"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*prefect, *args], cwd=clone, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done

    run("work-pool", "create", "newsroom", "--type", "process", "--overwrite")
    deployed = run("--no-prompt", "deploy", "--all")
    for spec in SPECS:
        assert f"'{spec.full_name}' successfully created" in deployed.stdout

    with get_client(sync_client=True) as client:
        adhoc = client.read_deployment_by_name("process-url/adhoc")
        weekly = client.read_deployment_by_name("weekly-digest/weekly")
        assert adhoc.pull_steps == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(clone)}}
        ]
        assert [(s.schedule.cron, s.schedule.timezone) for s in weekly.schedules] == [
            ("0 7 * * 1", "Europe/Amsterdam")
        ]
        assert weekly.work_pool_name == "newsroom"
        flow_run = client.create_flow_run_from_deployment(adhoc.id, parameters={"url": str(quick_feed)})

    run("worker", "start", "--pool", "newsroom", "--run-once")
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run.id).state
    assert state is not None and state.is_completed(), state
    # The run used the clone's newsroom.toml: its library is inside the clone.
    summaries = list((clone / "library" / "episodes").glob("*/summary.json"))
    assert len(summaries) == 1
