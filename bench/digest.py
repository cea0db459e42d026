"""The weekly digest over 8 generated episodes against the fake OpenAI server at fixed latency.

1 s per transcription call and 2 s per chat call. Measured in one run, on one warm Prefect server:
  - concurrency 8 against concurrency 1 (expected: at least 4x faster),
  - concurrency 8 against the critical path, a run with just one of the episodes (within 1.5x),
  - a second run right after the first: its time and its API calls (expected: zero).
Each scenario gets its own library and its own Prefect result storage, so no cache is shared.

These scenarios measure the per-episode fan-out, so the stage limits are raised to the run's
concurrency (the default transcribe limit of 2 suits a local model on a small machine) and the issue
is drafted deterministically. Two more rows put the editor agent back: it is one sequential chain of
chat calls after every episode is done, so it adds the same seconds to every scenario.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")

import newsroom  # noqa: F401  (Prefect defaults before Prefect is imported)
from bench.common import Table, ratio, verdict
from newsroom.ffmpeg import ffmpeg_exe
from tests.fakes.openai_server import FakeOpenAIServer

EPISODES = 8
TRANSCRIPTION_LATENCY = 1.0
CHAT_LATENCY = 2.0


def make_station(folder: Path, count: int) -> Path:
    """`count` 20-second episodes (distinct tones, so distinct audio) and a feed listing them."""
    (folder / "audio").mkdir(parents=True, exist_ok=True)
    items = []
    for n in range(1, count + 1):
        mp3 = folder / "audio" / f"ep{n}.mp3"
        if not mp3.exists():
            subprocess.run(
                [
                    ffmpeg_exe(),
                    "-v",
                    "error",
                    "-f",
                    "lavfi",
                    "-i",
                    f"sine=frequency={200 + 40 * n}:duration=20",
                    "-ac",
                    "1",
                    "-b:a",
                    "32k",
                    str(mp3),
                ],
                check=True,
            )
        items.append(
            f"<item><title>Bench episode {n}</title><guid>bench-{n}</guid>"
            f'<pubDate>Mon, 16 Nov 2026 07:00:00 +0000</pubDate><enclosure url="audio/ep{n}.mp3" '
            f'type="audio/mpeg" length="{mp3.stat().st_size}"/></item>'
        )
    feed = folder / "feed.xml"
    feed.write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench FM</title>{"".join(items)}'
        "</channel></rss>"
    )
    return feed


def write_config(folder: Path, feed: Path, base_url: str, concurrency: int, editor: str) -> Path:
    path = folder / "newsroom.toml"
    path.write_text(f"""
library = "{folder / "library"}"
output = "{folder / "out"}"
concurrency = {concurrency}
[[sources]]
url = "{feed}"
kind = "podcast"
all_items = true
[transcription]
base_url = "{base_url}"
openai_model = "whisper-1"
[llm]
base_url = "{base_url}"
max_retries = 0
[editor]
backend = "{editor}"
[limits]
fetch = {concurrency}
transcribe = {concurrency}
summarize = {concurrency}
""")
    return path


def timed_run(config: Path, storage: Path) -> float:
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, temporary_settings

    from flows.weekly_digest import weekly_digest

    with temporary_settings(updates={PREFECT_LOCAL_STORAGE_PATH: storage}):
        start = time.perf_counter()
        report = weekly_digest(config=str(config))
        seconds = time.perf_counter() - start
    failed = [e for e in report.episodes if e.status == "failed"]
    if failed:
        raise RuntimeError(f"bench run had failures: {failed[0].reason}")
    return seconds


def run() -> Table:
    from prefect.testing.utilities import prefect_test_harness

    table = Table(
        "digest",
        "Weekly digest, 8 episodes, fake API (1 s transcription, 2 s chat)",
        ["measure", "seconds", "API calls", "against", "ratio", "target", "verdict"],
    )
    with (
        tempfile.TemporaryDirectory(prefix="bench-digest-") as tmp,
        prefect_test_harness(server_startup_timeout=120),
        FakeOpenAIServer() as fake,
    ):
        root = Path(tmp)
        feed_all = make_station(root / "station", EPISODES)
        feed_one = make_station(root / "station-one", 1)
        fake.transcription_latency = TRANSCRIPTION_LATENCY
        fake.chat_latency = CHAT_LATENCY

        def scenario(
            name: str, feed: Path, concurrency: int, editor: str = "deterministic"
        ) -> tuple[float, int]:
            folder = root / name
            folder.mkdir()
            config = write_config(folder, feed, fake.base_url, concurrency, editor)
            before = len(fake.requests)
            seconds = timed_run(config, folder / "prefect-storage")
            return seconds, len(fake.requests) - before

        scenario("warm-up", feed_one, 1)  # first flow run on a fresh server pays one-off costs
        wide, wide_calls = scenario("concurrency-8", feed_all, EPISODES)
        second_start = len(fake.requests)
        folder = root / "concurrency-8"
        second = timed_run(folder / "newsroom.toml", folder / "prefect-storage")
        second_calls = len(fake.requests) - second_start
        serial, serial_calls = scenario("concurrency-1", feed_all, 1)
        critical, critical_calls = scenario("critical-path", feed_one, 1)
        # The fake answers the agent with its default policy: list the episodes, read every summary,
        # then answer (three sequential chat calls).
        agent_wide, agent_wide_calls = scenario("agent-concurrency-8", feed_all, EPISODES, "agent")
        agent_critical, agent_critical_calls = scenario("agent-critical-path", feed_one, 1, "agent")

    speedup = serial / wide
    table.add("concurrency 8", f"{wide:.1f}", wide_calls, "", "", "", "")
    table.add(
        "concurrency 1",
        f"{serial:.1f}",
        serial_calls,
        "concurrency 8",
        f"{speedup:.2f}x slower",
        ">= 4x",
        verdict(speedup >= 4),
    )
    table.add(
        "critical path (1 episode)",
        f"{critical:.1f}",
        critical_calls,
        "concurrency 8",
        ratio(wide, critical),
        "<= 1.5x",
        verdict(wide <= 1.5 * critical),
    )
    table.add(
        "with the editor agent: concurrency 8",
        f"{agent_wide:.1f}",
        agent_wide_calls,
        "",
        "",
        "",
        "",
    )
    table.add(
        "with the editor agent: critical path (1 episode)",
        f"{agent_critical:.1f}",
        agent_critical_calls,
        "concurrency 8",
        ratio(agent_wide, agent_critical),
        "<= 1.5x",
        verdict(agent_wide <= 1.5 * agent_critical),
    )
    table.add(
        "second run (nothing new)",
        f"{second:.1f}",
        second_calls,
        "first run",
        ratio(second, wide),
        "0 calls",
        verdict(second_calls == 0),
    )
    table.notes.append(
        "Times are the flow call on a warm Prefect server (its start-up is not counted); each "
        "scenario has its own library and result storage."
    )
    return table
