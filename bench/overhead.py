"""Orchestration overhead: the digest over the bundled demo, on a warm local Prefect server.

Each stage task's own work is timed inside the task (its function's time, minus the time spent in
the tasks it calls), and set against the whole run's wall time. What is left is Prefect's share:
creating the flow and task runs, state changes, logs, artifacts, futures; the flow's own
bookkeeping (selection, report) counts against Prefect too, so the share is an upper bound.

Measured in one process, against one `prefect server start` (what `newsroom up` runs):
  - a first run, which loads the speech model and warms the server (reported, not judged);
  - five runs at concurrency 1 on fresh libraries, Prefect's task cache refreshed, so every
    stage does its work again; the median is judged: Prefect's share at most 10 %;
  - task runs per episode (bounded: 4 + one per speech-to-text window; never one per segment).
Concurrency 1, so that stage work never overlaps and can be summed against the wall time (the
digest bench, bench/digest.py, measures what concurrency buys).
"""

from __future__ import annotations

import functools
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")

import newsroom  # noqa: F401  (Prefect defaults before Prefect is imported)
from bench.common import Table, ratio, verdict

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo"
RUNS = 5
MAX_SHARE = 0.10
STAGE_TASKS = (
    "tasks.discover:discover_source",
    "flows.process_episode:process_episode",
    "tasks.fetch:fetch_episode",
    "tasks.transcribe:transcribe_episode",
    "tasks.transcribe:transcribe_window",
    "tasks.summarize:summarize_episode",
    "tasks.draft:draft_newsletter",
    "tasks.publish:write_issue",
)


