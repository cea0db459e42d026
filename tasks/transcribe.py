"""Turn fetched material into a timed transcript; long audio in cached, parallel windows."""

from __future__ import annotations

import contextvars
import hashlib
import inspect
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

from prefect import task
from prefect.tasks import exponential_backoff
from prefect.transactions import CommitMode, transaction

from newsroom.config import Settings
from newsroom.models import Episode, Segment, Transcript
from newsroom.newsletter.notes import write_episode_notes
from newsroom.openai_api import Meter
from newsroom.ops.limits import stage_slot
from newsroom.progress import report
from newsroom.retry import is_transient
from newsroom.sources.base import Fetched
from newsroom.store import Store
from newsroom.transcripts import media, stt
from newsroom.transcripts.glossary import Glossary
from newsroom.transcripts.media import cut_window, plan_episode_windows
from newsroom.transcripts.stt import LocalWhisper, make_stt
from newsroom.transcripts.transcription import WindowJob, transcribe_windows, transcript_from_text
from tasks import run_as_command


@cache
def _code_version() -> str:
    """A change to how windows are cut or transcribed must not be served from an old cache."""
    source = inspect.getsource(stt) + inspect.getsource(media)
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def window_cache_key(context: Any, parameters: dict[str, Any]) -> str:
    """Same audio, window, language, glossary, model and code: same words. Other settings do not matter.

    The previous window's last words in the prompt are left out on purpose (see WindowJob.hint): when
    window 7 of 9 failed and is redone, windows 8 and 9 must still be served from the cache.
    """
    job: WindowJob = parameters["job"]
    parts = [
        job.source_sha,
        f"{job.window.start:.3f}",
        f"{job.window.end:.3f}",
        job.language or "",
        job.hint,
        parameters["backend"],
        _code_version(),
    ]
    return "window-" + hashlib.sha256("|".join(parts).encode()).hexdigest()


@task(
    name="transcribe-window",
    task_run_name="window {job.window.index} ({job.window.start:.0f}s)",
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=5),
    retry_jitter_factor=0.5,
    retry_condition_fn=is_transient,
    cache_key_fn=window_cache_key,
    persist_result=True,
)
def transcribe_window(
    job: WindowJob, backend: str, settings: Settings, episode_id: str, run_id: str | None
) -> list[Segment]:
    """Transcribe one window of an episode; cached, so a failed window is the only one redone."""
    stt = make_stt(settings, job.language)
    store = Store(settings.library_dir)
    meter = Meter(store, settings.prices, run_id, episode_id, "transcribe")
    source = Path(job.source)
    if job.whole_file and uploadable_as_is(source, stt, settings.transcription.max_chunk_mb):
        return stt.transcribe(source, job.language, job.prompt, meter, duration=job.window.duration)
    suffix = ".wav" if isinstance(stt, LocalWhisper) else ".mp3"
    chunk = store.episode_dir(episode_id) / "windows" / f"{job.window.index:03d}{suffix}"
    cut_window(source, job.window, chunk)
    try:
        return stt.transcribe(chunk, job.language, job.prompt, meter, duration=job.window.duration)
    finally:
        chunk.unlink(missing_ok=True)


# What OpenAI's transcription endpoint accepts; faster-whisper decodes anything ffmpeg can.
API_FORMATS = {".flac", ".m4a", ".mp3", ".mp4", ".mpeg", ".mpga", ".oga", ".ogg", ".wav", ".webm"}


def uploadable_as_is(source: Path, stt: Any, max_mb: float) -> bool:
    """A short file in a format the backend takes needs no re-encoding (saves an ffmpeg run)."""
    if isinstance(stt, LocalWhisper):
        return True
    return source.suffix.lower() in API_FORMATS and source.stat().st_size <= max_mb * 1_000_000


def transcript_key(fetched: Fetched, backend: str, glossary: Glossary) -> str:
    route = {"transcript": "feed", "captions": "captions", "text": "article"}.get(
        fetched.kind, f"asr:{backend}"
    )
    return f"{route}|glossary:{hashlib.sha256(repr(glossary.terms).encode()).hexdigest()[:8]}"


