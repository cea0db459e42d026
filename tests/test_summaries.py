"""Episode summaries: token-budgeted map-reduce over long transcripts, through the real `openai`
client against the fake server (structured outputs, refusals, `length`, invalid JSON, 429 bursts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsroom.config import Settings, load_settings
from newsroom.models import Episode, Segment, SummaryContent, Transcript
from newsroom.openai_api import Meter
from newsroom.store import Store
from newsroom.summaries.grounding import TranscriptIndex
from newsroom.summaries.mapreduce import Chunk, halve, missing_parts, plan_chunks, split_segment
from newsroom.summaries.summarizer import OpenAISummarizer, SummaryRejectedError, output_problem
from newsroom.tokens import count_tokens
from tests.conftest import write_config

TOPICS = ["agents", "speech models", "chips", "regulation", "music", "robots", "search", "privacy"]


def long_transcript(hours: float = 3.0, every: float = 6.0, marker_at: float | None = None) -> Transcript:
    """A show of `hours` with a distinct sentence every `every` seconds."""
    segments = []
    for i in range(int(hours * 3600 / every)):
        t = i * every
        topic = TOPICS[(i // 150) % len(TOPICS)]
        text = f"At minute {t / 60:.1f} the hosts talk about {topic}, example number {i} of the show."
        if marker_at is not None and t == marker_at:
            text = "FORBIDDEN-MARKER this line makes the model refuse."
        segments.append(Segment(start=t, end=t + every - 0.5, text=text))
    return Transcript(episode_id="pod-long", provenance="captions", backend="captions:vtt", segments=segments)


def episode(kind: str = "podcast", **extra) -> Episode:
    return Episode(
        id="pod-long",
        source_id="s",
        source_name="Long FM",
        kind=kind,
        title="A three hour special",
        url="https://example.org/long",
        media_url="https://example.org/long.mp3",
        **extra,
    )


def settings_for(tmp_path: Path, base_url: str, llm: str = "", top: str = "") -> Settings:
    return load_settings(
        write_config(tmp_path, f'{top}\n[llm]\nbase_url = "{base_url}"\nmax_retries = 3\n{llm}\n')
    )


def map_requests(fake) -> list[dict]:
    return [
        r.body
        for r in fake.calls("/chat/completions")
        if "_failed" not in r.body and "<transcript>" in r.body["messages"][-1]["content"]
    ]


def reduce_requests(fake) -> list[dict]:
    return [r.body for r in fake.calls("/chat/completions") if "<parts>" in str(r.body.get("messages"))]


# Planning (pure) --------------------------------------------------------------------------------------


def test_chunks_are_cut_between_segments_within_the_budget_and_balanced():
    transcript = long_transcript()
    chunks = plan_chunks(transcript.segments, 4000)
    assert len(chunks) > 5
    assert all(c.tokens <= 4000 for c in chunks)
    assert [s for c in chunks for s in c.segments] == transcript.segments  # nothing lost, order kept
    sizes = [c.tokens for c in chunks]
    assert max(sizes) < 1.25 * min(sizes)  # no small tail
    # The budget counts what is really sent.
    assert all(count_tokens(c.lines()) <= c.tokens for c in chunks)


def test_a_segment_longer_than_the_budget_is_split_with_times_inside_it():
    paragraph = " ".join(f"Sentence {i} of a very long article paragraph about models." for i in range(400))
    seg = Segment(start=100, end=500, text=paragraph)
    pieces = split_segment(seg, 300, "gpt-4o-mini")
    assert len(pieces) > 5
    assert " ".join(p.text for p in pieces) == paragraph
    starts = [p.start for p in pieces]
    assert starts == sorted(starts) and starts[0] == 100 and starts[-1] < 500
    chunks = plan_chunks([seg], 300)
    assert all(c.tokens <= 300 for c in chunks)
    assert " ".join(s.text for c in chunks for s in c.segments) == paragraph


def test_halving_is_bounded_and_coverage_spots_a_missing_part():
    chunks = plan_chunks(long_transcript(0.5).segments, 1000)
    halves = halve(chunks[0], "gpt-4o-mini")
    assert halves and sum(len(h.segments) for h in halves) == len(chunks[0].segments)
    quarter = halve(halves[0], "gpt-4o-mini")
    assert quarter is not None and halve(quarter[0], "gpt-4o-mini") is None  # two levels, then report
    content = SummaryContent.model_validate(
        {
            **{k: "x" for k in ("key_subjects_and_themes", "main_topic", "conclusion")},
            **{k: [] for k in ("use_cases", "new_tools_and_workflows", "ai_news", "notable_quotes")},
            "key_takeaways": [],
            "chapters": [{"start": c.start, "title": "t"} for i, c in enumerate(chunks) if i != 1],
            "entities": {},
        }
    )
    assert missing_parts(chunks, content) == [1]
    assert isinstance(chunks[0], Chunk)


# Through the fake server --------------------------------------------------------------------------------


@pytest.mark.slow
def test_three_hour_transcript_is_covered_whole_concurrently(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url, "chunk_tokens = 4000\nconcurrency = 3")
    fake_openai.chat_latency = 0.15
    transcript = long_transcript()
    store = Store(settings.library_dir)
    meter = Meter(store, settings.prices, "run-1", "pod-long", "summarize")
    summarizer = OpenAISummarizer(settings)
    summary = summarizer.summarize(episode(), transcript, "en", meter)

    chunks = plan_chunks(transcript.segments, summarizer.budget)
    maps = map_requests(fake_openai)
    assert summary.parts == len(chunks) == len(maps) > 5
    # Every line was sent exactly once, with its second.
    sent = [
        line
        for m in maps
        for line in m["messages"][-1]["content"]
        .split("<transcript>\n")[1]
        .split("\n</transcript>")[0]
        .splitlines()
    ]
    assert sorted(sent) == sorted(f"[{s.start:.0f}] {s.text}" for s in transcript.segments)
    assert 1 < fake_openai.max_in_flight <= 3
    assert len(reduce_requests(fake_openai)) == summarizer.last_stats.reduce_calls >= 1
    # Coverage: a chapter starts inside every part; nothing was repaired.
    assert summary.coverage_repairs == 0
    assert missing_parts(chunks, summary) == []
    # Quotes are verbatim and point at their line; takeaways at the start of a line.
    index = TranscriptIndex.build(transcript.segments)
    assert summary.notable_quotes
    assert all(index.find(q.text) == q.timestamp for q in summary.notable_quotes)
    starts = {s.start for s in transcript.segments}
    assert all(t.timestamp in starts for t in summary.key_takeaways)
    # Every call was logged with its stage, prompt version and tokens.
    with store.connect() as db:
        rows = db.execute("SELECT prompt_version, input_tokens FROM calls WHERE run_id='run-1'").fetchall()
    assert len(rows) == len(maps) + summarizer.last_stats.reduce_calls
    assert {r[0].split("@")[0] for r in rows} == {"episode.v3", "reduce.v2"}
    assert all(r[1] > 0 for r in rows)


def test_part_prompts_carry_part_number_and_span(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url, "chunk_tokens = 1500\nconcurrency = 2")
    summary = OpenAISummarizer(settings).summarize(episode(), long_transcript(0.5), "en")
    maps = map_requests(fake_openai)
    assert summary.parts == len(maps) > 1
    numbered = sorted(m["messages"][-1]["content"].split("This is part ")[1].split(" ")[0] for m in maps)
    assert numbered == sorted(str(i) for i in range(1, len(maps) + 1))
    assert all("–" in m["messages"][-1]["content"].split("of the transcript (")[1][:20] for m in maps)


def test_reduce_tree_when_part_summaries_do_not_fit_one_call(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url, "chunk_tokens = 2000\nconcurrency = 4")
    summarizer = OpenAISummarizer(settings)
    summary = summarizer.summarize(episode(), long_transcript(2), "en")
    stats = summarizer.last_stats
    assert stats.reduce_depth >= 2 and stats.reduce_calls > 2
    reduces = reduce_requests(fake_openai)
    assert any("parts 1 to" in r["messages"][0]["content"] for r in reduces)  # an inner level
    assert summary.coverage_repairs == 0 and summary.parts == stats.parts


def test_length_cutoff_on_a_part_retries_it_as_two_smaller_ones(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url, "chunk_tokens = 1500\nconcurrency = 1")
    transcript = long_transcript(0.5)
    fake_openai.script_chat({"content": '{"key_subjects_and_themes": "cut', "finish_reason": "length"})
    summarizer = OpenAISummarizer(settings)
    summary = summarizer.summarize(episode(), transcript, "en")
    assert summarizer.last_stats.splits == 1
    maps = map_requests(fake_openai)
    assert len(maps) == summary.parts + 2  # the cut-off call, then its two halves
    first_part = [m for m in maps if "This is part 1 of" in m["messages"][-1]["content"]]
    assert len(first_part) == 3
    sizes = sorted(len(m["messages"][-1]["content"]) for m in first_part)
    assert sizes[0] < sizes[2] / 1.5 and sizes[1] < sizes[2] / 1.5
    assert summary.coverage_repairs == 0


def test_a_part_the_model_always_refuses_fails_the_summary_with_its_span(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url, "chunk_tokens = 1500\nconcurrency = 2")
    transcript = long_transcript(0.5, marker_at=900.0)
    fake_openai.script_chat_when("FORBIDDEN-MARKER", {"refusal": "I can't help with that."})
    chunks = plan_chunks(transcript.segments, OpenAISummarizer(settings).budget)
    part = next(i for i, c in enumerate(chunks, 1) if any("FORBIDDEN" in s.text for s in c.segments))
    with pytest.raises(SummaryRejectedError, match=rf"part {part} of {len(chunks)} .*refused"):
        OpenAISummarizer(settings).summarize(episode(), transcript, "en")
    # Retried as halves and quarters around the offending line, never reduced into a partial summary.
    refused = [m for m in map_requests(fake_openai) if "FORBIDDEN-MARKER" in m["messages"][-1]["content"]]
    assert len(refused) == 3
    assert reduce_requests(fake_openai) == []


def test_invalid_json_is_retried_once_then_reported(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url)
    short = long_transcript(0.02)
    fake_openai.script_chat({"content": '{"main_topic": oops'})
    summary = OpenAISummarizer(settings).summarize(episode(), short, "en")
    calls = fake_openai.calls("/chat/completions")
    assert len(calls) == 2 and "not valid JSON" in calls[1].body["messages"][-1]["content"]
    assert summary.main_topic
    fake_openai.reset()
    fake_openai.script_chat({"content": "not json"}, {"content": "still not json"})
    with pytest.raises(SummaryRejectedError, match="invalid JSON"):
        OpenAISummarizer(settings).summarize(episode(), short, "en")


def test_a_429_burst_during_the_map_is_absorbed(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url, "chunk_tokens = 1500\nconcurrency = 4")
    fake_openai.fail_next(6, status=429, retry_after=0.02, path="/chat")
    summary = OpenAISummarizer(settings).summarize(episode(), long_transcript(0.5), "en")
    statuses = [r.body.get("_failed") for r in fake_openai.calls("/chat/completions")]
    assert statuses.count(429) == 6
    assert summary.parts > 1 and summary.coverage_repairs == 0


def test_a_reduce_that_leaves_out_a_part_is_asked_again_then_repaired(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url, "chunk_tokens = 1500\nconcurrency = 2")
    transcript = long_transcript(0.5)
    chunks = plan_chunks(transcript.segments, OpenAISummarizer(settings).budget)
    only_first = {
        "key_subjects_and_themes": "Agents and speech models.",
        "main_topic": "The hosts cover agents.",
        "use_cases": [],
        "new_tools_and_workflows": [],
        "ai_news": [],
        "conclusion": "A long show.",
        "key_takeaways": [{"text": "Agents first.", "timestamp": 0}],
        "notable_quotes": [],
        "chapters": [{"start": 0, "title": "Opening"}],
        "entities": {"people": [], "companies": [], "products": []},
    }
    fake_openai.script_chat_when("<parts>", {"json": only_first})
    summary = OpenAISummarizer(settings).summarize(episode(), transcript, "en")
    reduces = [r for r in reduce_requests(fake_openai) if "the whole episode" in r["messages"][0]["content"]]
    assert len(reduces) == 2
    assert "no chapter or key takeaway falls inside part 2" in reduces[1]["messages"][-1]["content"]
    assert summary.coverage_repairs == len(chunks) - 1
    assert missing_parts(chunks, summary) == []


# Output rules -------------------------------------------------------------------------------------------

DUTCH_CONCLUSION = (
    "Deze samenvatting laat zien hoe nieuwe AI-modellen tegelijk het maken van video, het schrijven "
    "van software en de muziek op streamingdiensten veranderen."
)


def pasted_twice(content: SummaryContent) -> dict:
    """The failure seen in a real summary: the whole summary pasted again inside a ```markdown fence."""
    data = content.model_dump()
    again = f"# Samenvatting\n\n## Main Topic\n{data['main_topic']}\n\n## Conclusion\n{DUTCH_CONCLUSION}"
    data["conclusion"] = f"{DUTCH_CONCLUSION}\n\n```markdown\n{again}\n```"
    return data


def test_a_summary_repeated_inside_a_fence_is_rejected_and_retried(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url)
    short = long_transcript(0.05)
    clean = SummaryContent.model_validate(
        OpenAISummarizer(settings)
        .summarize(episode(), short, "en")
        .model_dump(include=set(SummaryContent.model_fields))
    )
    fake_openai.reset()
    fake_openai.script_chat({"json": pasted_twice(clean)})
    summary = OpenAISummarizer(settings).summarize(episode(), short, "en")
    assert "```" not in json.dumps(summary.model_dump())
    retry = fake_openai.calls("/chat/completions")[1].body["messages"]
    assert "code fence" in retry[-1]["content"] and retry[-2]["role"] == "assistant"
    # Without the fence, the pasted copy is still caught: the same sentence in two fields.
    unfenced = pasted_twice(clean)
    unfenced["conclusion"] = unfenced["conclusion"].replace("```markdown", "").replace("```", "")
    assert output_problem(SummaryContent.model_validate(unfenced)) is not None
