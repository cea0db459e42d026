"""The real `openai` client against the fake OpenAI-compatible server on loopback."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from newsroom.config import load_settings
from newsroom.models import Episode, Segment, SummaryContent, Transcript
from newsroom.openai_api import (
    PLACEHOLDER_KEY,
    BackendError,
    Meter,
    make_client,
    resolve_llm_backend,
    resolve_stt_backend,
)
from newsroom.store import Store
from newsroom.summaries.summarizer import OpenAISummarizer, SummaryRejectedError
from newsroom.transcripts.stt import OpenAITranscriber
from tests.conftest import DEMO, write_config


def settings_for(tmp_path: Path, base_url: str, extra: str = ""):
    path = write_config(
        tmp_path,
        f'[llm]\nbase_url = "{base_url}"\nmax_retries = 3\n'
        f'[transcription]\nbase_url = "{base_url}"\nopenai_model = "whisper-1"\n{extra}',
    )
    return load_settings(path)


def episode() -> Episode:
    return Episode(
        id="pod-test",
        source_id="s",
        source_name="Test FM",
        kind="podcast",
        title="Test episode",
        url="https://example.org/1",
        media_url="https://example.org/1.mp3",
    )


def transcript() -> Transcript:
    lines = [
        "Today we talk about Claude, the assistant from Anthropic.",
        "It can now write and run code in a sandbox.",
        "Teams use it to review pull requests before lunch.",
        "In the news, a new open model was released this week.",
        "Our conclusion is that small models keep getting better.",
    ]
    return Transcript(
        episode_id="pod-test",
        provenance="feed",
        backend="feed:vtt",
        segments=[Segment(start=i * 10.0, end=i * 10.0 + 9, text=t) for i, t in enumerate(lines)],
    )


def test_base_url_without_key_selects_openai_and_sends_no_openai_key(tmp_path, fake_openai, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-key-must-stay-home")
    settings = settings_for(tmp_path, fake_openai.base_url)
    assert resolve_llm_backend(settings) == "openai"
    summary = OpenAISummarizer(settings).summarize(episode(), transcript(), "en")
    auth = fake_openai.calls("/chat/completions")[0].headers["authorization"]
    assert auth == f"Bearer {PLACEHOLDER_KEY}"
    assert "sk-real-key" not in auth
    assert summary.backend == "openai:gpt-4o-mini"


def test_key_goes_to_custom_base_url_only_when_asked(tmp_path, fake_openai, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-opted-in-key")
    settings = settings_for(tmp_path, fake_openai.base_url, "")
    settings.llm.send_openai_key_to_base_url = True
    make_client(settings.llm).models.list()
    assert fake_openai.calls("/models")[0].headers["authorization"] == "Bearer sk-opted-in-key"


def test_no_key_no_base_url_is_offline_and_openai_backend_explains(tmp_path):
    settings = load_settings(write_config(tmp_path, ""))
    assert resolve_llm_backend(settings) == "offline"
    assert resolve_stt_backend(settings) == "local"
    settings.llm.backend = "openai"
    with pytest.raises(BackendError, match="OPENAI_API_KEY"):
        make_client(settings.llm)


def test_structured_summary_quotes_are_grounded_and_usage_logged(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url)
    store = Store(settings.library_dir)
    meter = Meter(store, settings.prices, "run-1", "pod-test", "summarize")
    summary = OpenAISummarizer(settings).summarize(episode(), transcript(), "en", meter)
    texts = {s.text for s in transcript().segments}
    assert summary.notable_quotes and all(q.text in texts for q in summary.notable_quotes)
    for q in summary.notable_quotes:
        seg = next(s for s in transcript().segments if s.text == q.text)
        assert q.timestamp == seg.start
    assert store.call_count("run-1") == 1
    body = fake_openai.calls("/chat/completions")[0].body
    assert body["response_format"]["type"] == "json_schema"
    assert "<transcript>" in body["messages"][1]["content"]


def test_invented_quote_is_dropped_and_counted(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url)
    good = (
        OpenAISummarizer(settings)
        .summarize(episode(), transcript(), "en")
        .model_dump(include=set(SummaryContent.model_fields))
    )
    good["notable_quotes"] = [
        {"text": "We never said this sentence on the show at all.", "timestamp": 3},
        {"text": "It can now write and run code in a sandbox.", "timestamp": 0},
    ]
    fake_openai.script_chat({"json": good})
    summary = OpenAISummarizer(settings).summarize(episode(), transcript(), "en")
    assert summary.dropped_quotes == 1
    assert [(q.text, q.timestamp) for q in summary.notable_quotes] == [
        ("It can now write and run code in a sandbox.", 10.0)
    ]


def test_code_fenced_or_repeated_output_is_retried_then_rejected(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url)
    base = (
        OpenAISummarizer(settings)
        .summarize(episode(), transcript(), "en")
        .model_dump(include=set(SummaryContent.model_fields))
    )
    fenced = {**base, "conclusion": "```\n## Conclusion\nAll good.\n```"}
    paragraph = "The hosts explain in detail how the assistant reviews code before lunch every day. "
    repeated = {**base, "main_topic": paragraph + paragraph}
    fake_openai.reset()
    fake_openai.script_chat({"json": fenced}, {"json": base})
    ok = OpenAISummarizer(settings).summarize(episode(), transcript(), "en")
    assert "```" not in ok.conclusion
    assert "code fence" in fake_openai.calls("/chat/completions")[1].body["messages"][-1]["content"]
    fake_openai.script_chat({"json": repeated}, {"json": repeated})
    with pytest.raises(SummaryRejectedError, match="repeats"):
        OpenAISummarizer(settings).summarize(episode(), transcript(), "en")


def test_refusal_and_length_cutoff_are_rejected(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url)
    fake_openai.script_chat({"refusal": "I can't help with that."})
    with pytest.raises(SummaryRejectedError, match="refused"):
        OpenAISummarizer(settings).summarize(episode(), transcript(), "en")
    fake_openai.script_chat({"content": '{"key_subjects', "finish_reason": "length"})
    with pytest.raises(SummaryRejectedError, match="cut off"):
        OpenAISummarizer(settings).summarize(episode(), transcript(), "en")


def test_429_and_500_are_retried_by_the_client(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url)
    fake_openai.fail_next(1, status=429, retry_after=0.05, path="/chat")
    fake_openai.fail_next(1, status=500, path="/chat")
    summary = OpenAISummarizer(settings).summarize(episode(), transcript(), "en")
    assert summary.main_topic
    statuses = [r.body.get("_failed") for r in fake_openai.calls("/chat/completions")]
    assert statuses == [429, 500, None]


def test_persistent_500_surfaces_as_api_error(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url)
    fake_openai.fail_next(10, status=500, path="/chat")
    with pytest.raises(openai.InternalServerError):
        OpenAISummarizer(settings).summarize(episode(), transcript(), "en")
    assert len(fake_openai.calls("/chat/completions")) == settings.llm.max_retries + 1


def test_whisper1_transcription_has_timed_segments_and_prompt(tmp_path, fake_openai):
    settings = settings_for(tmp_path, fake_openai.base_url)
    fake_openai.transcription_script.append("First sentence here. Second one follows. And a third.")
    stt = OpenAITranscriber(settings)
    prompt = stt.fit_prompt("Anthropic, Claude", "words from before")
    segments = stt.transcribe(DEMO / "audio" / "episode-2.mp3", "en", prompt)
    assert [s.text for s in segments] == ["First sentence here.", "Second one follows.", "And a third."]
    assert segments[0].start == 0 and segments[-1].end == pytest.approx(48.2, abs=0.5)
    form = fake_openai.calls("/audio/transcriptions")[0].body
    assert form["model"] == "whisper-1" and form["language"] == "en"
    assert form["prompt"] == "Anthropic, Claude words from before"
    assert form["response_format"] == "verbose_json"
