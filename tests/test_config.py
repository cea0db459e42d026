"""Settings: the shipped file, env overrides, and bad configs refused with file, key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsroom.config import ConfigError, load_settings
from newsroom.sources import detect_kind
from tests.conftest import ROOT, write_config


def test_shipped_config_points_at_the_demo():
    settings = load_settings(ROOT / "newsroom.toml")
    assert settings.sources[0].kind == "podcast"
    assert settings.resolve(settings.sources[0].url) == ROOT / "examples" / "demo" / "feed.xml"
    assert settings.library_dir == ROOT / "library"
    assert settings.llm.backend == "auto" and settings.transcription.local_model == "bundled"


def test_env_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = write_config(tmp_path, 'language = "en"\n[llm]\nmodel = "gpt-4o-mini"\n')
    monkeypatch.setenv("NEWSROOM_LANGUAGE", "nl")
    monkeypatch.setenv("NEWSROOM_LLM__MODEL", "gpt-4.1-mini")
    settings = load_settings(path)
    assert settings.language == "nl" and settings.llm.model == "gpt-4.1-mini"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("lanugage = 'en'\n", ["lanugage", "unknown key"]),
        ("[llm]\nbackend = 'gpt'\n", ["llm.backend", "'auto', 'openai' or 'offline'", "'gpt'"]),
        ("concurrency = 0\n", ["concurrency", "greater than or equal to 1"]),
        ("language = 'English'\n", ["language", "not a language code"]),
        ("[[sources]]\nname = 'x'\n", ["sources.0.url", "Field required"]),
        ("[llm]\napi_key = 'sk-123'\n", ["llm.api_key", "unknown key"]),  # secrets never in the file
    ],
)
def test_bad_config_names_file_key_and_problem(tmp_path: Path, body: str, expected: list[str]):
    path = write_config(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    assert str(path) in message
    for part in expected:
        assert part in message
    assert "sk-123" not in message


def test_invalid_toml_and_missing_file(tmp_path: Path):
    path = tmp_path / "newsroom.toml"
    path.write_text("title = 'unclosed\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path)
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://www.youtube.com/@someone/videos", "youtube"),
        ("https://youtu.be/abc123", "youtube"),
        ("https://feeds.example.com/show.rss", "podcast"),
        ("https://example.com/podcast/feed", "podcast"),
        ("https://example.com/blog/post", "article"),
        ("episodes/", "local"),
        ("feed.xml", "podcast"),
    ],
)
def test_kind_is_detected_from_the_url(url: str, kind: str):
    assert detect_kind(url) == kind
