"""Local speech-to-text: what chunking costs in accuracy and speed, and each shipped model per
language (bench/_stt_languages.py, written to results/stt-languages.md).

Targets (issue #3), on >= 10 minutes of generated speech with the bundled tiny.en model:
- word error rate of our chunked transcription within 0.5 points of transcribing the file whole;
- real-time factor of our path (plan windows, cut them with ffmpeg, transcribe, stitch) within 10 %
  of calling faster-whisper directly on the file with the same decoding options.
"""

from __future__ import annotations

import re
import resource
import time
from pathlib import Path
from typing import Any

from bench._speech import CACHE, espeak_file, reference_text, word_error_rate
from bench._stt_languages import run as run_languages
from bench.common import Table, verdict
from newsroom.models import Segment
from newsroom.transcripts.media import cut_window, plan_episode_windows, probe_duration
from newsroom.transcripts.stt import LocalWhisper, _load_whisper
from newsroom.transcripts.transcription import WindowJob, transcribe_windows

WORDS = 2000  # about 11 minutes of espeak-ng speech at 165 words per minute
MAX_WER_GAP = 0.5  # percentage points
MAX_RTF_RATIO = 1.10
REPEATS = 3


def normalize(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split()


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate in percent, on the words `normalize` keeps."""
    return word_error_rate(normalize(reference), normalize(hypothesis))


def direct(stt: LocalWhisper, audio: Path) -> str:
    """faster-whisper called directly, with the options LocalWhisper uses."""
    model, _ = _load_whisper(stt.path, stt.compute_type)
    pieces, _info = model.transcribe(
        str(audio),
        language="en",
        beam_size=stt.beam_size,
        vad_filter=stt.vad,
        condition_on_previous_text=False,
        word_timestamps=True,
    )
    return " ".join(p.text.strip() for p in pieces)


def chunked(stt: LocalWhisper, audio: Path, workdir: Path) -> str:
    """Our path minus Prefect: windows near silence, cut to wav by ffmpeg, prompted, stitched."""
    windows = plan_episode_windows(audio, stt.max_window_seconds, 24, 2.0)

    def run_window(job: WindowJob) -> list[Segment]:
        piece = cut_window(Path(job.source), job.window, workdir / f"{job.window.index:03d}.wav")
        try:
            return stt.transcribe(piece, job.language, job.prompt)
        finally:
            piece.unlink(missing_ok=True)

    def sequential(workers: list[Any]) -> list[Any]:
        return [work() for work in workers]

    segments = transcribe_windows(audio, windows, "en", "", stt.fit_prompt, run_window, sequential, 1)
    return " ".join(s.text for s in segments)


def cpu_seconds() -> float:
    """CPU time of this process (all its threads) and of the children it waited for (ffmpeg)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(fn: Any, *args: Any) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, text). CPU time is the steadier measure on a shared machine."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    text = fn(*args)
    return time.perf_counter() - wall, cpu_seconds() - cpu, text


def run() -> list[Table]:
    """The chunking table (issue #3) and the per-language table (issue 12)."""
    return [run_chunking(), run_languages()]


def run_chunking() -> Table:
    text = reference_text(WORDS, seed=11)
    audio = espeak_file(text, CACHE / f"speech-{WORDS}-words.wav")
    duration = probe_duration(audio)
    assert duration >= 600, f"need at least 10 minutes of speech, got {duration:.0f} s"
    stt = LocalWhisper("tiny.en")
    workdir = CACHE / "stt-windows"
    workdir.mkdir(parents=True, exist_ok=True)
    _load_whisper(stt.path, stt.compute_type)  # loading is not part of either measurement

    whole_text = " ".join(s.text for s in stt.transcribe(audio, "en", None))
    runs: dict[str, list[tuple[float, float, str]]] = {"direct": [], "chunked": []}
    for _ in range(REPEATS):  # interleaved, so load from other work on the machine hits both alike
        runs["direct"].append(timed(direct, stt, audio))
        runs["chunked"].append(timed(chunked, stt, audio, workdir))
    wall = {name: min(r[0] for r in rs) for name, rs in runs.items()}
    cpu = {name: min(r[1] for r in rs) for name, rs in runs.items()}
    wer_direct = wer(text, runs["direct"][0][2])
    wer_whole = wer(text, whole_text)
    wer_chunked = wer(text, runs["chunked"][0][2])
    windows = len(plan_episode_windows(audio, stt.max_window_seconds, 24, 2.0))
    gap = wer_chunked - wer_whole
    cpu_ratio = cpu["chunked"] / cpu["direct"]
    wall_ratio = wall["chunked"] / wall["direct"]

    table = Table(
        "stt",
        "Local speech-to-text: chunked vs whole file (issue #3)",
        [
            "what",
            "WER",
            "CPU time",
            "wall time",
            "real-time factor (CPU)",
            "vs direct (CPU / wall)",
            "verdict",
        ],
    )
    table.add(
        "faster-whisper directly on the file (baseline)", f"{wer_direct:.2f} %", f"{cpu['direct']:.1f} s",
        f"{wall['direct']:.1f} s", f"{cpu['direct'] / duration:.3f}", "1.00x / 1.00x", "",
    )  # fmt: skip
    table.add("LocalWhisper on the whole file (unchunked)", f"{wer_whole:.2f} %", "", "", "", "", "")
    table.add(
        f"our chunked path ({windows} windows of <= {stt.max_window_seconds:.0f} s)",
        f"{wer_chunked:.2f} % ({gap:+.2f} points)", f"{cpu['chunked']:.1f} s", f"{wall['chunked']:.1f} s",
        f"{cpu['chunked'] / duration:.3f}", f"{cpu_ratio:.2f}x / {wall_ratio:.2f}x",
        verdict(abs(gap) <= MAX_WER_GAP and cpu_ratio <= MAX_RTF_RATIO),
    )  # fmt: skip
    table.notes += [
        f"{duration / 60:.1f} min of espeak-ng speech ({len(normalize(text))} words, generated), bundled "
        f"tiny.en, int8, beam {stt.beam_size}, VAD on, word timestamps, 2 threads.",
        f"Targets: WER within {MAX_WER_GAP} points (either way) of the unchunked transcription; CPU time "
        f"<= {MAX_RTF_RATIO:.2f}x the direct call. Best of {REPEATS} interleaved runs each; model load "
        "excluded. CPU time (all threads, plus the ffmpeg cuts) is the verdict's measure because the "
        "machine is shared and wall time swings with other work; both are shown.",
        "The chunked path includes planning windows near silence and cutting each with ffmpeg.",
    ]
    return table
