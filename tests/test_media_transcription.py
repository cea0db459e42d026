"""Cutting audio with ffmpeg, planning windows, stitching them, and the local model on real speech."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest

from newsroom.models import Segment
from newsroom.transcripts.bundled import ModelConfigError
from newsroom.transcripts.media import (
    MediaError,
    Window,
    cut_window,
    ffmpeg_exe,
    find_silence_near,
    max_window_seconds,
    plan_windows,
    probe_duration,
)
from newsroom.transcripts.stt import LocalWhisper
from newsroom.transcripts.transcription import stitch, window_groups
from tests.conftest import DEMO, espeak, generated_audio


def test_probe_duration_without_ffprobe(tmp_path: Path):
    assert probe_duration(DEMO / "audio" / "episode-1.mp3") == pytest.approx(55.4, abs=0.3)
    (tmp_path / "empty.mp3").write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        probe_duration(tmp_path / "empty.mp3")
    (tmp_path / "junk.mp3").write_bytes(b"\x00garbage" * 100)
    with pytest.raises(MediaError, match="not a readable audio file"):
        probe_duration(tmp_path / "junk.mp3")


def test_plan_windows_respects_limit_and_overlap():
    windows = plan_windows(3600, 1400, 2)
    assert all(w.duration <= 1400 for w in windows)
    assert windows[0].start == 0 and windows[-1].end == 3600
    for a, b in itertools.pairwise(windows):
        assert a.end - b.start == pytest.approx(2)
    assert plan_windows(100, 1400, 2) == [Window(0, 0.0, 100)]
    assert plan_windows(0, 1400, 2) == []


def test_plan_windows_moves_cuts_to_silence_but_never_past_the_limit():
    windows = plan_windows(3000, 1400, 2, cut_points={1: 1390.0, 2: 5000.0})
    assert windows[1].start == 1390.0
    assert all(w.duration <= 1400 for w in windows)


def test_size_limit_shortens_windows_for_high_bitrates():
    assert max_window_seconds(1400, 24, 64) == 1400
    assert max_window_seconds(1400, 24, 320) < 600


def test_window_groups_are_contiguous_and_cover_everything():
    assert window_groups(7, 3) == [[0, 1, 2], [3, 4], [5, 6]]
    assert window_groups(2, 8) == [[0], [1]]


def test_stitch_removes_words_heard_twice_at_the_seam():
    first = [
        Segment(start=0, end=5, text="one two three four"),
        Segment(start=5, end=10, text="five six seven"),
    ]
    # The second window starts at 8 s and hears "six seven" again (with a clipped first word).
    second = [Segment(start=0, end=2, text="x six seven"), Segment(start=2, end=6, text="eight nine ten")]
    merged = stitch([(Window(0, 0, 10), first), (Window(1, 8, 20), second)])
    assert " ".join(s.text for s in merged) == "one two three four five six seven eight nine ten"
    assert merged[-1].start == 10.0  # shifted to episode time


def test_cut_window_and_silence_with_real_ffmpeg(tmp_path: Path, speech_dir: Path):
    wav = espeak("First part of the talk. " * 4, speech_dir / "a.wav")
    silence = generated_audio(tmp_path / "silence.wav", "anullsrc=r=22050:cl=mono", 2)
    joined = tmp_path / "joined.wav"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(wav),
            "-i",
            str(silence),
            "-i",
            str(wav),
            "-filter_complex",
            "[0:a][1:a][2:a]concat=n=3:v=0:a=1",
            str(joined),
        ],
        check=True,
    )
    first_len = probe_duration(wav)
    found = find_silence_near(joined, first_len + 1.5, search=6)
    assert found is not None and first_len - 0.2 <= found <= first_len + 2.2
    out = cut_window(joined, Window(0, 1.0, 4.0), tmp_path / "w.mp3")
    assert probe_duration(out) == pytest.approx(3.0, abs=0.15)
    # A local model gets lossless PCM, not mp3 in a wav container.
    wav = cut_window(joined, Window(1, 1.0, 4.0), tmp_path / "w.wav")
    info = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(wav)], capture_output=True, text=True
    ).stderr
    assert "pcm_s16le" in info and "16000 Hz" in info and "mono" in info


@pytest.mark.slow
def test_bundled_model_transcribes_generated_speech_and_stays_quiet_on_silence(
    tmp_path: Path, speech_dir: Path
):
    text = "The weekly newsletter summarizes every podcast episode. Listeners read it on Monday morning."
    wav = espeak(text, speech_dir / "speech.wav")
    stt = LocalWhisper()
    segments = stt.transcribe(wav, "en", None)
    heard = " ".join(s.text for s in segments).lower()
    for word in ("weekly", "newsletter", "podcast", "monday"):
        assert word in heard
    assert segments[0].start < 1.0 and segments[-1].end <= probe_duration(wav) + 0.5
    silence = generated_audio(tmp_path / "silence.wav", "anullsrc=r=16000:cl=mono", 20)
    assert stt.transcribe(silence, "en", None) == []  # VAD: nothing invented on silence
    # `bundled` now hears Dutch with the multilingual model (issue 12); tiny.en named on its own still
    # refuses it, as a settings problem that says what to change.
    with pytest.raises(ModelConfigError, match=r"English-only.*local_model = 'bundled'"):
        LocalWhisper("tiny.en").transcribe(wav, "nl", None)
