"""Map-reduce summaries of a 3-hour transcript against the fake OpenAI server at a fixed latency.

    uv run python -m bench mapreduce

- Wall time against the critical path: one map wave per concurrency slot plus the reduce depth, in
  units of one call's round trip measured in the same run (PASS within 1.5x).
- Tokens sent per hour of transcript (counted offline with the model's tokenizer: messages plus the
  response schema), against the transcript's own tokens.
- Estimated dollars per hour of audio at the default settings and prices, for the captions path
  (summary only) and the speech-to-text path (plus the default transcription model), and for the
  editor agent per issue.
"""

from __future__ import annotations

import json
import math
import random
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.common import Table, ratio, verdict
from newsroom.config import Settings, load_settings
from newsroom.models import Episode, Segment, SummaryContent, Transcript
from newsroom.openai_api import audio_cost, chat_cost, make_client
from newsroom.tokens import count_tokens

LATENCY = 1.0  # seconds per chat call at the fake server
HOURS = 3.0
WORDS = [
    "model",
    "agent",
    "data",
    "training",
    "voice",
    "podcast",
    "listener",
    "company",
    "startup",
    "release",
    "version",
    "open",
    "source",
    "benchmark",
    "laptop",
    "privacy",
    "election",
    "deepfake",
    "regulation",
    "europe",
    "chip",
    "cloud",
    "cost",
    "token",
    "context",
    "prompt",
    "workflow",
    "assistant",
    "search",
    "music",
    "video",
    "image",
    "code",
    "review",
    "team",
    "customer",
    "email",
    "calendar",
    "meeting",
    "product",
    "launch",
    "research",
    "paper",
    "safety",
    "test",
]
GLUE = [
    "the",
    "a",
    "we",
    "you",
    "they",
    "it",
    "is",
    "was",
    "and",
    "but",
    "so",
    "that",
    "this",
    "with",
    "for",
    "on",
    "in",
    "of",
    "to",
    "about",
    "really",
    "just",
]


def transcript(hours: float = HOURS, seed: int = 7) -> Transcript:
    """A talk show: 150 words a minute in 6-second segments, varied enough to read like speech."""
    rng = random.Random(seed)
    segments = []
    for i in range(int(hours * 3600 / 6)):
        words = [rng.choice(WORDS if rng.random() < 0.45 else GLUE) for _ in range(15)]
        text = " ".join(words).capitalize() + f", point {i}."
        segments.append(Segment(start=i * 6.0, end=i * 6.0 + 5.8, text=text))
    return Transcript(episode_id="bench", provenance="captions", backend="captions:vtt", segments=segments)


def episode(eid: str = "bench") -> Episode:
    return Episode(
        id=eid,
        source_id="b",
        source_name="Bench FM",
        kind="podcast",
        title=f"A {HOURS:.0f} hour show",
        url=f"https://example.org/{eid}",
        media_url=f"https://example.org/{eid}.mp3",
    )


def settings(base_url: str, folder: Path, llm: str = "") -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "newsroom.toml"
    path.write_text(f'library = "{folder / "library"}"\n[llm]\nbase_url = "{base_url}"\n{llm}\n')
    return load_settings(path)


def sent_tokens(bodies: list[dict[str, Any]], model: str) -> int:
    """Input tokens of the recorded requests: messages, response schema and tool definitions."""
    tokens_in = 0
    for body in bodies:
        tokens_in += count_tokens(json.dumps([m.get("content") or "" for m in body["messages"]]), model)
        if body.get("response_format"):
            tokens_in += count_tokens(json.dumps(body["response_format"]), model)
        if body.get("tools"):
            tokens_in += count_tokens(json.dumps(body["tools"]), model)
    return tokens_in


def round_trip(cfg: Settings) -> float:
    """One chat call's wall time at this latency: the unit of the critical path."""
    client = make_client(cfg.llm)
    best = math.inf
    for _ in range(3):
        started = time.perf_counter()
        client.chat.completions.create(model=cfg.llm.model, messages=[{"role": "user", "content": "hi"}])
        best = min(best, time.perf_counter() - started)
    return best