class StageClock:
    """Times each stage task's function, without the time it spends calling other tasks."""

    def __init__(self) -> None:
        self.work: dict[str, float] = defaultdict(float)
        self.runs: Counter[str] = Counter()
        self.local = threading.local()
        self.lock = threading.Lock()
        self.body = 0.0  # from Running to Completed, stage work included

    def _stack(self) -> list[list[float]]:
        if not hasattr(self.local, "stack"):
            self.local.stack = []
        return self.local.stack  # type: ignore[no-any-return]

    def time_fn(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            frame = [time.perf_counter(), 0.0]  # [start, time inside nested task calls]
            self._stack().append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                self._stack().pop()
                with self.lock:
                    self.work[name] += time.perf_counter() - frame[0] - frame[1]
                    self.runs[name] += 1

        return timed

    def time_calls(self, call: Callable[..., Any]) -> Callable[..., Any]:
        """Wraps Task.__call__: a nested task call is Prefect plus that task's work, not the caller's."""

        @functools.wraps(call)
        def timed_call(task: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return call(task, *args, **kwargs)
            finally:
                stack = self._stack()
                if stack:
                    stack[-1][1] += time.perf_counter() - started

        return timed_call

    def total(self) -> float:
        return sum(self.work.values())


@contextmanager
def clocked() -> Iterator[StageClock]:
    import importlib

    from prefect.tasks import Task

    clock = StageClock()
    originals: list[tuple[Any, Callable[..., Any]]] = []
    for spec in STAGE_TASKS:
        module, name = spec.split(":")
        task = getattr(importlib.import_module(module), name)
        originals.append((task, task.fn))
        task.fn = clock.time_fn(task.name, task.fn)
    call = Task.__call__
    Task.__call__ = clock.time_calls(call)  # type: ignore[method-assign]
    try:
        yield clock
    finally:
        Task.__call__ = call  # type: ignore[method-assign]
        for task, fn in originals:
            task.fn = fn


def project(root: Path, name: str, concurrency: int) -> Path:
    """A fresh copy of the demo with its own library: every stage has its work to do."""
    folder = root / name
    shutil.copytree(DEMO, folder / "demo")
    config = folder / "newsroom.toml"
    config.write_text(
        f'title = "Overhead bench"\nlibrary = "{folder / "library"}"\noutput = "{folder / "out"}"\n'
        f"concurrency = {concurrency}\n"
        f'[[sources]]\nurl = "{folder / "demo" / "feed.xml"}"\nkind = "podcast"\nall_items = true\n'
    )
    return config


def run_digest(config: Path) -> tuple[float, StageClock, Any]:
    """(wall time, the stage clock, the report); the clock's `body` is the time the run spent Running."""
    from flows.weekly_digest import weekly_digest

    marks: dict[str, float] = {}
    # Hooks, not a wrapped function: Prefect validates the parameters against the function itself.
    digest = weekly_digest.with_options(
        on_running=[lambda *_: marks.setdefault("running", time.perf_counter())],
        on_completion=[lambda *_: marks.setdefault("completed", time.perf_counter())],
    )
    with clocked() as clock:
        started = time.perf_counter()
        report = digest(config=str(config))
        wall = time.perf_counter() - started
    assert all(e.status == "done" for e in report.episodes), report.episodes
    clock.body = marks["completed"] - marks["running"]
    return wall, clock, report


def run() -> Table:
    from newsroom.app.up import Up
    from newsroom.ops.prefect_server import free_port

    root = Path(tempfile.mkdtemp(prefix="newsroom-bench-overhead-"))
    os.environ["PREFECT_HOME"] = str(root / "prefect-home")
    server = Up(None, port=free_port(), log_dir=root / "logs")
    try:
        server.start_server()
        from prefect.settings import (
            PREFECT_API_URL,
            PREFECT_HOME,
            PREFECT_TASKS_REFRESH_CACHE,
            temporary_settings,
        )

        with temporary_settings(
            updates={
                PREFECT_API_URL: server.api_url,
                PREFECT_HOME: root / "prefect-home",
                PREFECT_TASKS_REFRESH_CACHE: True,  # redo the speech-to-text windows every run
            }
        ):
            return measure(root)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def measure(root: Path) -> Table:
    from newsroom.config import load_settings
    from newsroom.store import Store

    cold_wall, _, _ = run_digest(project(root, "cold", 1))
    walls, works, shares, outside = [], [], [], []
    per_stage: dict[str, list[float]] = defaultdict(list)
    task_runs: Counter[str] = Counter()
    segments = episodes = 0
    for i in range(RUNS):
        wall, clock, report = run_digest(project(root, f"warm-{i}", 1))
        walls.append(wall)
        works.append(clock.total())
        shares.append((wall - clock.total()) / wall)
        outside.append(wall - clock.body)  # creating the flow run and finishing it
        for name, seconds in clock.work.items():
            per_stage[name].append(seconds)
        task_runs = clock.runs
        episodes = len(report.episodes)
        store = Store(load_settings(root / f"warm-{i}" / "newsroom.toml").library_dir)
        segments = sum(len(t.segments) for e in report.episodes if (t := store.load_transcript(e.episode_id)))

    median = _median_index(walls)
    wall, work, share = walls[median], works[median], shares[median]
    per_run = {"discover-source", "draft-newsletter", "write-issue"}
    episode_tasks = sum(n for name, n in task_runs.items() if name not in per_run)
    windows = task_runs["transcribe-window"]
    bound = 4 + windows / episodes

    table = Table(
        name="overhead",
        title="Orchestration overhead: the demo digest (3 episodes) on a warm local Prefect server",
        columns=["measure", "value", "baseline", "ratio / verdict"],
    )
    table.add(f"wall time, concurrency 1 (median of {RUNS})", f"{wall:.2f} s", "", "")
    table.add("stage work timed inside the tasks", f"{work:.2f} s", f"{wall:.2f} s wall", ratio(work, wall))
    table.add(
        "Prefect's share: (wall - work) / wall",
        f"{share:.1%} ({wall - work:.2f} s)",
        f"at most {MAX_SHARE:.0%}",
        verdict(share <= MAX_SHARE),
    )
    table.add(
        "  of which before Running and after Completed (create the run, finish it)",
        f"{outside[median]:.2f} s",
        "",
        "",
    )
    table.add(
        f"Prefect's share, all {RUNS} runs",
        ", ".join(f"{s:.1%}" for s in shares),
        "",
        "(the median is judged: other work on the machine moves single runs)",
    )
    for name in sorted(per_stage, key=lambda n: -statistics.median(per_stage[n])):
        table.add(f"  work in {name}", f"{statistics.median(per_stage[name]):.2f} s", "", "")
    table.add(
        "task runs per episode",
        f"{episode_tasks / episodes:.2f} ({episode_tasks} for {episodes} episodes)",
        f"at most {bound:.2f} (4 + windows per episode)",
        verdict(episode_tasks / episodes <= bound),
    )
    table.add(
        "task runs per transcript segment",
        f"{episode_tasks / max(segments, 1):.2f} ({segments} segments)",
        "under 1: no per-segment tasks",
        verdict(episode_tasks < segments),
    )
    table.add(
        "first run (loads the model, warms the server)",
        f"{cold_wall:.2f} s",
        f"{wall:.2f} s",
        ratio(cold_wall, wall),
    )
    table.notes += [
        "Work = each stage task's function time minus the task calls it makes (so nothing counts twice); "
        "the flow's own bookkeeping counts as Prefect's, so the share is an upper bound.",
        "Every measured run starts from a fresh library with Prefect's task cache refreshed: all stages "
        "(feed parsing, ffmpeg, local whisper tiny.en, extractive summaries, rendering) do their work.",
        "Server: `prefect server start` on SQLite in a temporary PREFECT_HOME, started as `newsroom up` starts it.",
    ]
    return table


def _median_index(values: list[float]) -> int:
    ordered = sorted(range(len(values)), key=values.__getitem__)
    return ordered[len(ordered) // 2]
