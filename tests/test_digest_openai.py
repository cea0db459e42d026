"""The weekly digest with a model configured (the fake OpenAI-compatible server): speech-to-text,
structured summaries and the editor agent, with every call costed in the report and `newsroom cost`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.weekly_digest import weekly_digest
from newsroom.app.cli import app
from newsroom.config import load_settings
from newsroom.store import Store


@pytest.mark.slow
def test_digest_with_a_model_uses_the_editor_and_costs_every_call(
    demo_project: Path, fake_openai, monkeypatch
):
    monkeypatch.setenv("NEWSROOM_LLM__BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("NEWSROOM_TRANSCRIPTION__BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("NEWSROOM_TRANSCRIPTION__OPENAI_MODEL", "whisper-1")
    fake_openai.speech = (
        "Welcome to the show about Anthropic and Claude. Today we test agents that plan your week. "
        "Every tool call is logged so you can check it. That is all for today."
    )
    report = weekly_digest(config=str(demo_project))
    settings = load_settings(demo_project)

    assert [e.status for e in report.episodes] == ["done"] * 3
    assert report.backends["summaries"] == "openai:gpt-4o-mini"
    assert report.editor == "editor:gpt-4o-mini"
    assert report.editor_trace and report.editor_trace[0].tool == "list_episodes"
    # Cost per episode (speech-to-text for two of them, a summary for all) and in total.
    costs = {e.transcript_backend: e.cost_usd for e in report.episodes}
    assert costs["feed:vtt"] > 0 and costs["openai:whisper-1"] > costs["feed:vtt"]
    assert report.editor_cost_usd > 0
    assert report.total_cost == pytest.approx(
        sum(e.cost_usd for e in report.episodes) + report.editor_cost_usd
    )
    folder = Path(report.newsletter_path).parent
    report_md = (folder / "report.md").read_text()
    assert "- Editor: editor:gpt-4o-mini" in report_md and "## Editor tool calls" in report_md
    assert "| 1 | list_episodes |" in report_md
    newsletter = json.loads((folder / "newsletter.json").read_text())
    assert newsletter["backend"] == "editor:gpt-4o-mini" and len(newsletter["items"]) == 3
    assert all("#t=" in item["link"] for item in newsletter["items"])

    # The transcript notes: Key Takeaways filled, Related links the other episodes of the week.
    note = next((folder / "notes").glob("Agents that plan your week.md")).read_text()
    takeaways = note.split("## Key Takeaways")[1].split("## Related")[0]
    assert takeaways.count("\n- ") >= 2 and "#t=" in takeaways
    related = note.split("## Related")[1]
    assert "[[Local speech models on a laptop]]" in related
    assert "[[Spotting deepfakes before the election]]" in related

    # `newsroom cost` shows the same money by stage.
    result = CliRunner().invoke(app, ["cost", "--config", str(demo_project), "--by", "stage", "--json"])
    by_stage = {r["key"]: r["cost_usd"] for r in json.loads(result.output)["rows"]}
    assert set(by_stage) == {"transcribe", "summarize", "editor"}
    assert sum(by_stage.values()) == pytest.approx(report.total_cost, abs=1e-5)
    assert Store(settings.library_dir).call_count(report.run_id) == len(fake_openai.calls("/v1/"))
