"""A fake OpenAI-compatible API: a real HTTP server on loopback that the real `openai` client talks to.

It answers `/v1/chat/completions` (plain, structured outputs via `response_format`, and tool calls)
and `/v1/audio/transcriptions`, records every request, and can be told to misbehave: fail the next
N requests with a status (429 with retry-after, 500, ...), add latency, refuse, stop for length, or
return invalid JSON. It enforces the real limits of the transcription endpoint: 25 MB per upload
(413) and 1400 s of audio (400), so the chunker is tested against them.

Default answers are derived from the request so flows work without scripting: a structured
summary is filled with sentences copied from the transcript in the prompt (with their [seconds]),
or, when the prompt carries JSON instead (part summaries, tool results), with the values found
there under the same keys; a request offering tools gets a deterministic policy (first every tool
that needs no arguments, then every tool whose arguments the earlier results can fill, then the
answer); and a transcription is the text registered for the uploaded audio's duration (see `speech`).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from tests.fakes.conversation import json_values, key_values, tool_policy, walk

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_AUDIO_SECONDS = 1400


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any
    at: float


@dataclass
class FakeOpenAI:
    """State and switches of the fake; the FastAPI app reads them on every request."""

    requests: list[Recorded] = field(default_factory=list)
    failures: deque[tuple[int, dict[str, str], str | None]] = field(default_factory=deque)
    chat_script: deque[dict[str, Any]] = field(default_factory=deque)
    transcription_script: deque[Any] = field(default_factory=deque)
    chat_latency: float = 0.0
    transcription_latency: float = 0.0
    words_per_second: float = 2.5
    speech: str = "This is the fake transcription of the uploaded audio."
    chat_rules: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    upload_failures: dict[str, list[int]] = field(default_factory=dict)
    echo_key_401: bool = False  # answer 401 quoting the bearer token back, as some upstreams do
    lock: threading.Lock = field(default_factory=threading.Lock)

    # Switches --------------------------------------------------------------------------------------

    def fail_next(
        self, count: int, status: int = 500, retry_after: float | None = None, path: str | None = None
    ) -> None:
        """The next `count` requests (to `path`, if given) answer `status`."""
        headers = {"retry-after-ms": str(int(retry_after * 1000))} if retry_after is not None else {}
        for _ in range(count):
            self.failures.append((status, headers, path))

    def fail_upload(self, name_part: str, count: int, status: int = 500) -> None:
        """The next `count` transcription uploads whose file name contains `name_part` answer `status`
        (a window of a long episode failing while the others go through)."""
        with self.lock:
            self.upload_failures.setdefault(name_part, []).extend([status] * count)

    def script_chat(self, *responses: dict[str, Any]) -> None:
        """Queue chat answers: {"content": str} | {"tool_calls": [...]} | {"refusal": str} |
        {"finish_reason": "length", "content": str} | {"json": obj} (content as JSON)."""
        self.chat_script.extend(responses)

    def script_chat_when(self, substring: str, response: dict[str, Any]) -> None:
        """Answer every chat request whose messages contain `substring` with `response` (same forms as
        `script_chat`), whatever order requests arrive in: e.g. refuse every part holding a phrase."""
        self.chat_rules.append((substring, response))

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.failures.clear()
            self.chat_script.clear()
            self.transcription_script.clear()
            self.chat_rules.clear()
            self.in_flight = self.max_in_flight = 0
            self.upload_failures.clear()
            self.echo_key_401 = False
        self.chat_latency = self.transcription_latency = 0.0

    def _chat_answer(self, body: dict[str, Any]) -> dict[str, Any] | None:
        text = json.dumps(body.get("messages", []), ensure_ascii=False)
        with self.lock:
            for substring, response in self.chat_rules:
                if substring in text:
                    return response
            return self.chat_script.popleft() if self.chat_script else None

    # Views -----------------------------------------------------------------------------------------

    def calls(self, path_part: str) -> list[Recorded]:
        return [r for r in self.requests if path_part in r.path]

    def _take_upload_failure(self, filename: str) -> int | None:
        with self.lock:
            for part, statuses in self.upload_failures.items():
                if part in filename and statuses:
                    return statuses.pop(0)
        return None

    def _take_failure(self, path: str) -> tuple[int, dict[str, str]] | None:
        with self.lock:
            for i, (status, headers, only) in enumerate(self.failures):
                if only is None or only in path:
                    del self.failures[i]
                    return status, headers
        return None


def _error(
    status: int, message: str, headers: dict[str, str] | None = None, code: str = "fake_error"
) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": "invalid_request_error", "code": code}},
        status_code=status,
        headers=headers,
    )


def _duration(data: bytes) -> float:
    """Seconds of audio, read from the container by ffmpeg (as the real service must)."""
    import imageio_ffmpeg

    proc = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", "pipe:0"],
        input=data,
        capture_output=True,
        timeout=60,
        check=False,
    )
    match = re.search(rb"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)", proc.stderr)
    if match:
        h, m, s = match.groups()
        return int(h) * 3600 + int(m) * 60 + float(s)
    # Streams without a duration in the header (e.g. piped mp3): decode.
    proc = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", "pipe:0", "-f", "null", "-"],
        input=data,
        capture_output=True,
        timeout=120,
        check=False,
    )
    times = re.findall(rb"time=(\d+):(\d+):(\d+(?:\.\d+)?)", proc.stderr)
    if not times:
        return -1.0
    h, m, s = times[-1]
    return int(h) * 3600 + int(m) * 60 + float(s)


def create_app(state: FakeOpenAI) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def record_and_fail(request: Request, call_next: Any) -> Any:
        if state.echo_key_401:
            state.requests.append(
                Recorded(request.url.path, dict(request.headers), {"_failed": 401}, time.time())
            )
            given = request.headers.get("authorization", "")
            return _error(401, f"Incorrect API key provided: {given}", code="invalid_api_key")
        failure = state._take_failure(request.url.path)
        if failure:
            body = await request.body()
            state.requests.append(
                Recorded(
                    request.url.path,
                    dict(request.headers),
                    {"_failed": failure[0], "_size": len(body)},
                    time.time(),
                )
            )
            return _error(failure[0], f"injected {failure[0]}", failure[1])
        return await call_next(request)

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        body = await request.json()
        state.requests.append(Recorded(request.url.path, dict(request.headers), body, time.time()))
        with state.lock:
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            if state.chat_latency:
                await asyncio.sleep(state.chat_latency)
            return JSONResponse(chat_response(body, state._chat_answer(body)))
        finally:
            with state.lock:
                state.in_flight -= 1

    @app.post("/v1/audio/transcriptions")
    async def transcriptions(request: Request) -> Any:
        form = await request.form()
        upload = form.get("file")
        data = await upload.read() if upload is not None and hasattr(upload, "read") else b""
        fields = {k: v for k, v in form.items() if k != "file"}
        filename = str(getattr(upload, "filename", None) or "")
        recorded = Recorded(
            request.url.path,
            dict(request.headers),
            {**fields, "_size": len(data), "_filename": filename or None},
            time.time(),
        )
        state.requests.append(recorded)
        injected = state._take_upload_failure(filename)
        if injected is not None:
            recorded.body["_failed"] = injected
            return _error(injected, f"injected {injected} for {filename}")
        if len(data) > MAX_UPLOAD_BYTES:
            return _error(
                413,
                f"Maximum content size limit ({MAX_UPLOAD_BYTES}) exceeded ({len(data)} bytes read)",
                code="request_too_large",
            )
        duration = await asyncio.to_thread(_duration, data)
        recorded.body["_duration"] = duration
        if duration < 0:
            return _error(400, "Audio file might be corrupted or unsupported", code="invalid_value")
        if duration > MAX_AUDIO_SECONDS:
            return _error(
                400,
                f"audio duration {duration:.1f} seconds is longer than {MAX_AUDIO_SECONDS} seconds "
                "which is the maximum for this model",
                code="invalid_value",
            )
        if state.transcription_latency:
            await asyncio.sleep(state.transcription_latency)
        text = state.transcription_script.popleft() if state.transcription_script else state.speech
        return transcription_response(str(text), duration, str(fields.get("response_format", "json")))

    @app.get("/v1/models")
    async def models(request: Request) -> Any:
        state.requests.append(Recorded(request.url.path, dict(request.headers), None, time.time()))
        return {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "owned_by": "fake"}]}

    return app


_LABEL = re.compile(r"^([A-Z][\w'-]*(?: [A-Z][\w'-]*)?):\s+")


def _diarize(sentences: list[str]) -> tuple[list[str], list[str]]:
    """Sentences without their `Name:` labels, and a diarizer's letter per sentence (A, B, ...)."""
    letters: dict[str, str] = {}
    out, who, current = [], [], "A"
    for sentence in sentences:
        if match := _LABEL.match(sentence):
            current = letters.setdefault(match.group(1), chr(ord("A") + len(letters)))
            sentence = sentence[match.end() :]
        out.append(sentence)
        who.append(current)
    return out, who


