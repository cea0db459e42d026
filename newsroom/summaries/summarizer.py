"""Episode summaries behind one interface: an OpenAI(-compatible) model, or the offline extractor."""

from __future__ import annotations

import hashlib
import json
import re
import time
from abc import ABC, abstractmethod
from functools import cached_property
from typing import Any

from pydantic import BaseModel

from newsroom.config import Settings
from newsroom.locales import language_name
from newsroom.models import Episode, Summary, SummaryContent, TimedText, Transcript
from newsroom.openai_api import Meter, make_client, request_slot, resolve_llm_backend
from newsroom.prompts import load_prompt
from newsroom.summaries.entities import EntityType
from newsroom.summaries.extractive import summarize_extractive
from newsroom.summaries.grounding import TranscriptIndex, defang, ground_quotes, snap_timed
from newsroom.summaries.mapreduce import Chunk, Partial, Stats, SummaryRejectedError, map_reduce, plan_chunks
from newsroom.tokens import count_tokens

__all__ = ["OfflineSummarizer", "OpenAISummarizer", "Summarizer", "SummaryRejectedError", "make_summarizer"]


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
    version = "2"  # of the extraction: a stored summary made by another one is made again

    def __init__(self, glossary: list[str], entity_types: dict[str, EntityType] | None = None):
        self.glossary = glossary
        self.entity_types = dict(entity_types or {})

    @property
    def cache_key(self) -> str:
        names = json.dumps([self.glossary, sorted(self.entity_types.items())], ensure_ascii=False)
        return (
            f"{super().cache_key}|extractive:{self.version}|{hashlib.sha256(names.encode()).hexdigest()[:8]}"
        )

    def summarize(
        self, episode: Episode, transcript: Transcript, language: str, meter: Meter | None = None
    ) -> Summary:
        spoken = transcript.language or episode.language or language
        content = summarize_extractive(
            transcript.segments,
            self.glossary,
            episode.duration,
            title=episode.title,
            description=defang(episode.description)[0],
            show=episode.source_name,
            language=spoken,
            entity_types=self.entity_types,
        )
        return _finish(content, episode, transcript, transcript.language or language, self.name, None)


class OpenAISummarizer(Summarizer):
    """Structured outputs (`chat.completions.parse`) into the Summary schema, checked and grounded.

    A transcript that fits the token budget is summarized in one call; a longer one in parts, combined
    by the reduce prompt (see `newsroom.summaries.mapreduce`)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.model = settings.llm.model
        self.name = f"openai:{self.model}"
        self.prompt = load_prompt("summarize", settings.llm.summary_prompt)
        self.reduce_prompt = load_prompt("summarize", settings.llm.reduce_prompt)
        self.prompt_version = f"{self.prompt.version}+{self.reduce_prompt.version}"
        self.client = make_client(settings.llm)
        self.glossary = sorted(settings.glossary)
        self.last_stats = Stats()

    @property
    def cache_key(self) -> str:
        # The budget decides where parts are cut, so it shapes the summary too.
        return f"{super().cache_key}|chunk:{self.budget}"

    @cached_property
    def budget(self) -> int:
        """Transcript tokens per call: the configured chunk size, within the model's context window
        after the prompt and room for the answer."""
        llm = self.settings.llm
        reserve = min(8192, llm.context_tokens // 4)
        overhead = count_tokens(self.prompt.source, self.model) + 600  # prompt text, title, description
        return max(256, min(llm.chunk_tokens, llm.context_tokens - reserve - overhead))

    def summarize(
        self, episode: Episode, transcript: Transcript, language: str, meter: Meter | None = None
    ) -> Summary:
        chunks = plan_chunks(transcript.segments, self.budget, self.model)
        if not chunks:
            raise SummaryRejectedError("the transcript has no text to summarize")
        lang = language_name(language)

        def map_part(chunk: Chunk, part: int, parts: int) -> SummaryContent:
            system, user = self.prompt.render(
                episode=episode,
                transcript_lines=chunk.lines(),
                language=lang,
                glossary=self.glossary,
                part=part,
                parts=parts,
                span=chunk.span,
            )
            content: SummaryContent = self.parse(system, user, SummaryContent, meter, self.prompt.version)
            return content

        def reduce_parts(partials: list[Partial], first: int, last: int, feedback: str) -> SummaryContent:
            system, user = self.reduce_prompt.render(
                episode=episode,
                parts_json=parts_json(partials, len(chunks)),
                language=lang,
                glossary=self.glossary,
                first=first,
                last=last,
                parts=len(chunks),
                feedback=feedback,
            )
            content: SummaryContent = self.parse(
                system, user, SummaryContent, meter, self.reduce_prompt.version
            )
            return content

        content, self.last_stats = map_reduce(
            chunks,
            map_part,
            reduce_parts,
            lambda c: count_tokens(compact_json(c), self.model),
            self.budget,
            self.settings.llm.concurrency,
            self.model,
        )
        return _finish(
            content,
            episode,
            transcript,
            language,
            self.name,
            self.prompt_version,
            parts=len(chunks),
            repaired=self.last_stats.repaired,
        )

    def parse(
        self,
        system: str,
        user: str,
        schema: type[BaseModel],
        meter: Meter | None,
        prompt_version: str | None = None,
        attempts: int = 2,
    ) -> Any:
        """One structured call. Invalid JSON and output that breaks the rules are retried once with
        the reason; a refusal, a cut-off or a second bad answer raise SummaryRejectedError."""
        import openai  # here, not at the top: only runs that call a model pay its import time

        version = prompt_version or self.prompt_version
        messages: list[dict[str, str]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        problem = "no attempt made"
        for _ in range(attempts):
            started = time.monotonic()
            try:
                with request_slot(self.settings):
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
                        exc.completion.usage if exc.completion is not None else None,
                        started,
                        version,
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
                    meter.chat(self.name, self.model, None, started, version, ok=False, error=str(exc)[:300])
                if _is_invalid_json(exc):
                    problem = f"invalid JSON for the schema ({type(exc).__name__})"
                    messages.append(
                        {
                            "role": "user",
                            "content": "Your last answer was not valid JSON for the schema. Answer again.",
                        }
                    )
                    continue
                raise
            if meter:
                meter.chat(self.name, self.model, completion.usage, started, version)
            choice = completion.choices[0]
            if choice.message.refusal:
                raise SummaryRejectedError(f"the model refused: {choice.message.refusal[:200]}")
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
    data = content.model_dump()
    texts = list(text_values(data))
    for text in texts:
        if "```" in text:
            return "it contains a Markdown code fence"
        if _repeats_itself(text):
            return "it repeats a passage of text"
    # A summary pasted again into another field (quotes are verbatim by design, so they may recur).
    prose = [t for k, v in data.items() if k != "notable_quotes" for t in text_values(v)]
    seen: set[str] = set()
    for text in prose:
        for sentence in set(_sentences(text)):
            if len(sentence) >= 60 and sentence in seen:
                return "the same passage appears in two fields"
        seen.update(_sentences(text))
    return None


def text_values(value: Any) -> Any:
    """Every string inside a dumped model: dict values and list items, at any depth."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from text_values(v)
    elif isinstance(value, list):
        for v in value:
            yield from text_values(v)


