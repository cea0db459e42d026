"""The editor agent through the real `openai` client and the fake server: scripted tool-call
sequences, budgets (steps, tokens, time), failures falling back to the deterministic draft, and
grounding of the newsletter's items."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from newsroom.config import Settings, load_settings
from newsroom.models import Episode, RunReport, Segment, Transcript, utcnow
from newsroom.newsletter.agent import EditorDraft
from newsroom.newsletter.editor import build_newsletter, draft_issue, record_draft
from newsroom.openai_api import Meter
from newsroom.store import Store
from newsroom.summaries.summarizer import OfflineSummarizer
from tests.conftest import write_config

DAY = date(2026, 11, 22)
SHOWS = {
    "pod-a": (
        "Agents that plan your week",
        [
            "Today we talk about software agents that plan your calendar.",
            "The agent reads your customer email and drafts the replies for you.",
            "Every tool call is logged so that you can check what the agent did.",
            "Teams at Example Labs use it to prepare their Monday meetings.",
            "Our conclusion is that agents need clear limits before they get more access.",
        ],
    ),
    "pod-b": (
        "Local speech models on a laptop",
        [
            "This week we run speech recognition models on an ordinary laptop.",
            "The small Whisper model transcribes an hour of audio in about five minutes.",
            "Accuracy drops on names, so a glossary of spellings helps a lot.",
            "Nothing leaves the machine, which matters for private recordings.",
            "In short, local transcription is now good enough for most podcasts.",
        ],
    ),
    "pod-c": (
        "Spotting deepfakes before the election",
        [
            "Deepfake audio of politicians is spreading before the election.",
            "A voice clone needs only a minute of recorded speech these days.",
            "Detection tools look for artifacts that human ears cannot hear.",
            "Newsrooms now verify every viral clip with the original source.",
            "The conclusion is that trust will depend on provenance, not on how real it sounds.",
        ],
    ),
}


def make_week(extra_lines: dict[str, list[str]] | None = None):
    stories, transcripts = [], {}
    for n, (eid, (title, lines)) in enumerate(SHOWS.items()):
        lines = lines + (extra_lines or {}).get(eid, [])
        episode = Episode(
            id=eid,
            source_id="demo",
            source_name="Demo FM",
            kind="podcast",
            title=title,
            url=f"https://example.org/{eid}",
            media_url=f"https://example.org/{eid}.mp3",
            published=datetime(2026, 11, 16 + n, tzinfo=UTC),
        )
        transcript = Transcript(
            episode_id=eid,
            provenance="feed",
            backend="feed:vtt",
            segments=[Segment(start=i * 15.0, end=i * 15.0 + 14, text=t) for i, t in enumerate(lines)],
        )
        summary = OfflineSummarizer([]).summarize(episode, transcript, "en")
        stories.append((episode, summary))
        transcripts[eid] = transcript
    return stories, transcripts


def settings_for(tmp_path: Path, base_url: str, editor: str = "", llm: str = "") -> Settings:
    return load_settings(
        write_config(
            tmp_path, f'title = "Demo Weekly"\n[llm]\nbase_url = "{base_url}"\n{llm}\n[editor]\n{editor}\n'
        )
    )


def story(eid: str, at: float, blurb: str = "A good story.", highlights=None) -> dict:
    return {
        "episode_id": eid,
        "headline": f"Headline for {eid}",
        "blurb": blurb,
        "timestamp": at,
        "highlights": highlights if highlights is not None else [],
    }


def final(*stories: dict, intro: str = "This week: agents and speech.") -> dict:
    return {"json": {"intro": intro, "stories": list(stories), "outro": "See you next week."}}


def chat_bodies(fake) -> list[dict]:
    return [r.body for r in fake.calls("/chat/completions") if "_failed" not in r.body]


# Scripted tool calls -----------------------------------------------------------------------------------


def test_scripted_tool_calls_choose_and_order_the_stories(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url)
    stories, transcripts = make_week()
    fake_openai.script_chat(
        {"tool_calls": [{"name": "list_episodes", "arguments": {}}]},
        {
            "tool_calls": [
                {"name": "read_summary", "arguments": {"episode_id": "pod-b"}},
                {"name": "read_summary", "arguments": {"episode_id": "pod-a"}},
            ]
        },
        {
            "tool_calls": [
                {"name": "search_transcripts", "arguments": {"query": "glossary", "episode_id": None}}
            ]
        },
        final(
            story(
                "pod-b",
                31,
                'The hosts say "a glossary of spellings helps a lot" for names.',
                [{"text": "Nothing leaves the machine.", "timestamp": 47}],
            ),
            story("pod-a", 16),
        ),
    )
    store = Store(settings.library_dir)
    meter = Meter(store, settings.prices, "run-ed", None, "editor")
    logged = []
    draft = draft_issue(settings, stories, transcripts, DAY, meter, logged.append)

    assert draft.fallback_reason is None and draft.editor == "editor:gpt-4o-mini"
    items = draft.newsletter.items
    # The agent's order first; the episode it left out is added from its summary (and counted).
    assert [i.episode_id for i in items] == ["pod-b", "pod-a", "pod-c"]
    assert draft.grounding["items_added"] == 1 and draft.grounding["items_repaired"] == 0
    # Links are built from the episode and the second, pointing at the start of that line.
    assert items[0].link == "https://example.org/pod-b.mp3#t=30"
    assert items[1].link == "https://example.org/pod-a.mp3#t=15"
    assert items[0].highlights[0].link == "https://example.org/pod-b.mp3#t=45"
    assert '"a glossary of spellings helps a lot"' in items[0].blurb

    # Every tool call was recorded and logged, in order, with its arguments.
    assert [(r.step, r.tool) for r in draft.trace] == [
        (1, "list_episodes"),
        (2, "read_summary"),
        (2, "read_summary"),
        (3, "search_transcripts"),
    ]
    assert draft.trace[1].arguments == {"episode_id": "pod-b"} and all(r.ok for r in draft.trace)
    assert logged == draft.trace
    # Tool results went back to the model as `tool` messages, as data.
    bodies = chat_bodies(fake_openai)
    assert len(bodies) == 4
    tool_msgs = [m for m in bodies[3]["messages"] if m["role"] == "tool"]
    assert len(tool_msgs) == 4
    listed = json.loads(tool_msgs[0]["content"])["result"]
    assert [e["episode_id"] for e in listed] == ["pod-a", "pod-b", "pod-c"]
    found = json.loads(bodies[3]["messages"][-1]["content"])["result"]
    assert found[0] == {
        "episode_id": "pod-b",
        "timestamp": 30.0,
        "text": "Accuracy drops on names, so a glossary of spellings helps a lot.",
    }
    assert all(b["tools"] and b["response_format"]["type"] == "json_schema" for b in bodies)
    # Each model call is in the cost log under the editor stage, with the prompt version.
    with store.connect() as db:
        rows = db.execute(
            "SELECT stage, prompt_version, cost_usd FROM calls WHERE run_id='run-ed'"
        ).fetchall()
    assert len(rows) == 4 and {r[0] for r in rows} == {"editor"}
    assert rows[0][1].startswith("editor.v2@") and draft.cost_usd == pytest.approx(
        sum(r[2] for r in rows), abs=1e-6
    )


def test_unscripted_agent_reads_every_summary_and_drafts(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url)
    stories, transcripts = make_week()
    draft = draft_issue(settings, stories, transcripts, DAY)
    assert draft.fallback_reason is None
    assert [r.tool for r in draft.trace] == ["list_episodes"] + ["read_summary"] * 3
    assert sorted(i.episode_id for i in draft.newsletter.items) == ["pod-a", "pod-b", "pod-c"]


def test_a_bad_tool_call_is_answered_with_an_error_the_model_can_use(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url)
    stories, transcripts = make_week()
    fake_openai.script_chat(
        {"tool_calls": [{"name": "read_summary", "arguments": {"episode_id": "nope"}}]},
        {"tool_calls": [{"name": "delete_everything", "arguments": {}}]},
        final(story("pod-a", 0), story("pod-b", 0), story("pod-c", 0)),
    )
    draft = draft_issue(settings, stories, transcripts, DAY)
    assert draft.fallback_reason is None
    assert [(r.tool, r.ok) for r in draft.trace] == [("read_summary", False), ("delete_everything", False)]
    assert "unknown episode_id 'nope'" in draft.trace[0].error
    reply = chat_bodies(fake_openai)[1]["messages"][-1]
    assert reply["role"] == "tool" and "list_episodes" in json.loads(reply["content"])["error"]


def test_invalid_final_answer_is_sent_back_once(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url)
    stories, transcripts = make_week()
    fake_openai.script_chat({"content": '{"intro": "x"}'}, final(story("pod-a", 0)))
    draft = draft_issue(settings, stories, transcripts, DAY)
    assert draft.fallback_reason is None
    assert "not valid for the schema" in chat_bodies(fake_openai)[1]["messages"][-1]["content"]


# Budgets and failures: the deterministic draft goes out, and the report says why ------------------------


def fallback(tmp_path, fake, editor: str = "", llm: str = "", script=()):
    settings = settings_for(tmp_path, fake.base_url, editor, llm)
    stories, transcripts = make_week()
    fake.script_chat(*script)
    draft = draft_issue(settings, stories, transcripts, DAY)
    assert draft.newsletter.backend == "deterministic"
    assert [i.episode_id for i in draft.newsletter.items] == ["pod-c", "pod-b", "pod-a"]  # newest first
    report = RunReport(run_id="r", started=utcnow())
    record_draft(report, draft)
    assert report.editor.startswith("deterministic (fallback: ")
    assert any(n.startswith("Deterministic draft: ") for n in report.notes)
    return draft


def test_out_of_steps_falls_back(tmp_path, fake_openai):
    call = {"tool_calls": [{"name": "list_episodes", "arguments": {}}]}
    draft = fallback(tmp_path, fake_openai, "max_steps = 3", script=[call] * 3)
    assert "ran out of steps (3)" in draft.fallback_reason
    assert len(draft.trace) == 3  # the tool calls it made are still in the report
    # The last step offered no tool calls: the model had to answer.
    assert [b.get("tool_choice") for b in chat_bodies(fake_openai)] == ["auto", "auto", "none"]


def test_out_of_tokens_falls_back(tmp_path, fake_openai):
    draft = fallback(tmp_path, fake_openai, "max_tokens = 1000")
    assert "ran out of tokens" in draft.fallback_reason
    assert draft.tokens <= 1000 and len(chat_bodies(fake_openai)) == draft.steps


def test_out_of_time_falls_back(tmp_path, fake_openai):
    fake_openai.chat_latency = 0.6
    draft = fallback(tmp_path, fake_openai, "timeout_seconds = 1.0", "max_retries = 0")
    assert "ran out of time" in draft.fallback_reason


def test_api_failure_and_refusal_fall_back(tmp_path, fake_openai):
    fake_openai.fail_next(20, status=500, path="/chat")
    draft = fallback(tmp_path / "a", fake_openai, llm="max_retries = 1")
    assert "InternalServerError" in draft.fallback_reason
    fake_openai.reset()
    draft = fallback(tmp_path / "b", fake_openai, script=[{"refusal": "I won't."}])
    assert "refused" in draft.fallback_reason


def test_offline_or_deterministic_config_never_calls_a_model(tmp_path, fake_openai):
    stories, transcripts = make_week()
    offline = load_settings(write_config(tmp_path / "o", '[llm]\nbackend = "offline"\n'))
    draft = draft_issue(offline, stories, transcripts, DAY)
    assert draft.fallback_reason == "no language model is configured" and not draft.agent_failed
    assert draft.describe() == "deterministic (no language model is configured)"  # a choice, not a fallback
    chosen = settings_for(tmp_path / "d", fake_openai.base_url, 'backend = "deterministic"')
    assert "deterministic" in draft_issue(chosen, stories, transcripts, DAY).fallback_reason
    assert fake_openai.calls("/chat") == []


# Grounding of the items (pure) -------------------------------------------------------------------------


def ground(*stories: dict, intro: str = "Hello.", max_stories: int = 8):
    week, transcripts = make_week()
    draft = EditorDraft.model_validate({"intro": intro, "stories": list(stories), "outro": "Bye."})
    return build_newsletter(draft, week, transcripts, "T", "en", DAY, max_stories, "editor:m")


def test_an_invented_quote_is_repaired_and_a_real_one_kept():
    newsletter, counts = ground(
        story("pod-a", 15, 'They said "agents will replace every manager by Friday" on air.'),
        story("pod-b", 15, 'Quote: "Nothing leaves the machine, which matters for private recordings."'),
    )
    a, b = newsletter.items[:2]
    assert "replace every manager" not in a.blurb  # replaced by the summary's own words
    week, _ = make_week()
    assert a.blurb == week[0][1].main_topic  # the summary's main topic, a sentence from the transcript
    assert "Nothing leaves the machine" in b.blurb
    assert counts["items_repaired"] == 1


def test_items_must_be_this_weeks_episodes_and_point_inside_them():
    newsletter, counts = ground(
        story("pod-zzz", 10),
        story("pod-a", 10),
        story("pod-a", 20),
        story("pod-b", 99999),
        story(
            "pod-c",
            0,
            highlights=[
                {"text": "Detection tools look for artifacts that human ears cannot hear.", "timestamp": 0},
                {"text": "A later point.", "timestamp": 5000},
            ],
        ),
        max_stories=3,
    )
    assert [i.episode_id for i in newsletter.items] == ["pod-a", "pod-b", "pod-c"]
    assert counts["items_dropped"] == 2  # unknown id, duplicate
    b = newsletter.items[1]
    assert counts["items_repaired"] == 1 and b.link.endswith("#t=" + str(int(b.link.split("=")[-1])))
    assert int(b.link.split("#t=")[1]) < 75  # moved from past the end to its first takeaway
    c = newsletter.items[2]
    assert [h.link for h in c.highlights] == ["https://example.org/pod-c.mp3#t=30"]  # where it is said
    assert counts["highlights_dropped"] == 1
    assert all(i.link.startswith(f"https://example.org/{i.episode_id}.mp3#t=") for i in newsletter.items)


def test_an_invented_quote_in_the_intro_is_replaced():
    newsletter, counts = ground(
        story("pod-a", 0), intro='As one host put it, "we made this quote up entirely".'
    )
    assert newsletter.intro.startswith("This issue covers 3 new episodes")
    assert counts["items_repaired"] == 1
