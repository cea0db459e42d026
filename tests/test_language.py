"""Output language: a Dutch episode summarized in Dutch or English as configured (globally or per
source), quotes always verbatim in the spoken language; the offline summarizer does not translate
and says which language it wrote in."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from newsroom.config import load_settings
from newsroom.models import Episode, Segment, Transcript
from newsroom.newsletter.editor import deterministic_draft
from newsroom.store import Store
from newsroom.summaries.grounding import TranscriptIndex
from tasks.summarize import summarize_episode
from tests.conftest import write_config

DUTCH = [
    "Welkom bij Het AI Uur, de wekelijkse show over kunstmatige intelligentie.",
    "OpenAI bracht deze week Sora 2 uit, met een eigen app vol gegenereerde filmpjes.",
    "Een glas dat van tafel valt, breekt in die filmpjes zoals een echt glas breekt.",
    "Anthropic liet Claude Sonnet 4.5 een hele nacht zelfstandig aan één programma werken.",
    "In die nacht zette het model in zijn eentje een werkende kloon van Slack in elkaar.",
    "Teams laten het model nu eerst hun code nakijken, pas daarna kijkt er een mens naar.",
    "Ook in het nieuws: Nvidia bouwt nog meer datacenters voor het trainen van modellen.",
    "Samengevat gaan de modellen harder vooruit dan de meeste kijkers denken.",
]


def dutch_episode(output_language: str | None = None) -> tuple[Episode, Transcript]:
    episode = Episode(
        id="yt-dutch",
        source_id="het-ai-uur",
        source_name="Het AI Uur",
        kind="youtube",
        title="Sora 2 en Claude Sonnet 4.5",
        url="https://www.youtube.com/watch?v=hX3tR8mWq2c",
        video_id="hX3tR8mWq2c",
        language="nl",
        output_language=output_language,
    )
    transcript = Transcript(
        episode_id=episode.id,
        language="nl",
        provenance="captions",
        backend="captions:json3",
        segments=[Segment(start=i * 12.0, end=i * 12.0 + 11, text=t) for i, t in enumerate(DUTCH)],
    )
    return episode, transcript


def run(tmp_path: Path, config: str, output_language: str | None = None):
    settings = load_settings(write_config(tmp_path, config))
    episode, transcript = dutch_episode(output_language)
    store = Store(settings.library_dir)
    store.upsert_episode(episode)
    summary = summarize_episode.fn(episode, transcript, settings)
    return settings, store, episode, transcript, summary


def sent_system_prompt(fake) -> str:
    return fake.calls("/chat/completions")[0].body["messages"][0]["content"]


def test_global_dutch_summarizes_in_dutch_with_dutch_notes(tmp_path, fake_openai):
    _, store, episode, transcript, summary = run(
        tmp_path, f'language = "nl"\n[llm]\nbase_url = "{fake_openai.base_url}"\n'
    )
    assert "in Dutch (Nederlands)" in sent_system_prompt(fake_openai)
    assert summary.language == "nl"
    index = TranscriptIndex.build(transcript.segments)
    assert summary.notable_quotes and all(index.find(q.text) is not None for q in summary.notable_quotes)
    note = (store.episode_dir(episode.id) / "summary.md").read_text()
    assert "## Belangrijkste Inzichten" in note and "## Hoofdonderwerp" in note
    assert "youtube.com/watch?v=hX3tR8mWq2c&t=" in note  # takeaways link to their second


def test_a_source_may_ask_for_english_summaries_of_a_dutch_show(tmp_path, fake_openai):
    _, store, episode, _transcript, summary = run(
        tmp_path, f'language = "nl"\n[llm]\nbase_url = "{fake_openai.base_url}"\n', output_language="en"
    )
    system = sent_system_prompt(fake_openai)
    assert "in English" in system and "Dutch" not in system
    assert "never translated" in system  # quotes stay in the spoken language
    assert summary.language == "en"
    # Quotes are still the Dutch words as spoken.
    assert summary.notable_quotes and all(q.text in DUTCH for q in summary.notable_quotes)
    note = (store.episode_dir(episode.id) / "summary.md").read_text()
    assert "## Key Takeaways" in note


def test_offline_summary_of_a_dutch_episode_is_dutch_and_says_so(tmp_path):
    _settings, store, episode, _, summary = run(
        tmp_path,
        'language = "en"\n[llm]\nbackend = "offline"\n[glossary]\nAnthropic = []\nClaude = []\n',
    )
    assert summary.backend == "offline:extractive"
    assert summary.language == "nl"  # not translated: the language it is really in
    assert {"Anthropic", "Claude"} <= set(summary.entities.products + summary.entities.companies)
    assert all(t.text in DUTCH for t in summary.key_takeaways)
    note = (store.episode_dir(episode.id) / "summary.md").read_text()
    assert "offline:extractive" in note and "## Belangrijkste Inzichten" in note


def test_deterministic_draft_speaks_the_newsletter_language(tmp_path):
    _settings, _, episode, _, summary = run(tmp_path, 'language = "nl"\n[llm]\nbackend = "offline"\n')
    newsletter = deterministic_draft("Het AI Uur", "nl", date(2026, 11, 22), [(episode, summary)])
    assert newsletter.intro.startswith("Deze editie bespreekt 1 nieuwe aflevering")
    assert newsletter.language == "nl"
