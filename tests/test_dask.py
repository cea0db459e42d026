"""Scale-out: the digest's episodes on a Dask cluster of worker processes (prefect-dask)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from prefect.task_runners import ThreadPoolTaskRunner
from prefect_dask import DaskTaskRunner

from flows.weekly_digest import weekly_digest
from newsroom.config import load_settings
from newsroom.ops.limits import server_scope
from newsroom.ops.runners import episode_task_runner
from tests.conftest import write_config


def test_the_config_picks_the_task_runner(tmp_path: Path):
    threads = episode_task_runner(load_settings(write_config(tmp_path / "t", "concurrency = 3\n")))
    assert isinstance(threads, ThreadPoolTaskRunner) and threads._max_workers == 3
    local = episode_task_runner(
        load_settings(write_config(tmp_path / "l", '[task_runner]\ntype = "dask"\nn_workers = 3\n'))
    )
    assert isinstance(local, DaskTaskRunner)
    assert local.cluster_class == "distributed.LocalCluster"
    assert local.cluster_kwargs | {} == {
        "n_workers": 3,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": None,
    }
    remote = episode_task_runner(
        load_settings(
            write_config(tmp_path / "r", '[task_runner]\ntype = "dask"\naddress = "tcp://10.0.0.5:8786"\n')
        )
    )
    assert remote.address == "tcp://10.0.0.5:8786"


@pytest.mark.slow
def test_the_digest_runs_its_episodes_on_dask_worker_processes(
    demo_project: Path, prefect_server: str, monkeypatch: pytest.MonkeyPatch
):
    from distributed import Client, LocalCluster

    # The workers are new processes: they report their task runs to the session's server.
    monkeypatch.setenv("PREFECT_API_URL", prefect_server)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        demo_project.write_text(
            demo_project.read_text()
            + f'\n[limits]\nscope = "process"\n[task_runner]\ntype = "dask"\naddress = "{cluster.scheduler_address}"\n'
        )
        # Stage limits per process here: on the session's SQLite server, server-wide limits cost a
        # retry per slot (test_limits.py covers them); this test is about where the episodes run.
        assert not server_scope(load_settings(demo_project))
        report = weekly_digest(config=str(demo_project))
        assert [e.status for e in report.episodes] == ["done"] * 3
        assert {e.transcript_backend for e in report.episodes} == {"local:tiny.en", "feed:vtt"}
        newsletter = Path(report.newsletter_path).read_text()
        assert "Agents that plan your week" in newsletter and "Local speech models on a laptop" in newsletter

        # The episodes ran in the cluster's worker processes, not in this one.
        finished = client.run_on_scheduler(
            lambda dask_scheduler: sorted(
                {
                    str(t[0]) for t in dask_scheduler.transition_log if t[2] == "memory"
                }  # (key, start, finish, ...)
            )
        )
        assert sum(key.startswith("process_episode") for key in finished) == 3, finished
        worker_pids = set(client.run(os.getpid).values())
        assert len(worker_pids) == 2 and os.getpid() not in worker_pids