@task(
    name="transcribe-episode",
    task_run_name="transcribe {episode.id}",
    retries=1,
    retry_condition_fn=is_transient,
)
def transcribe_episode(
    episode: Episode, fetched: Fetched, settings: Settings, run_id: str | None = None, force: bool = False
) -> Transcript:
    """A timed transcript: the feed's or the captions when there are some, else speech-to-text."""
    store = Store(settings.library_dir)
    glossary = Glossary.from_mapping(settings.glossary)
    transcript = transcript_from_text(episode, fetched, glossary)
    if transcript is None:
        stt = make_stt(settings, episode.language)
        key = transcript_key(fetched, stt.name, glossary)
        if (
            not force
            and store.stage_done(episode.id, "transcribe", key)
            and (done := store.load_transcript(episode.id))
        ):
            return done
        with stage_slot("transcribe", settings):
            transcript = speech_to_text(episode, Path(str(fetched.media)), stt, glossary, settings, run_id)
    else:
        key = transcript_key(fetched, "", glossary)
    store.save_transcript(transcript)  # transcript.json, and its segments in the search index
    write_episode_notes(store, episode, transcript, None, settings)
    store.set_stage(episode.id, "transcribe", "done", cache_key=key, detail=transcript.backend)
    return transcript


def speech_to_text(
    episode: Episode, media: Path, stt: Any, glossary: Glossary, settings: Settings, run_id: str | None
) -> Transcript:
    t = settings.transcription
    # The spoken language: the source's or the feed's, else what the model hears in the first 30 s
    # (recorded on the transcript, never translated). A model that cannot do it stops here, before any
    # window is cut: that is a setting to change, not a window to retry.
    # Windows are planned first: planning is what finds an unreadable file, and says so.
    windows = plan_episode_windows(media, stt.max_window_seconds, t.max_chunk_mb, t.chunk_overlap_seconds)
    language = episode.language or None
    detected = False
    if language is None and (language := stt.detect_language(media)):
        detected = True
    stt.check_language(language)
    stt = stt.for_language(language)
    stt.check_language(language)
    done = [0]
    key = f"{episode.id}:transcribe"
    report(key, f"transcribe {episode.title[:40]}", 0, len(windows))

    # Retries per window from the settings (Prefect's own delays are fixed when the task is defined).
    window_task = transcribe_window.with_options(
        retries=t.window_retries,
        retry_delay_seconds=[t.window_retry_delay_seconds * 2**i for i in range(t.window_retries)] or 0,
    )

    def run_window(job: WindowJob) -> list[Segment]:
        # Prefect commits a nested task's cache record only when its parent task commits: without an
        # eager transaction, window results would be thrown away when a sibling window fails.
        failure: Exception | None = None
        with transaction(commit_mode=CommitMode.EAGER):
            try:
                segments = window_task(job, stt.name, settings, episode.id, run_id)
            except Exception as exc:  # raised outside, so this transaction does not roll back its parent
                failure = exc
        if failure is not None:
            raise failure
        done[0] += 1
        report(key, f"transcribe {episode.title[:40]}", done[0], len(windows))
        return segments

    # Local models share one CPU-bound model: one group. Remote APIs: parallel groups.
    groups = 1 if isinstance(stt, LocalWhisper) else t.concurrency
    segments = transcribe_windows(
        media, windows, language, glossary.prompt_hint(), stt.fit_prompt, run_window, run_in_threads, groups
    )
    fixed, corrections = glossary.correct_segments(segments)
    return Transcript(
        episode_id=episode.id,
        language=language,
        language_detected=detected,
        provenance="asr",
        backend=stt.name,
        segments=fixed,
        corrections=corrections,
    )


def run_in_threads(workers: list[Callable[[], Any]]) -> list[Any]:
    """Run group workers in threads; each carries the Prefect context, so its window tasks nest here."""
    if len(workers) == 1:
        return [workers[0]()]
    with ThreadPoolExecutor(max_workers=len(workers), thread_name_prefix="windows") as pool:
        futures = [pool.submit(contextvars.copy_context().run, work) for work in workers]
        return [f.result() for f in futures]


if __name__ == "__main__":
    run_as_command("transcribe")
