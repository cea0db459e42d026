"""The newsletter editor agent: OpenAI function calling over the week's summaries and transcripts.

The model gets three tools (list the week's episodes, read a summary, search the transcripts) and
answers with an `EditorDraft` (structured output): the stories it chose, in its order, with an intro
and a blurb per story, each pinned to a second in its source. It never writes a link, an address or
a recipient: links are built from the episode and the second by our code (see `newsroom.newsletter.editor`),
so text in a transcript cannot redirect readers whatever the model makes of it. Tool results are
data, sent in `tool` messages; the run is bounded in steps, tokens and time, and every tool call is
recorded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationError

from newsroom import search
from newsroom.config import Settings
from newsroom.models import Episode, Model, Summary, ToolCallRecord, Transcript
from newsroom.openai_api import Meter, request_slot
from newsroom.prompts import Prompt
from newsroom.store import Store
from newsroom.tokens import count_tokens

if TYPE_CHECKING:  # openai takes ~1.5 s to import: only runs that call the agent load it
    import openai
    from openai.types.shared_params import ResponseFormatJSONSchema

# What the model fills in. No URL, address or recipient anywhere: those are never the model's to write.


class DraftHighlight(Model):
    text: str = Field(description="One point from the episode, in the newsletter language.")
    timestamp: float = Field(description="Second in that episode where it is said.")


class DraftStory(Model):
    episode_id: str = Field(description="An episode_id from list_episodes.")
    headline: str
    blurb: str = Field(description="Two to four sentences in the newsletter language.")
    timestamp: float = Field(description="Second in the episode where the story is discussed.")
    highlights: list[DraftHighlight] = Field(description="One to three points, each with its second.")


class EditorDraft(Model):
    """The newsletter issue: intro, the chosen stories in order, and a closing line."""

    intro: str = Field(description="Two or three sentences introducing this issue.")
    stories: list[DraftStory]
    outro: str = Field(description="One closing sentence.")


# The tools ------------------------------------------------------------------------------------------


class ListEpisodes(Model):
    """List this week's episodes: episode_id, title, source, date, length in minutes and main topic."""


class ReadSummary(Model):
    """Read one episode's structured summary: themes, main topic, use cases, tools, news, key takeaways
    and quotes with their seconds, chapters and named entities."""

    episode_id: str = Field(description="An episode_id from list_episodes.")


class SearchTranscripts(Model):
    """Search this week's transcripts for words or a quote. Returns matching lines with their
    episode_id and second, best matches first."""

    query: str = Field(description="Words or a phrase to look for.")
    episode_id: str | None = Field(description="Only this episode, or null for all of them.")


TOOL_MODELS: dict[str, type[Model]] = {
    "list_episodes": ListEpisodes,
    "read_summary": ReadSummary,
    "search_transcripts": SearchTranscripts,
}


@cache
def tools_and_format() -> tuple[list[Any], ResponseFormatJSONSchema]:
    """The tools' function schemas and the EditorDraft response format, built once."""
    import openai

    tools = [openai.pydantic_function_tool(m, name=name) for name, m in TOOL_MODELS.items()]
    schema = openai.pydantic_function_tool(EditorDraft)["function"]["parameters"]
    return tools, {
        "type": "json_schema",
        "json_schema": {"name": "EditorDraft", "strict": True, "schema": schema},
    }


