"""Speech-to-text behind one interface: OpenAI (or any compatible server) and local faster-whisper."""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from functools import cache
from pathlib import Path
from typing import Any

from newsroom.config import Settings
from newsroom.models import Segment
from newsroom.openai_api import Meter, make_transcription_client, request_slot, resolve_stt_backend
from newsroom.tokens import keep_last_tokens
from newsroom.transcripts.bundled import (
    ENGLISH_MODEL,
    MULTILINGUAL_MODEL,
    ModelConfigError,
    languages,
    model_for_language,
    model_path,
)
from newsroom.transcripts.media import Window, cut_window, probe_duration

BUNDLED = "bundled"
DETECT_SECONDS = 30.0  # how much of the start the language is told from


class TranscriptionError(Exception):
    """Audio that yields no transcript."""


class SpeechToText(ABC):
    """Transcribe one short audio file (a window of an episode) to timed segments."""

    name: str  # provenance, e.g. "local:tiny.en" or "openai:whisper-1"
    model: str
    max_window_seconds: float
    prompt_token_limit: int

    @abstractmethod
    def transcribe(
        self,
        audio: Path,
        language: str | None,
        prompt: str | None,
        meter: Meter | None = None,
        duration: float | None = None,
    ) -> list[Segment]:
        """Segments with times relative to the start of `audio` (of `duration` seconds, if known)."""

    def check_language(self, language: str | None) -> None:
        """Raise ModelConfigError when this backend cannot transcribe `language` (before any work).
        Remote APIs take every language they know; they answer for themselves."""
        return None

    def detect_language(self, audio: Path) -> str | None:
        """The spoken language when the source does not say; None: the backend decides per request."""
        return None

    def for_language(self, language: str | None) -> SpeechToText:
        """The backend to use for `language` (itself, unless it picks models per language)."""
        return self

    def fit_prompt(self, glossary_hint: str, previous_words: str) -> str | None:
        """Glossary first, the previous window's last words last, trimmed to what the model reads."""
        text = " ".join(part for part in (glossary_hint, previous_words) if part).strip()
        if not text:
            return None
        return keep_last_tokens(text, self.prompt_token_limit, self.model)


