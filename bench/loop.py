"""The local loop: how long a command takes, against the Prefect import floor, before and after.

The floor is `uv run python -c "import prefect.flows"`: no command that runs a flow can be faster.
Measured the way a user types them, through `uv run`, each in a fresh process:
  - `newsroom --help` and `newsroom config` (no Prefect at all: under the floor);
  - a no-op `newsroom digest` (nothing new since the last run) and `newsroom task summarize ID`
    and `newsroom task fetch ID` on a stored episode: at most 1.5x the floor.
BEFORE is the code of the `main` branch, or of the commit LOOP_BEFORE names (exported with
`git archive` into bench/.cache/, with its
own virtual environment), AFTER this checkout; each side has a fresh project (the demo, its own
library and PREFECT_HOME) that ran one digest first, as a fresh clone would. Both environments are
byte-compiled the same way, so only the code differs. Every command run is paired with a floor
run of its own side right before it (A B A B ...), so load on the shared machine hits both alike;
the ratio is the median of the pairs' ratios. LOOP_RUNS (5) sets the runs after one warm-up.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from bench.common import Table, verdict

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache" / "loop"
RUNS = int(os.environ.get("LOOP_RUNS", "5"))
BEFORE = os.environ.get("LOOP_BEFORE", "main")  # e.g. the commit before issue 14's work
FLOOR = ["uv", "run", "python", "-c", "import prefect.flows"]
TARGET = 1.5


@dataclass
class Side:
    """One version of the code, with a project of its own."""

    name: str
    code: Path
    project: Path
    env: dict[str, str] = field(default_factory=dict)

    def run(self, args: list[str], check: bool = True) -> float:
        started = time.perf_counter()
        done = subprocess.run(args, cwd=self.code, env=self.env, capture_output=True, text=True, timeout=900)
        seconds = time.perf_counter() - started
        if check and done.returncode != 0:
            raise RuntimeError(
                f"{self.name}: {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}"
            )
        return seconds

    def newsroom(self, *args: str) -> list[str]:
        return ["uv", "run", "newsroom", *args]

    @property
    def config(self) -> str:
        return str(self.project / "newsroom.toml")


def export_before() -> Path:
    """BEFORE's tree in bench/.cache/loop/main-<commit>, with its locked, byte-compiled environment."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", BEFORE], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    code = CACHE / f"main-{commit}"
    if not (code / ".venv").is_dir():
        shutil.rmtree(code, ignore_errors=True)
        code.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(code, filter="data")
    sync(code)
    return code


def sync(code: Path) -> None:
    subprocess.run(
        ["uv", "sync", "--locked", "--compile-bytecode", "--quiet"], cwd=code, check=True, timeout=1800
    )


def make_side(name: str, code: Path, scratch: Path) -> Side:
    """A fresh project: the demo and the shipped newsroom.toml, library/out/PREFECT_HOME inside it."""
    project = scratch / name
    shutil.copytree(code / "examples" / "demo", project / "demo")
    shipped = (code / "newsroom.toml").read_text()
    (project / "newsroom.toml").write_text(
        f'library = "{project / "library"}"\noutput = "{project / "out"}"\n'
        + shipped.replace('library = "library"', "")
        .replace('output = "out"', "")
        .replace('url = "examples/demo/feed.xml"', f'url = "{project / "demo" / "feed.xml"}"')
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "NEWSROOM_", "PREFECT_"))}
    env["PREFECT_HOME"] = str(project / "prefect-home")
    return Side(name, code, project, env)


def episode_id(side: Side) -> str:
    with sqlite3.connect(side.project / "library" / "newsroom.db") as db:
        row = db.execute("select id from episodes order by id limit 1").fetchone()
    return str(row[0])


def measure(side: Side, args: list[str]) -> tuple[float, float]:
    """(median seconds, median ratio to the floor) over RUNS pairs, after one warm-up pair."""
    seconds, ratios = [], []
    for i in range(RUNS + 1):
        floor = side.run(FLOOR)
        took = side.run(args)
        if i:
            seconds.append(took)
            ratios.append(took / floor)
    return statistics.median(seconds), statistics.median(ratios)


def commands(side: Side, episode: str) -> list[tuple[str, list[str]]]:
    return [
        ("`newsroom --help`", side.newsroom("--help")),
        ("`newsroom config`", side.newsroom("config", "--config", side.config)),
        ("no-op `newsroom digest`", side.newsroom("digest", "--config", side.config)),
        (
            "`newsroom task summarize <id>`",
            side.newsroom("task", "summarize", episode, "--config", side.config, "-q"),
        ),
        (
            "`newsroom task fetch <id>`",
            side.newsroom("task", "fetch", episode, "--config", side.config, "-q"),
        ),
    ]


def floor_seconds(side: Side) -> float:
    return statistics.median(side.run(FLOOR) for _ in range(RUNS))


def run() -> Table:
    table = Table(
        name="loop",
        title="The local loop: commands against the Prefect import floor (`python -m bench loop`)",
        columns=[
            "command",
            f"before ({BEFORE})",
            "before / floor",
            "after",
            "after / floor",
            "target",
            "verdict",
        ],
    )
    sync(ROOT)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="newsroom-bench-loop-") as scratch:
        before = make_side("before", export_before(), Path(scratch))
        after = make_side("after", ROOT, Path(scratch))
        first = {
            side.name: side.run(side.newsroom("digest", "--config", side.config)) for side in (before, after)
        }
        try:
            ids = {side.name: episode_id(side) for side in (before, after)}
            floors = {side.name: floor_seconds(side) for side in (before, after)}
            table.add(
                '`uv run python -c "import prefect.flows"` (the floor)',
                f"{floors['before']:.2f} s",
                "1.00x",
                f"{floors['after']:.2f} s",
                "1.00x",
                "",
                "",
            )
            for (label, before_args), (_, after_args) in zip(
                commands(before, ids["before"]), commands(after, ids["after"]), strict=True
            ):
                b_s, b_r = measure(before, before_args)
                a_s, a_r = measure(after, after_args)
                limit, under = (1.0, "under") if "help" in label or "config" in label else (TARGET, "at most")
                table.add(
                    label,
                    f"{b_s:.2f} s",
                    f"{b_r:.2f}x",
                    f"{a_s:.2f} s",
                    f"{a_r:.2f}x",
                    f"{under} {limit:.1f}x",
                    verdict(a_r < limit if limit == 1.0 else a_r <= limit),
                )
        finally:
            after.run(after.newsroom("down"), check=False)
    table.notes += [
        f"Medians of {RUNS} runs after one warm-up; each ratio is the median of (command / the floor run "
        "just before it), both from the same side's environment.",
        f"The first digest of each fresh project (not in the table): before {first['before']:.1f} s, "
        f"after {first['after']:.1f} s (after: includes starting the background server).",
        "After: the background Prefect server runs (started by the first digest); before: every command "
        "starts Prefect's temporary server.",
        "Both environments byte-compiled (`uv sync --compile-bytecode`): this machine sets "
        "PYTHONDONTWRITEBYTECODE, so Python never caches bytecode by itself.",
        f"Before: commit {BEFORE} (`LOOP_BEFORE`); after: this checkout.",
        f"The machine is shared with other work (2 cores; 1-minute load {load_before:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end): absolute seconds move between runs, ratios less.",
    ]
    return table
