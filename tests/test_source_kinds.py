"""A source kind is one module plus one registration: a toy kind, written in a temporary module
that imports only newsroom's public source interface, runs through the whole digest."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.weekly_digest import weekly_digest
from newsroom.config import ConfigError, load_settings
from newsroom.sources import KINDS, check_kinds, detect_kind, kind_for_url
from tests.conftest import write_config

TOY_MODULE = '''
"""Toy radio: every `toy:<name>` URL is a station that aired one talk, given as text."""

from datetime import UTC, datetime

from newsroom.models import Episode
from newsroom.sources import Fetched, SourceKind, register

TALK = (
    "Welcome to toy radio, where every program is generated for a test. Today we talk about "
    "wooden trains and how children build long tracks across the living room floor. A good track "
    "needs bridges, tunnels and a station where the passengers wait. Wooden trains teach patience "
    "because a track that falls apart must be built again. In short, wooden trains are the best "
    "toy for a rainy afternoon."
)


class ToyKind(SourceKind):
    name = "toy"
    label = "Toy radio"

    def detects(self, url):
        return url.startswith("toy:")

    def discover(self, source, settings, known=None, stored=None):
        station = source.url.removeprefix("toy:")
        return [
            Episode(
                id=f"toy-{station}",
                source_id=source.source_id,
                source_name=source.name or f"Toy {station}",
                kind=self.name,
                title=f"Wooden trains on {station}",
                url=f"https://toy.example/{station}",
                published=datetime.now(UTC),
            )
        ]

    def fetch(self, episode, folder, settings):
        path = folder / "article.txt"
        path.write_text(TALK)
        return Fetched(episode_id=episode.id, text=str(path))


register(ToyKind())
'''


@pytest.fixture
def toy_kind(tmp_path: Path) -> Iterator[str]:
    """The toy module on sys.path and imported (which registers it); the registry restored after."""
    before = dict(KINDS)
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "toy_radio.py").write_text(TOY_MODULE)
    sys.path.insert(0, str(folder))
    try:
        importlib.import_module("toy_radio")
        yield "toy"
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("toy_radio", None)
        KINDS.clear()
        KINDS.update(before)


def test_the_registry_picks_specific_kinds_before_the_catch_alls(toy_kind: str):
    assert detect_kind("toy:kitchen") == "toy"
    assert detect_kind("https://www.youtube.com/@Channel") == "youtube"
    assert detect_kind("https://example.org/feed.xml") == "podcast"
    assert detect_kind("https://example.org/story") == "article"  # a catch-all for web pages
    assert kind_for_url("recordings/talk.mp3").name == "local"  # and for everything else


def test_a_registered_toy_kind_runs_through_the_digest(toy_kind: str, tmp_path: Path):
    config = write_config(tmp_path, '[[sources]]\nurl = "toy:kitchen"\nall_items = true\n')
    report = weekly_digest(config=str(config))
    assert [(e.title, e.status) for e in report.episodes] == [("Wooden trains on kitchen", "done")]
    assert "Wooden trains on kitchen" in Path(report.newsletter_path).read_text()
    note = (Path(report.newsletter_path).parent / "notes" / "Wooden trains on kitchen.md").read_text()
    assert "[Toy radio](https://toy.example/kitchen)" in note


def test_a_kind_nobody_registered_is_refused_with_the_key(tmp_path: Path):
    settings = load_settings(write_config(tmp_path, '[[sources]]\nurl = "toy:kitchen"\nkind = "toy"\n'))
    with pytest.raises(
        ConfigError, match=r"sources\.0\.kind: unknown source kind 'toy' \(known: article, local"
    ):
        check_kinds(settings)