class LocalWhisper(SpeechToText):
    """faster-whisper on the CPU. `bundled` picks the shipped model for the spoken language
    (newsroom.transcripts.bundled): tiny.en for English, the multilingual base for the rest."""

    prompt_token_limit = 200  # whisper reads at most 224 of its own tokens; see newsroom.tokens
    max_window_seconds = 600.0  # bounds memory: faster-whisper decodes its whole input to PCM

    def __init__(
        self,
        model: str = BUNDLED,
        compute_type: str = "int8",
        beam_size: int = 5,
        vad: bool = True,
        language: str | None = None,
    ):
        self.requested = model
        # With `bundled` and no language yet, the model is chosen once the language is detected.
        if model == BUNDLED and not language:
            self.path, self.model = "", BUNDLED
            self.name = (
                f"local:{ENGLISH_MODEL}+{MULTILINGUAL_MODEL}"  # one of them, once the language is known
            )
        else:
            self.path, self.model = resolve_local_model(model, language)
            self.name = f"local:{self.model}"
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.vad = vad

    @property
    def english_only(self) -> bool:
        return self.model.endswith(".en")

    def for_language(self, language: str | None) -> LocalWhisper:
        """This backend with the model that hears `language` (the same one unless it is `bundled`)."""
        if self.requested != BUNDLED or not language:
            return self
        return LocalWhisper(self.requested, self.compute_type, self.beam_size, self.vad, language)

    def check_language(self, language: str | None) -> None:
        lang = (language or "").split("-")[0] or None
        if self.english_only and lang not in (None, "en"):
            raise ModelConfigError(
                f"the local model {self.model} is English-only and this episode is '{lang}'; set "
                "transcription.local_model = 'bundled' (picks the multilingual model for it), a "
                "multilingual faster-whisper model folder, or use transcription.backend = 'openai'"
            )
        if lang and not self.english_only and lang not in languages():
            raise ModelConfigError(
                f"whisper models cannot transcribe '{lang}'; check the source's `language` (ISO 639-1) "
                "or use transcription.backend = 'openai'"
            )

    def detect_language(self, audio: Path) -> str | None:
        """The language spoken in the first 30 s, by the multilingual model (None for English-only)."""
        if self.english_only:
            return "en"
        path = self.path or str(model_path(MULTILINGUAL_MODEL))
        whisper, lock = _load_whisper(path, self.compute_type)
        from faster_whisper.audio import decode_audio  # late, like WhisperModel (see _load_whisper)

        with tempfile.TemporaryDirectory(prefix="newsroom-lang-") as tmp:
            # ffmpeg seeks and cuts: decoding a two-hour episode whole would take gigabytes.
            head = cut_window(audio, Window(0, 0.0, DETECT_SECONDS), Path(tmp) / "head.wav")
            samples = decode_audio(str(head), sampling_rate=16000)
        with lock:
            language, _probability, _all = whisper.detect_language(audio=samples, vad_filter=self.vad)
        return str(language) if language else None

    def transcribe(
        self,
        audio: Path,
        language: str | None,
        prompt: str | None,
        meter: Meter | None = None,
        duration: float | None = None,
    ) -> list[Segment]:
        lang = (language or "").split("-")[0] or None
        if self.model == BUNDLED:
            lang = lang or self.detect_language(audio)
            return self.for_language(lang).transcribe(audio, lang, prompt, meter, duration)
        self.check_language(lang)
        whisper, lock = _load_whisper(self.path, self.compute_type)
        started = time.monotonic()
        with lock:
            pieces, info = whisper.transcribe(
                str(audio),
                language="en" if self.english_only else lang,
                task="transcribe",  # never translate
                beam_size=self.beam_size,
                vad_filter=self.vad,
                initial_prompt=prompt,
                condition_on_previous_text=False,
                word_timestamps=True,
            )
            kept = [
                p for p in pieces if p.text.strip() and not (p.no_speech_prob > 0.6 and p.avg_logprob < -1.0)
            ]
            segments = sentence_segments(kept)
        if meter:
            meter.audio(self.name, self.model, float(info.duration), started)
        return segments


def sentence_segments(pieces: list[Any]) -> list[Segment]:
    """Whisper's segments (up to 30 s) re-cut at sentence ends using word times, so a timestamp
    link lands on the sentence it cites."""
    out: list[Segment] = []
    for piece in pieces:
        words = getattr(piece, "words", None) or []
        if not words:
            out.append(Segment(start=round(piece.start, 2), end=round(piece.end, 2), text=piece.text.strip()))
            continue
        current: list[Any] = []
        for word in words:
            current.append(word)
            if word.word.strip().endswith((".", "!", "?")):
                out.append(_join(current))
                current = []
        if current:
            out.append(_join(current))
    return [s for s in out if s.text]


def _join(words: list[Any]) -> Segment:
    text = "".join(w.word for w in words).strip()
    return Segment(
        start=round(words[0].start, 2), end=round(max(words[-1].end, words[0].start), 2), text=text
    )


def resolve_local_model(model: str, language: str | None = None) -> tuple[str, str]:
    """(path or name for faster-whisper, display name). `bundled` is the shipped model for
    `language`; `tiny.en` and `base` name the shipped models themselves (no download)."""
    if model == BUNDLED:
        model = model_for_language(language)
    if model in ("tiny.en", "base"):
        return str(model_path(model)), model
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path), path.name
    return model, model