def transcription_response(text: str, duration: float, fmt: str) -> Any:
    if fmt == "text":
        return PlainTextResponse(text)
    if fmt not in ("verbose_json", "diarized_json"):
        return {"text": text, "usage": {"type": "duration", "seconds": round(duration)}}
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    speakers = ["A"] * len(sentences)
    if fmt == "diarized_json":
        # gpt-4o-transcribe-diarize labels turns "A", "B", ...: a script line "Name: words" is that
        # speaker's turn (the label is not spoken), and a turn holds until the next label.
        sentences, speakers = _diarize(sentences)
        text = " ".join(sentences)
    total = sum(len(s) for s in sentences) or 1
    segments, at = [], 0.0
    for i, sentence in enumerate(sentences):
        length = duration * len(sentence) / total
        segments.append(
            {
                "id": i,
                "start": round(at, 2),
                "end": round(at + length, 2),
                "text": " " + sentence,
                "seek": 0,
                "tokens": [],
                "temperature": 0.0,
                "avg_logprob": -0.2,
                "compression_ratio": 1.2,
                "no_speech_prob": 0.01,
                **(
                    {"id": f"seg_{i}", "speaker": speakers[i], "type": "transcript.text.segment"}
                    if fmt == "diarized_json"
                    else {}
                ),
            }
        )
        at += length
    if fmt == "diarized_json":
        return {
            "text": text,
            "segments": segments,
            "duration": duration,
            "task": "transcribe",
            "usage": {"type": "duration", "seconds": round(duration)},
        }
    return {
        "task": "transcribe",
        "language": "english",
        "duration": duration,
        "text": text,
        "segments": segments,
    }