class EditorTools:
    """The week's material, read-only, as the agent's tools see it."""

    def __init__(
        self, stories: list[tuple[Episode, Summary]], transcripts: dict[str, Transcript], store: Store
    ):
        self.episodes = {e.id: e for e, _ in stories}
        self.summaries = {e.id: s for e, s in stories}
        self.transcripts = transcripts
        self.store = store
        # The library's search index serves the searches. A transcript it lacks (a library from
        # before the index, or one indexed from another version of it) is indexed now.
        with store.connect() as db:
            have = search.indexed_segments(db, transcripts)
            for eid, transcript in transcripts.items():
                if have.get(eid, 0) != sum(1 for s in transcript.segments if s.text.strip()):
                    search.index_transcript(db, transcript)

    def list_episodes(self) -> list[dict[str, Any]]:
        return [
            {
                "episode_id": e.id,
                "title": e.title,
                "source": e.source_name,
                "published": e.published.date().isoformat() if e.published else None,
                "minutes": round((e.duration or self._duration(e.id)) / 60, 1),
                "main_topic": self.summaries[e.id].main_topic[:400],
                # The publisher's own words on the episode: the blurb should cover them.
                "description": e.description[:400],
            }
            for e in self.episodes.values()
        ]

    def read_summary(self, episode_id: str) -> dict[str, Any]:
        summary = self.summaries.get(episode_id)
        if summary is None:
            raise LookupError(f"unknown episode_id {episode_id!r}; call list_episodes for the ids")
        data = summary.model_dump(
            exclude={"episode_id", "backend", "prompt_version", "dropped_quotes", "parts", "coverage_repairs"}
        )
        return {"episode_id": episode_id, "title": self.episodes[episode_id].title, **data}

    def search_transcripts(
        self, query: str, episode_id: str | None = None, limit: int = 8
    ) -> list[dict[str, Any]]:
        if episode_id is not None and episode_id not in self.transcripts:
            raise LookupError(f"unknown episode_id {episode_id!r}; call list_episodes for the ids")
        with self.store.connect() as db:
            hits = search.search(
                db,
                query,
                episode_ids=[episode_id] if episode_id else list(self.transcripts),
                kinds=[search.SEGMENT],
                limit=limit,
            )
        return [
            {"episode_id": h.episode_id, "timestamp": h.seconds, "text": h.text}
            | ({"speaker": h.speaker} if h.speaker else {})
            for h in hits
        ]

    def call(self, name: str, arguments: str) -> Any:
        """Run one tool call from the model; bad input raises with a message the model can act on."""
        schema = TOOL_MODELS.get(name)
        if schema is None:
            raise LookupError(f"no tool {name!r}; the tools are {', '.join(TOOL_MODELS)}")
        args = schema.model_validate_json(arguments or "{}")
        if isinstance(args, ReadSummary):
            return self.read_summary(args.episode_id)
        if isinstance(args, SearchTranscripts):
            return self.search_transcripts(args.query, args.episode_id)
        return self.list_episodes()

    def _duration(self, episode_id: str) -> float:
        transcript = self.transcripts.get(episode_id)
        return transcript.duration if transcript else 0.0


class AgentFailedError(Exception):
    """The agent produced no usable newsletter (error, refusal, invalid output or budget spent)."""


@dataclass
class AgentRun:
    draft: EditorDraft | None = None
    trace: list[ToolCallRecord] = field(default_factory=list)
    steps: int = 0
    tokens: int = 0
    cost_usd: float = 0.0