@cache
def _load_whisper(path: str, compute_type: str) -> tuple[Any, threading.Lock]:
    from faster_whisper import WhisperModel

    try:
        model = WhisperModel(path, device="cpu", compute_type=compute_type, cpu_threads=os.cpu_count() or 2)
    except Exception as exc:  # huggingface_hub raises several types when offline
        raise ModelConfigError(
            f"could not load the faster-whisper model {path!r}: {exc}. A model name is downloaded from "
            "Hugging Face on first use; offline, give a folder with a CTranslate2 model or use 'bundled'"
        ) from exc
    return model, threading.Lock()


class OpenAITranscriber(SpeechToText):
    """OpenAI's transcription endpoint, or any server that speaks it."""

    def __init__(self, settings: Settings):
        t = settings.transcription
        self.model = t.openai_model
        self.name = f"openai:{self.model}"
        self.max_window_seconds = float(t.max_chunk_seconds)
        # whisper-1 reads only the last 224 tokens of its prompt (we count 200 for a margin, see
        # newsroom.tokens); gpt-4o models take free text.
        self.prompt_token_limit = 200 if self.model.startswith("whisper") else 800
        self.client = make_transcription_client(settings)
        self.settings = settings

    def transcribe(
        self,
        audio: Path,
        language: str | None,
        prompt: str | None,
        meter: Meter | None = None,
        duration: float | None = None,
    ) -> list[Segment]:
        duration = duration or probe_duration(audio)
        verbose = self.model.startswith("whisper")
        diarize = "diarize" in self.model
        kwargs: dict[str, Any] = {"model": self.model}
        if language:
            kwargs["language"] = language.split("-")[0]
        if prompt and not diarize:
            kwargs["prompt"] = prompt
        if verbose:
            kwargs["response_format"] = "verbose_json"
            kwargs["timestamp_granularities"] = ["segment"]
        elif diarize:
            kwargs["response_format"] = "diarized_json"
            kwargs["chunking_strategy"] = "auto"
        else:
            kwargs["response_format"] = "json"
        started = time.monotonic()
        try:
            with request_slot(self.settings), audio.open("rb") as fh:
                response = self.client.audio.transcriptions.create(file=fh, **kwargs)
        except Exception as exc:
            if meter:
                meter.audio(self.name, self.model, 0.0, started, ok=False, error=str(exc)[:300])
            raise
        if meter:
            meter.audio(self.name, self.model, duration, started)
        raw_segments = getattr(response, "segments", None)
        if raw_segments:
            return [
                Segment(
                    start=float(_get(s, "start")),
                    end=float(_get(s, "end")),
                    text=str(_get(s, "text")).strip(),
                    speaker=_speaker(s) if diarize else None,
                )
                for s in raw_segments
                if str(_get(s, "text")).strip()
            ]
        text = response if isinstance(response, str) else getattr(response, "text", "")
        return spread_text(text, duration)


def _get(obj: Any, key: str) -> Any:
    return obj[key] if isinstance(obj, dict) else getattr(obj, key)


def _speaker(segment: Any) -> str | None:
    """gpt-4o-transcribe-diarize's label ("A", "B", or a known speaker's name)."""
    label = segment.get("speaker") if isinstance(segment, dict) else getattr(segment, "speaker", None)
    return str(label).strip() or None if label else None


def spread_text(text: str, duration: float) -> list[Segment]:
    """Sentences of an untimed transcript, given times in proportion to their length."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()]
    total = sum(len(s) for s in sentences) or 1
    segments, at = [], 0.0
    for sentence in sentences:
        length = duration * len(sentence) / total
        segments.append(Segment(start=round(at, 2), end=round(at + length, 2), text=sentence))
        at += length
    return segments


def make_stt(settings: Settings, language: str | None = None) -> SpeechToText:
    """The configured speech-to-text backend (auto: OpenAI with a key or base URL, else local), with
    the model for `language` when the local model is `bundled`."""
    if resolve_stt_backend(settings) == "openai":
        return OpenAITranscriber(settings)
    t = settings.transcription
    return LocalWhisper(t.local_model, t.local_compute_type, t.local_beam_size, t.vad, language)
