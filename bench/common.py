"""Helpers shared by the benchmarks: timing, peak memory of child processes, and result tables."""

from __future__ import annotations

import platform
import resource
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Table:
    """A result table: rows of (measure, value, baseline, ratio/verdict)."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(c) for c in cells])

    def markdown(self) -> str:
        lines = [
            f"### {self.title}",
            "",
            f"_{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {_cores()} cores, Python {platform.python_version()}_",
            "",
            "| " + " | ".join(self.columns) + " |",
            "|" + "---|" * len(self.columns),
        ]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.notes:
            lines += [""] + [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def write(self) -> Path:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.name}.md"
        path.write_text(self.markdown())
        return path


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    out: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - start


def run_measured(cmd: list[str], **kwargs: object) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """(seconds, peak RSS in MB, result) of a command, measured with GNU time's %M when present."""
    import shutil

    gnu_time = shutil.which("time") or "/usr/bin/time"
    start = time.perf_counter()
    if Path(gnu_time).exists():
        result = subprocess.run(
            [gnu_time, "-f", "__PEAK_KB__%M", *cmd], capture_output=True, check=False, **kwargs
        )  # type: ignore[call-overload]
        seconds = time.perf_counter() - start
        marker = result.stderr.rsplit(b"__PEAK_KB__", 1)
        peak_mb = int(marker[1].split()[0]) / 1024 if len(marker) == 2 else float("nan")
        return seconds, peak_mb, result
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(cmd, capture_output=True, check=False, **kwargs)  # type: ignore[call-overload]
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(after, before) / 1024, result


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x" if baseline else "n/a"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"
