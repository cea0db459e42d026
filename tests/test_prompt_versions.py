"""The model-path prompts, by structure only: the fake OpenAI server answers fixed filler, so what a
real model writes from them is not testable here (bench/quality.py measures the offline path)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from newsroom.config import LLMConfig
from newsroom.locales import language_name
from newsroom.models import Entities, Episode, Summary, SummaryContent
from newsroom.newsletter.agent import EditorTools
from newsroom.prompts import load_prompt, prompts_dir
from newsroom.store import Store

EPISODE = Episode(
    id="yt-1",
    source_id="s",
    source_name="Het AI Uur",
    kind="youtube",
    title="Claude Sonnet 4.5 zet in een nacht een eigen Slack in elkaar",
    url="https://example.org/1",
    published=datetime(2026, 11, 30),
    description="Verder: de Sora 2 app en bands die niet bestaan.",
    duration=600,
)


def _version(name: str) -> tuple[str, int]:
    base, _, number = name.rpartition(".v")
    return base, int(number)


def test_the_defaults_are_the_newest_version_of_each_prompt() -> None:
    """A new prompt version that the settings do not point at would never run."""
    newest: dict[tuple[str, str], int] = {}
    for path in prompts_dir().glob("*/*.md.j2"):
        base, number = _version(path.name.removesuffix(".md.j2"))
        key = (path.parent.name, base)
        newest[key] = max(newest.get(key, 0), number)
    llm = LLMConfig()
    for group, name in (
        ("summarize", llm.summary_prompt),
        ("summarize", llm.reduce_prompt),
        ("newsletter", llm.editor_prompt),
    ):
        base, number = _version(name)
        assert number == newest[(group, base)], f"{group}/{name} is not the newest {base}"


@pytest.mark.parametrize("code", ["en", "nl"])
def test_summary_prompts_enforce_the_output_language_and_the_style(code: str) -> None:
    language = language_name(code)
    llm = LLMConfig()
    episode_prompt = load_prompt("summarize", llm.summary_prompt)
    system, user = episode_prompt.render(
        episode=EPISODE,
        transcript_lines="[0.0] Welkom bij Het AI Uur.",
        language=language,
        glossary=["Claude", "Slack"],
        part=1,
        parts=1,
        span="",
    )
    reduce_system, reduce_user = load_prompt("summarize", llm.reduce_prompt).render(
        episode=EPISODE,
        parts_json="[]",
        language=language,
        glossary=[],
        first=1,
        last=2,
        parts=2,
        feedback="",
    )
    for text in (system, reduce_system):
        assert f"in {language}" in text and "never translated" in text
        assert "no code fences" in text.lower() or "no markdown" in text.lower()
        assert "a person or a company is never a tool" in text.lower()
        assert '"Themes:"' in text  # the label the offline path used to write is named as banned
    # Every field of the schema is described, so none is left to the model's guess.
    for field in SummaryContent.model_fields:
        assert f"{field}:" in system or f"{field} (" in system, field
    # The host's own words about the episode reach both prompts.
    assert EPISODE.title in user and EPISODE.description in user and EPISODE.description in reduce_user
    # Another output language than the transcript's: the prompt names only the one to write in.
    other = "Dutch" if code == "en" else "English"
    assert other not in system


def test_editor_prompt_asks_for_blurbs_that_cover_the_episode_in_the_issue_language() -> None:
    prompt = load_prompt("newsletter", LLMConfig().editor_prompt)
    system, _ = prompt.render(
        title="AI Weekly", language=language_name("nl"), day="2026-12-02", episodes=2, max_stories=5
    )
    assert "You write in Dutch (Nederlands)" in system
    assert re.search(r"blurb of one or two complete sentences", system)
    assert "never repeats the blurb" in system and "Never invent a quote" in system
    assert "```" not in system


def test_the_editor_sees_each_episodes_description(tmp_path: Path) -> None:
    summary = Summary(
        key_subjects_and_themes="",
        main_topic="Claude bouwt Slack na.",
        use_cases=[],
        new_tools_and_workflows=[],
        ai_news=[],
        conclusion="",
        key_takeaways=[],
        notable_quotes=[],
        chapters=[],
        entities=Entities(),
        episode_id=EPISODE.id,
        language="nl",
        backend="offline:extractive",
    )
    listed = EditorTools([(EPISODE, summary)], {}, Store(tmp_path)).list_episodes()
    assert listed[0]["description"] == EPISODE.description
