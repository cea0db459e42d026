"""Long audio through the OpenAI path against the fake server's real limits (25 MB: 413, 1400 s: 400),
and a failed window redone alone on the next run thanks to Prefect's cache."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from flows.process_episode import process_url
from newsroom.config import load_settings
from newsroom.models import Episode
from newsroom.store import Store
from newsroom.transcripts.glossary import Glossary
from newsroom.transcripts.media import probe_duration
from newsroom.transcripts.stt import OpenAITranscriber
from tasks.transcribe import speech_to_text
from tests.conftest import generated_audio, write_config
from tests.fakes.openai_server import MAX_AUDIO_SECONDS, MAX_UPLOAD_BYTES


def tone(path: Path, seconds: float, rate: int, fmt_args: list[str]) -> Path:
    """A generated tone (no silence anywhere, so cuts fall exactly where planned)."""
    if not path.exists():
        generated_audio(path, f"sine=frequency=440:sample_rate={rate}", seconds, "-ac", "1", *fmt_args)
    return path


@pytest.fixture(scope="session")
def long_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("long-audio")
    return {
        # 1000 s of 16 kHz PCM: 32 MB, over the upload limit though short enough.
        "big": tone(folder / "big.wav", 1000, 16000, ["-c:a", "pcm_s16le"]),
        # 1500 s at a low bitrate: small, but longer than any upload may be.
        "long": tone(folder / "long.mp3", 1500, 8000, ["-c:a", "libmp3lame", "-b:a", "16k"]),
        # ~500 s: nine 60 s windows.
        "nine": tone(folder / "nine.mp3", 500, 8000, ["-c:a", "libmp3lame", "-b:a", "16k"]),
    }


def openai_settings(tmp_path: Path, base_url: str, extra: str = ""):
    return load_settings(
        write_config(
            tmp_path,
            f'[transcription]\nbackend = "openai"\nbase_url = "{base_url}"\nopenai_model = "whisper-1"\n{extra}'
            '[llm]\nbackend = "offline"\nmax_retries = 1\n',
        )
    )


def episode(media: Path) -> Episode:
    return Episode(
        id="file-long",
        source_id="s",
        source_name="S",
        kind="local",
        title="Long one",
        url=media.as_uri(),
        media_url=media.as_uri(),
        language="nl",
    )


@pytest.mark.slow
def test_uploads_over_the_limits_fail_and_the_windows_pass(tmp_path: Path, fake_openai, long_files):
    settings = openai_settings(tmp_path, fake_openai.base_url, "concurrency = 1\n")
    stt = OpenAITranscriber(settings)
    big, long = long_files["big"], long_files["long"]
    assert big.stat().st_size > MAX_UPLOAD_BYTES and probe_duration(long) > MAX_AUDIO_SECONDS
    with pytest.raises(openai.APIStatusError) as too_big:
        stt.transcribe(big, "nl", None)
    assert too_big.value.status_code == 413
    with pytest.raises(openai.BadRequestError, match="longer than 1400 seconds"):
        stt.transcribe(long, "nl", None)
    fake_openai.reset()

    for media, texts in (
        (big, ["Alpha spreekt over modellen."]),
        (long, ["Eerste venster over Antropic.", "Tweede venster sluit af."]),
    ):
        fake_openai.transcription_script.extend(texts)
        transcript = speech_to_text(
            episode(media), media, stt, Glossary.from_mapping({"Anthropic": ["Antropic"]}), settings, None
        )
        uploads = [r.body for r in fake_openai.calls("/audio/transcriptions")]
        assert len(uploads) == len(texts)
        assert all(u["_duration"] <= MAX_AUDIO_SECONDS and u["_size"] < MAX_UPLOAD_BYTES for u in uploads)
        assert all(u["language"] == "nl" for u in uploads)  # Dutch stays Dutch
        # Every second of the episode is covered once, in episode time.
        assert transcript.segments[0].start == 0
        assert transcript.segments[-1].end == pytest.approx(probe_duration(media), abs=1.5)
        assert [s.text for s in transcript.segments] == [t.replace("Antropic", "Anthropic") for t in texts]
        fake_openai.reset()
    assert transcript.corrections == {"Anthropic": 1}
    # The second window was prompted with the glossary and the first window's last words.
    fake_openai.transcription_script.extend(["Een.", "Twee."])
    speech_to_text(episode(long), long, stt, Glossary.from_mapping({"Claude": ["Clot"]}), settings, None)
    prompts = [r.body.get("prompt") for r in fake_openai.calls("/audio/transcriptions")]
    assert prompts == ["Claude", "Claude Een."]


@pytest.mark.slow
def test_a_failed_window_is_the_only_one_sent_again(tmp_path: Path, fake_openai, long_files):
    media = long_files["nine"]
    config = write_config(
        tmp_path,
        f'[transcription]\nbackend = "openai"\nbase_url = "{fake_openai.base_url}"\nopenai_model = "whisper-1"\n'
        "max_chunk_seconds = 60\nconcurrency = 3\nwindow_retries = 1\nwindow_retry_delay_seconds = 0\n"
        '[llm]\nbackend = "offline"\nmax_retries = 1\n',
    )
    fake_openai.fail_upload("006.mp3", 100, status=500)  # window 7 of 9 keeps failing this run

    with pytest.raises(RuntimeError, match=r"window 7 \(348-408 s\) of 9 failed"):
        process_url(str(media), str(config))
    first = fake_openai.calls("/audio/transcriptions")
    sent = sorted({r.body["_filename"] for r in first})
    assert sent == [f"{i:03d}.mp3" for i in range(9)]  # the windows after it still ran
    failed = [r for r in first if r.body.get("_failed")]
    assert {r.body["_filename"] for r in failed} == {"006.mp3"}
    assert len(failed) == 4  # (1 + 1 client retry) x (1 + 1 task retry)

    fake_openai.reset()  # the service is healthy again
    result = process_url(str(media), str(config))
    assert result.outcome.status == "done"
    again = fake_openai.calls("/audio/transcriptions")
    assert [r.body["_filename"] for r in again] == ["006.mp3"]  # the 8 others came from the cache
    transcript = Store(load_settings(config).library_dir).load_transcript(result.episode.id)
    assert transcript is not None and transcript.segments[-1].end == pytest.approx(500, abs=1.5)
