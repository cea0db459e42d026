"""Episode summaries behind one interface: an OpenAI(-compatible) model, or the offline extractor."""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from typing import Any

import openai
from pydantic import BaseModel

from newsroom.config import Settings
from newsroom.extractive import summarize_extractive
from newsroom.grounding import TranscriptIndex, ground_quotes
from newsroom.limits import openai_slot
from newsroom.models import Episode, Summary, SummaryContent, Transcript
from newsroom.openai_api import Meter, make_client, resolve_llm_backend
from newsroom.prompts import load_prompt

LANGUAGES = {
    "en": "English",
    "nl": "Dutch (Nederlands)",
    "de": "German (Deutsch)",
    "fr": "French (français)",
    "es": "Spanish (español)",
    "it": "Italian (italiano)",
    "pt": "Portuguese (português)",
    "sv": "Swedish (svenska)",
    "da": "Danish (dansk)",
    "no": "Norwegian (norsk)",
    "pl": "Polish (polski)",
}


def language_name(code: str) -> str:
    return LANGUAGES.get(code.split("-")[0], code)


class SummaryRejectedError(Exception):
    """The model refused, was cut off, or returned output that breaks the rules; never published."""


class Summarizer(ABC):
    name: str
    prompt_version: str | None = None

    @property
    def cache_key(self) -> str:
        """What a stored summary must match to be reused: backend, model and prompt version."""
        return f"{self.name}|{self.prompt_version or '-'}"

    @abstractmethod
    def summarize(
        self, episode: Episode, transcript: Transcript, language: str, meter: Meter | None = None
    ) -> Summary:
        """A Summary of the transcript in `language`, quotes grounded in the transcript."""


class OfflineSummarizer(Summarizer):
    name = "offline:extractive"

    def __init__(self, glossary: list[str]):
        self.glossary = glossary

    def summarize(
        self, episode: Episode, transcript: Transcript, language: str, meter: Meter | None = None
    ) -> Summary:
        content = summarize_extractive(transcript.segments, self.glossary, episode.duration)
        return _finish(content, episode, transcript, transcript.language or language, self.name, None)


class OpenAISummarizer(Summarizer):
    """Structured outputs (`chat.completions.parse`) into the Summary schema, checked and grounded."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.model = settings.llm.model
        self.name = f"openai:{self.model}"
        self.prompt = load_prompt("summarize", settings.llm.summary_prompt)
        self.prompt_version = self.prompt.version
        self.client = make_client(settings.llm)
        self.glossary = sorted(settings.glossary)

    def summarize(
        self, episode: Episode, transcript: Transcript, language: str, meter: Meter | None = None
    ) -> Summary:
        system, user = self.prompt.render(
            episode=episode,
            transcript_lines=transcript_lines(transcript),
            language=language_name(language),
            glossary=self.glossary,
            part=1,
            parts=1,
        )
        content = self.parse(system, user, SummaryContent, meter)
        return _finish(content, episode, transcript, language, self.name, self.prompt_version)

    def parse(
        self, system: str, user: str, schema: type[BaseModel], meter: Meter | None, attempts: int = 2
    ) -> Any:
        """One structured call; output that breaks the rules is retried once with the reason, then rejected."""
        messages: list[dict[str, str]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        problem = "no attempt made"
        for _ in range(attempts):
            openai_slot(self.settings)  # one rate limit shared by every OpenAI request
            started = time.monotonic()
            try:
                completion = self.client.chat.completions.parse(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    response_format=schema,
                    temperature=self.settings.llm.temperature,
                )
            except (openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError) as exc:
                if meter:
                    meter.chat(
                        self.name,
                        self.model,
                        getattr(exc, "completion", None) and exc.completion.usage,  # type: ignore[union-attr]
                        started,
                        self.prompt_version,
                        ok=False,
                        error=type(exc).__name__,
                    )
                raise SummaryRejectedError(
                    "the model's answer was cut off (finish_reason=length)"
                    if isinstance(exc, openai.LengthFinishReasonError)
                    else "the model's content filter stopped it"
                ) from exc
            except Exception as exc:
                if meter:
                    meter.chat(
                        self.name,
                        self.model,
                        None,
                        started,
                        self.prompt_version,
                        ok=False,
                        error=str(exc)[:300],
                    )
                if _is_invalid_json(exc):
                    problem = f"invalid JSON: {exc}"
                    messages.append(
                        {
                            "role": "user",
                            "content": "Your last answer was not valid JSON for the schema. Answer again.",
                        }
                    )
                    continue
                raise
            if meter:
                meter.chat(self.name, self.model, completion.usage, started, self.prompt_version)
            choice = completion.choices[0]
            if choice.message.refusal:
                raise SummaryRejectedError(f"the model refused: {choice.message.refusal[:200]}")
            if choice.finish_reason == "length":
                raise SummaryRejectedError("the model's answer was cut off (finish_reason=length)")
            parsed = choice.message.parsed
            found = output_problem(parsed) if parsed is not None else "no parsed output"
            if not found:
                return parsed
            problem = found
            messages.append({"role": "assistant", "content": choice.message.content or ""})
            messages.append(
                {"role": "user", "content": f"That answer breaks a rule: {problem}. Answer again, fixing it."}
            )
        raise SummaryRejectedError(f"rejected after {attempts} attempts: {problem}")


def _is_invalid_json(exc: Exception) -> bool:
    return type(exc).__name__ in ("ValidationError", "JSONDecodeError")


def output_problem(content: BaseModel) -> str | None:
    """Why this output must not be published (code fences, repeated text), or None."""
    texts = list(_strings(content.model_dump()))
    for text in texts:
        if "```" in text:
            return "it contains a Markdown code fence"
        if _repeats_itself(text):
            return "it repeats a passage of text"
    long_texts = [re.sub(r"\s+", " ", t).strip().lower() for t in texts if len(t) > 80]
    if len(long_texts) != len(set(long_texts)):
        return "the same passage appears in two fields"
    return None


def _strings(value: Any) -> Any:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _repeats_itself(text: str, min_chars: int = 40) -> bool:
    """True when a sentence of some length occurs twice (a summary pasted twice, a looping model)."""
    sentences = [re.sub(r"\s+", " ", s).strip().lower() for s in re.split(r"(?<=[.!?])\s+|\n+", text)]
    long_ones = [s for s in sentences if len(s) >= min_chars]
    return len(long_ones) != len(set(long_ones))


def transcript_lines(transcript: Transcript) -> str:
    """One line per segment, prefixed with its start second, for the model to cite."""
    return "\n".join(
        f"[{seg.start:.0f}] {seg.text.strip()}" for seg in transcript.segments if seg.text.strip()
    )


def _finish(
    content: SummaryContent,
    episode: Episode,
    transcript: Transcript,
    language: str,
    backend: str,
    prompt_version: str | None,
) -> Summary:
    quotes, dropped = ground_quotes(content.notable_quotes, TranscriptIndex.build(transcript.segments))
    data = content.model_dump()
    data["notable_quotes"] = [q.model_dump() for q in quotes]
    return Summary(
        **data,
        episode_id=episode.id,
        language=language,
        backend=backend,
        prompt_version=prompt_version,
        dropped_quotes=dropped,
    )


def make_summarizer(settings: Settings) -> Summarizer:
    if resolve_llm_backend(settings) == "openai":
        return OpenAISummarizer(settings)
    return OfflineSummarizer(sorted(settings.glossary))