def run() -> Table:
    from newsroom.newsletter.editor import draft_issue
    from newsroom.summaries.summarizer import OpenAISummarizer
    from tests.fakes.openai_server import FakeOpenAIServer

    table = Table(
        name="mapreduce",
        title=f"Map-reduce over a {HOURS:.0f}-hour transcript (fake server, {LATENCY:.1f} s per call)",
        columns=["measure", "value", "baseline", "ratio / verdict"],
    )
    show = transcript()
    model = "gpt-4o-mini"
    transcript_tokens = sum(count_tokens(f"[{s.start:.0f}] {s.text}", model) + 1 for s in show.segments)
    table.add(
        "transcript", f"{len(show.segments)} segments, {transcript_tokens:,} tokens", f"{HOURS:.0f} h", ""
    )
    with FakeOpenAIServer() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.chat_latency = LATENCY
        unit = round_trip(settings(fake.base_url, Path(tmp)))
        table.add("one call's round trip", f"{unit:.2f} s", f"{LATENCY:.2f} s latency", ratio(unit, LATENCY))
        defaults = None
        for label, extra in (("default", ""), ("chunk_tokens = 3000", "chunk_tokens = 3000")):
            fake.reset()
            fake.chat_latency = LATENCY
            cfg = settings(fake.base_url, Path(tmp) / label.replace(" ", ""), extra)
            summarizer = OpenAISummarizer(cfg)
            started = time.perf_counter()
            summary = summarizer.summarize(episode(), show, "en")
            wall = time.perf_counter() - started
            stats = summarizer.last_stats
            waves = math.ceil(stats.map_calls / cfg.llm.concurrency)
            critical = (waves + stats.reduce_depth) * unit
            table.add(
                f"{label}: wall time ({stats.map_calls} maps in {waves} wave(s) of {cfg.llm.concurrency}, "
                f"reduce depth {stats.reduce_depth}, {stats.reduce_calls} reduce call(s))",
                f"{wall:.2f} s",
                f"critical path {critical:.2f} s",
                f"{ratio(wall, critical)} {verdict(wall <= 1.5 * critical)}",
            )
            assert summary.parts == stats.parts and summary.coverage_repairs == 0
            bodies = [r.body for r in fake.calls("/chat/completions")]
            tokens_in = sent_tokens(bodies, model)
            answers = count_tokens(summary.model_dump_json(include=set(SummaryContent.model_fields)), model)
            if defaults is None:
                defaults = (cfg, tokens_in, len(bodies), answers)
            table.add(
                f"{label}: tokens sent per hour of transcript",
                f"{tokens_in / HOURS:,.0f}",
                f"{transcript_tokens / HOURS:,.0f} transcript",
                ratio(tokens_in, transcript_tokens),
            )

        assert defaults is not None
        cfg, tokens_in, calls, answer_tokens = defaults
        # Output tokens: each call answers with a summary about the size of the final one.
        tokens_out = calls * answer_tokens
        llm_per_hour = chat_cost(cfg.prices, cfg.llm.model, tokens_in, tokens_out) / HOURS
        stt_model = cfg.transcription.openai_model
        stt_per_hour = audio_cost(cfg.prices, stt_model, 3600)
        table.add(
            f"$ per hour of audio, captions path (summary, {cfg.llm.model})",
            f"${llm_per_hour:.4f}",
            f"{tokens_in / HOURS:,.0f} in + {tokens_out / HOURS:,.0f} out tokens/h",
            "",
        )
        table.add(
            f"$ per hour of audio, speech-to-text path (+ {stt_model})",
            f"${llm_per_hour + stt_per_hour:.4f}",
            f"speech-to-text ${stt_per_hour:.4f}",
            ratio(llm_per_hour + stt_per_hour, llm_per_hour),
        )

        # The editor agent over a week of three one-hour episodes.
        fake.reset()
        fake.chat_latency = 0.0
        cfg = settings(fake.base_url, Path(tmp) / "editor")
        hour = transcript(1.0)
        stories, transcripts = [], {}
        for i in range(3):
            ep = episode(f"bench-{i}")
            t = hour.model_copy(update={"episode_id": ep.id})
            stories.append((ep, OpenAISummarizer(cfg).summarize(ep, t, "en")))
            transcripts[ep.id] = t
        fake.reset()
        draft = draft_issue(cfg, stories, transcripts, date(2026, 11, 22))
        bodies = [r.body for r in fake.calls("/chat/completions")]
        editor_in = sent_tokens(bodies, model)
        editor_out = count_tokens(draft.newsletter.model_dump_json(), model) * 2
        editor_cost = chat_cost(cfg.prices, cfg.llm.model, editor_in, editor_out)
        table.add(
            f"$ per issue, editor agent (3 episodes, {len(bodies)} calls, {len(draft.trace)} tool calls)",
            f"${editor_cost:.4f}",
            f"{editor_in:,} in + {editor_out:,} out tokens",
            "",
        )
    table.notes += [
        "Critical path = (map waves + reduce depth) x one call's round trip measured in the same run.",
        "Input tokens are counted offline (bpe-openai o200k) over the messages, the response schema and "
        "the tool definitions actually sent; output tokens are estimated as one final-summary-sized "
        "answer per call (the fake server's answers are not a model's).",
        "Prices from the default [prices] table: gpt-4o-mini $0.15/$0.60 per 1M tokens, "
        "gpt-4o-mini-transcribe $0.003/min. The local path (tiny.en + extractive) costs $0.",
    ]
    return table
