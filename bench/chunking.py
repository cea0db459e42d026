"""Chunking a 2-hour 44.1 kHz stereo mp3: our chunker against a bare `ffmpeg -f segment` re-encode.

Targets (issue #3): peak RSS at most 300 MB; time at most 1.2x the ffmpeg baseline, both measured in
this run on the same file. The chunker runs in its own process (plan windows near silence, then cut
each with ffmpeg), sequentially as for the local model and with 3 workers as for a speech API.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from bench._measure import run_tree
from bench._speech import long_mp3
from bench.common import Table, ratio, verdict
from newsroom.ffmpeg import ffmpeg_exe
from newsroom.transcripts.media import probe_duration

MAX_RSS_MB = 300
MAX_RATIO = 1.2
REPEATS = 3


def baseline_cmd(source: Path, outdir: Path) -> list[str]:
    """One ffmpeg pass: decode, resample to what we upload (16 kHz mono 64 kbps mp3), split at 1400 s."""
    return [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-i",
        str(source),
        "-vn",
        "-ac",
        "1",
        "-ar",
        "16000",
        "-c:a",
        "libmp3lame",
        "-b:a",
        "64k",
        "-f",
        "segment",
        "-segment_time",
        "1400",
        str(outdir / "%03d.mp3"),
    ]


def chunker_cmd(source: Path, outdir: Path, workers: int) -> list[str]:
    return [sys.executable, "-m", "bench._chunk_worker", str(source), str(outdir), str(workers)]


def measure(cmd: list[str]) -> tuple[float, float, float]:
    seconds, peak_sum, peak_one, result = run_tree(cmd)
    if result.returncode != 0:
        raise SystemExit(result.stderr.decode()[-2000:])
    return seconds, peak_sum, peak_one


def run() -> Table:
    source = long_mp3(7200)
    duration = probe_duration(source)
    table = Table(
        "chunking",
        "Chunking a 2 h 44.1 kHz stereo mp3 (issue #3)",
        [
            "what",
            "time",
            "vs ffmpeg -f segment",
            "peak RSS (process tree)",
            "peak RSS (largest process)",
            "verdict",
        ],
    )
    variants = {
        "ffmpeg -f segment (baseline)": lambda out: baseline_cmd(source, out),
        "chunker, sequential (local model)": lambda out: chunker_cmd(source, out, 1),
        "chunker, 3 at once (speech API)": lambda out: chunker_cmd(source, out, 3),
    }
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in variants}
    # Interleaved: the machine is shared, and whatever else runs then slows every variant alike.
    for _ in range(REPEATS):
        for name, cmd_for in variants.items():
            out = Path(tempfile.mkdtemp(prefix="bench-chunks-"))
            try:
                results[name].append(measure(cmd_for(out)))
            finally:
                shutil.rmtree(out, ignore_errors=True)
    base_t = min(t for t, _, _ in results["ffmpeg -f segment (baseline)"])
    for name, runs in results.items():
        t = min(r[0] for r in runs)
        peak_sum, peak_one = max(r[1] for r in runs), max(r[2] for r in runs)
        baseline = name.startswith("ffmpeg")
        ok = t <= MAX_RATIO * base_t and peak_sum <= MAX_RSS_MB
        table.add(
            name, f"{t:.1f} s", ratio(t, base_t), f"{peak_sum:.0f} MB", f"{peak_one:.0f} MB",
            "" if baseline else verdict(ok),
        )  # fmt: skip
    table.notes += [
        f"Input: {duration / 3600:.2f} h of looped espeak-ng speech, 44.1 kHz stereo 128 kbps mp3 "
        f"({source.stat().st_size / 1e6:.0f} MB), generated once into bench/.cache/.",
        "Both produce 16 kHz mono 64 kbps mp3 pieces of at most 1400 s; the chunker also looks for "
        "silence near each cut and overlaps windows by 2 s.",
        f"Targets: time <= {MAX_RATIO}x the baseline, peak RSS of the whole process tree <= {MAX_RSS_MB} MB. "
        f"Best time and worst memory of {REPEATS} interleaved runs each, sampled every 20 ms with psutil; "
        "the tree's RSS is a sum over processes, so libraries the ffmpeg processes share count once each.",
        "For comparison (FACTS.md): pydub decoding the same kind of file takes 3.85 GB.",
    ]
    return table
