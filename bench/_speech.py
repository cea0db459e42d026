"""Generated test audio for the benchmarks, cached under bench/.cache/ (gitignored)."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

from newsroom.ffmpeg import ffmpeg_exe
from newsroom.transcripts.media import probe_duration

CACHE = Path(__file__).resolve().parent / ".cache"

_SUBJECTS = [
    "the editor",
    "our guest",
    "the research team",
    "a small startup",
    "the podcast host",
    "the newsroom",
    "every listener",
    "the new model",
    "the city council",
    "a local school",
]
_VERBS = [
    "explains",
    "reviews",
    "questions",
    "describes",
    "compares",
    "tests",
    "publishes",
    "measures",
    "discusses",
    "improves",
]
_OBJECTS = [
    "the weekly newsletter",
    "speech recognition on a laptop",
    "the summer budget",
    "open source tools",
    "the election results",
    "a faster search engine",
    "the history of radio",
    "privacy on the internet",
    "the price of electricity",
    "a new language model",
    "the football season",
    "climate data from the north",
]
_ENDS = [
    "before the meeting",
    "in great detail",
    "for the second time",
    "with a simple example",
    "after a long discussion",
    "on Monday morning",
    "without any slides",
    "for young readers",
]


def reference_text(words: int, seed: int = 7) -> str:
    """Plain English sentences without digits (espeak reads digits its own way), `words` long."""
    rng = random.Random(seed)
    sentences: list[str] = []
    count = 0
    while count < words:
        sentence = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_ENDS)}."
        sentence = sentence[0].upper() + sentence[1:]
        sentences.append(sentence)
        count += len(sentence.split())
    return " ".join(sentences)


def espeak_file(text: str, out: Path, rate: int = 165, voice: str = "en-us") -> Path:
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is needed for this benchmark: apt-get install espeak-ng")
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        tmp = out.with_suffix(".tmp.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(tmp), text], check=True)
        tmp.replace(out)
    return out


def long_mp3(seconds: int = 7200) -> Path:
    """A `seconds`-long 44.1 kHz stereo 128 kbps mp3 of looped espeak speech (pauses between sentences)."""
    out = CACHE / f"speech-{seconds}s-44k-stereo.mp3"
    if out.exists() and abs(probe_duration(out) - seconds) < 2:
        return out
    speech = espeak_file(reference_text(900, seed=1), CACHE / "loop.wav")
    tmp = out.with_suffix(".tmp.mp3")
    subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-v",
            "error",
            "-y",
            "-stream_loop",
            "-1",
            "-i",
            str(speech),
            "-t",
            str(seconds),
            "-ar",
            "44100",
            "-ac",
            "2",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            str(tmp),
        ],
        check=True,
    )
    tmp.replace(out)
    return out


def word_error_rate(ref: list[str], hyp: list[str]) -> float:
    """Word error rate in percent: word-level edit distance over the reference length."""
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return 100.0 * previous[-1] / max(1, len(ref))