def run_editor(
    settings: Settings,
    client: openai.OpenAI,
    prompt: Prompt,
    tools: EditorTools,
    variables: dict[str, Any],
    meter: Meter | None = None,
    on_tool_call: Callable[[ToolCallRecord], None] | None = None,
    run: AgentRun | None = None,
) -> AgentRun:
    """Let the model call tools until it answers with an EditorDraft, within the configured budget.
    Raises AgentFailedError (with `run` holding the trace so far) when it does not get there."""
    import openai

    tool_schemas, response_format = tools_and_format()
    limits = settings.editor
    model = settings.llm.editor_model or settings.llm.model
    run = run if run is not None else AgentRun()
    system, user = prompt.render(**variables)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system},
        {"role": "user", "content": user},
    ]
    deadline = time.monotonic() + limits.timeout_seconds
    while True:
        if run.steps >= limits.max_steps:
            raise AgentFailedError(f"ran out of steps ({limits.max_steps}) before answering")
        # The next request's prompt counts before it is sent, so the budget is never overrun by more
        # than one answer.
        upcoming = count_tokens(json.dumps(messages, ensure_ascii=False), model)
        if run.tokens + upcoming > limits.max_tokens:
            raise AgentFailedError(
                f"ran out of tokens ({run.tokens} used, {upcoming} more needed, budget {limits.max_tokens})"
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AgentFailedError(f"ran out of time ({limits.timeout_seconds:.0f} s)")
        run.steps += 1
        last = run.steps == limits.max_steps
        # The last step may not call tools: it must answer.
        choice_mode: Literal["none", "auto"] = "none" if last else "auto"
        started = time.monotonic()
        try:
            with request_slot(settings):
                completion = client.chat.completions.create(
                    model=model,
                    messages=messages,  # type: ignore[arg-type]
                    tools=tool_schemas,
                    tool_choice=choice_mode,
                    response_format=response_format,
                    temperature=settings.llm.temperature,
                    timeout=remaining,
                )
        except openai.APITimeoutError as exc:
            _meter(meter, model, None, started, prompt, run, error="timeout")
            raise AgentFailedError(f"ran out of time ({limits.timeout_seconds:.0f} s)") from exc
        except openai.OpenAIError as exc:
            _meter(meter, model, None, started, prompt, run, error=str(exc)[:300])
            raise AgentFailedError(f"the model call failed: {type(exc).__name__}: {str(exc)[:200]}") from exc
        _meter(meter, model, completion.usage, started, prompt, run)
        choice = completion.choices[0]
        message = choice.message
        if message.refusal:
            raise AgentFailedError(f"the model refused: {message.refusal[:200]}")
        if choice.finish_reason == "length":
            raise AgentFailedError("the model's answer was cut off (finish_reason=length)")
        if message.tool_calls:
            messages.append(message.model_dump(exclude_none=True, include={"role", "content", "tool_calls"}))
            for call in message.tool_calls:
                name = getattr(getattr(call, "function", None), "name", "?")
                arguments = getattr(getattr(call, "function", None), "arguments", "") or ""
                content = _run_tool(tools, run, name, arguments, on_tool_call)
                messages.append({"role": "tool", "tool_call_id": call.id, "content": content})
            continue
        try:
            run.draft = EditorDraft.model_validate_json(message.content or "")
        except ValidationError as exc:
            if last:
                raise AgentFailedError(f"the answer was not a valid newsletter: {_first_error(exc)}") from exc
            messages.append({"role": "assistant", "content": message.content or ""})
            messages.append(
                {
                    "role": "user",
                    "content": f"That answer is not valid for the schema ({_first_error(exc)}). Answer again.",
                }
            )
            continue
        return run


def _run_tool(
    tools: EditorTools,
    run: AgentRun,
    name: str,
    arguments: str,
    on_tool_call: Callable[[ToolCallRecord], None] | None,
) -> str:
    """Run one call and record it; a failure goes back to the model as an error it can act on."""
    started = time.monotonic()
    try:
        parsed_args = json.loads(arguments or "{}")
    except ValueError:
        parsed_args = {"_raw": arguments[:200]}
    record = ToolCallRecord(
        step=run.steps, tool=name, arguments=parsed_args if isinstance(parsed_args, dict) else {}
    )
    try:
        content = json.dumps({"result": tools.call(name, arguments)}, ensure_ascii=False)
    except (LookupError, ValidationError, ValueError) as exc:
        record.ok, record.error = False, _first_error(exc) if isinstance(exc, ValidationError) else str(exc)
        content = json.dumps({"error": record.error}, ensure_ascii=False)
    record.result_chars = len(content)
    record.seconds = round(time.monotonic() - started, 4)
    run.trace.append(record)
    if on_tool_call:
        on_tool_call(record)
    return content


def _meter(
    meter: Meter | None,
    model: str,
    usage: Any,
    started: float,
    prompt: Prompt,
    run: AgentRun,
    error: str | None = None,
) -> None:
    if usage is not None:
        run.tokens += int(getattr(usage, "total_tokens", 0) or 0)
    if meter is not None:
        run.cost_usd += meter.chat(
            f"openai:{model}", model, usage, started, prompt.version, ok=error is None, error=error
        )


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}"
    return str(exc)[:200]