def chat_response(body: dict[str, Any], scripted: dict[str, Any] | None) -> dict[str, Any]:
    messages = body.get("messages", [])
    prompt_text = " ".join(str(m.get("content") or "") for m in messages)
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
    finish = "stop"
    if scripted is not None:
        if "tool_calls" in scripted:
            message["tool_calls"] = [
                {
                    "id": call.get("id") or f"call_{uuid.uuid4().hex[:8]}",
                    "type": "function",
                    "function": {"name": call["name"], "arguments": json.dumps(call.get("arguments", {}))},
                }
                for call in scripted["tool_calls"]
            ]
            finish = "tool_calls"
        elif "refusal" in scripted:
            message["refusal"] = scripted["refusal"]
        elif "json" in scripted:
            message["content"] = json.dumps(scripted["json"])
        else:
            message["content"] = scripted.get("content", "")
        finish = scripted.get("finish_reason", finish)
    elif body.get("tools") and body.get("tool_choice") != "none" and (calls := tool_policy(body)):
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:8]}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            for name, arguments in calls
        ]
        finish = "tool_calls"
    else:
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            message["content"] = json.dumps(fill_schema(fmt["json_schema"]["schema"], prompt_text))
        else:
            message["content"] = "OK"
    completion_tokens = max(1, len(str(message.get("content") or "")) // 4)
    prompt_tokens = max(1, len(prompt_text) // 4)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "gpt-4o-mini"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


# Schema filling: a plausible, valid answer built from the transcript lines in the prompt ----------------

_LINE = re.compile(r"^\[(\d+(?:\.\d+)?)\]\s*(.+)$", re.MULTILINE)
MAX_POOLED_ITEMS = 64


def _transcript_lines(prompt: str) -> list[tuple[float, str]]:
    return [(float(t), text.strip()) for t, text in _LINE.findall(prompt)]


def _timed_pairs(prompt: str) -> list[tuple[float, str]]:
    """(timestamp, text) of every JSON object in the prompt that has both, e.g. part summaries'
    takeaways and quotes."""
    pairs = []
    for value in json_values(prompt):
        for obj in walk(value):
            if isinstance(obj.get("text"), str) and isinstance(obj.get("timestamp"), int | float):
                pairs.append((float(obj["timestamp"]), obj["text"]))
    return pairs


def fill_schema(schema: dict[str, Any], prompt: str) -> Any:
    lines = (
        _transcript_lines(prompt) or _timed_pairs(prompt) or [(0.0, "The episode discussed several topics.")]
    )
    pools = key_values(prompt)
    chapters = [
        (float(o["start"]), str(o["title"]))
        for v in json_values(prompt)
        for o in walk(v)
        if isinstance(o.get("start"), int | float) and isinstance(o.get("title"), str)
    ]
    defs = schema.get("$defs", {})
    counter = {"prose": 0, "timed": 0, "chapter": 0}
    used: dict[str, int] = {}

    def next_line(kind: str = "prose") -> tuple[float, str]:
        """Timed items (quotes, takeaways) copy lines verbatim; prose says it in its own words, so
        no sentence appears in two fields. Out of material, it varies rather than repeats."""
        i = counter[kind]
        counter[kind] += 1
        t, text = lines[i % len(lines)]
        if kind == "prose":
            text = f"In short: {text}"
        if i >= len(lines):
            text = f"Point {i}: {text}"
        return t, text

    def pooled(name: str) -> Any:
        values = list(dict.fromkeys(pools[name]))
        i = used.get(name, 0)
        used[name] = i + 1
        return values[i % len(values)]

    def item_count(node: dict[str, Any], name: str) -> int:
        """As many items as the prompt has material for (part chapters, episodes), else two."""
        item = resolve(node.get("items", {}))
        props = item.get("properties", {})
        if set(props) >= {"start", "title"} and chapters:
            return min(MAX_POOLED_ITEMS, len(chapters))
        keyed = [k for k in props if k.endswith("_id") and pools.get(k)]
        if keyed:
            return min(MAX_POOLED_ITEMS, len(set(pools[keyed[0]])))
        return 2 if name not in ("people", "companies", "products") else 1

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = defs[node["$ref"].split("/")[-1]]
        if "anyOf" in node:
            node = next(n for n in node["anyOf"] if n.get("type") != "null")
            return resolve(node)
        return node

    def build(node: dict[str, Any], name: str = "") -> Any:
        node = resolve(node)
        kind = node.get("type")
        if kind == "object":
            props = node.get("properties", {})
            if set(props) >= {"text", "timestamp"}:
                t, text = next_line("timed")
                return {
                    "text": text,
                    "timestamp": t,
                    **{k: build(v, k) for k, v in props.items() if k not in ("text", "timestamp")},
                }
            if set(props) >= {"start", "title"}:
                if chapters:
                    t, title = chapters[counter["chapter"] % len(chapters)]
                    counter["chapter"] += 1
                else:
                    t, text = next_line()
                    title = " ".join(text.split()[:5])
                return {
                    "start": t,
                    "title": title,
                    **{k: build(v, k) for k, v in props.items() if k not in ("start", "title")},
                }
            return {key: build(value, key) for key, value in props.items()}
        if kind == "array":
            return [build(node.get("items", {}), name) for _ in range(item_count(node, name))]
        if kind == "string":
            if "enum" in node:
                return node["enum"][0]
            if name.endswith("_id") and pools.get(name):
                return pooled(name)
            if name in ("people",):
                return "Ada Lovelace"
            if name in ("companies",):
                return "Example Labs"
            if name in ("products", "name"):
                return "Example Tool"
            return next_line()[1]
        if kind in ("number", "integer"):
            return next_line()[0] if kind == "number" else int(next_line()[0])
        if kind == "boolean":
            return True
        return None

    return build(schema)


class FakeOpenAIServer:
    """Runs the fake on 127.0.0.1 in a background thread: `with FakeOpenAIServer() as fake: fake.base_url`."""

    def __init__(self, port: int = 0):
        self.state = FakeOpenAI()
        self.port = port or _free_port()
        config = uvicorn.Config(
            create_app(self.state),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            limit_concurrency=256,
            timeout_keep_alive=30,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="fake-openai")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __getattr__(self, name: str) -> Any:
        if name == "state":
            raise AttributeError(name)
        return getattr(self.state, name)

    def __setattr__(self, name: str, value: Any) -> None:
        # Switches like `fake.chat_latency = 2` belong to the shared state the app reads.
        if name != "state" and "state" in self.__dict__ and hasattr(self.state, name):
            setattr(self.state, name, value)
        else:
            super().__setattr__(name, value)

    def start(self) -> FakeOpenAIServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake OpenAI server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":  # handy for trying newsroom against it by hand
    import sys

    server = FakeOpenAIServer(int(sys.argv[1]) if len(sys.argv) > 1 else 8765).start()
    print(f"fake OpenAI API on {server.base_url}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