def _sentences(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", x).strip().lower() for x in re.split(r"(?<=[.!?])\s+|\n+", text)]


def _repeats_itself(text: str, min_chars: int = 40) -> bool:
    """True when a sentence of some length occurs twice (a summary pasted twice, a looping model)."""
    long_ones = [s for s in _sentences(text) if len(s) >= min_chars]
    return len(long_ones) != len(set(long_ones))


def compact_json(content: BaseModel) -> str:
    """A part summary as the reduce prompt sees it: one line of JSON without empty fields."""
    data = {k: v for k, v in content.model_dump().items() if v not in ("", [], {}, None)}
    return json.dumps(data, ensure_ascii=False)


def parts_json(partials: list[Partial], parts: int) -> str:
    """The part summaries for the reduce prompt: a JSON array, one part per line."""
    lines = [
        json.dumps(
            {
                "part": f"{p.first}" if p.first == p.last else f"{p.first}-{p.last}",
                "of": parts,
                "span": f"{p.start:.0f}-{p.end:.0f} seconds",
                "summary": json.loads(compact_json(p.content)),
            },
            ensure_ascii=False,
        )
        for p in partials
    ]
    return "[\n" + ",\n".join(lines) + "\n]"


def _finish(
    content: SummaryContent,
    episode: Episode,
    transcript: Transcript,
    language: str,
    backend: str,
    prompt_version: str | None,
    parts: int = 1,
    repaired: int = 0,
) -> Summary:
    """Ground the quotes (dropped and counted when the transcript does not hold them) and point every
    takeaway and chapter at the start of the line it falls in."""
    index = TranscriptIndex.build(transcript.segments)
    quotes, dropped = ground_quotes(content.notable_quotes, index)
    data = content.model_dump()
    data["notable_quotes"] = [q.model_dump() for q in quotes]
    data["key_takeaways"] = [t.model_dump() for t in snap_timed(content.key_takeaways, index)]
    data["chapters"] = [
        {"start": t.timestamp, "title": t.text}
        for t in snap_timed([TimedText(text=c.title, timestamp=c.start) for c in content.chapters], index)
    ]
    return Summary(
        **data,
        episode_id=episode.id,
        language=language,
        backend=backend,
        prompt_version=prompt_version,
        dropped_quotes=dropped,
        parts=parts,
        coverage_repairs=repaired,
    )


def make_summarizer(settings: Settings) -> Summarizer:
    if resolve_llm_backend(settings) == "openai":
        return OpenAISummarizer(settings)
    return OfflineSummarizer(sorted(settings.glossary), settings.glossary_types)
