"""Issue 12 end to end: a feed with one item per transcript form, and a Dutch episode without one,
through the real weekly digest (Prefect, fetch, transcript, summary, draft), offline."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from flows.weekly_digest import weekly_digest
from newsroom.config import load_settings
from newsroom.store import Store
from tests.conftest import DEMO, require_tool, write_config

DATA = Path(__file__).parent / "data" / "transcripts"
DUTCH = (
    "Goedemorgen en welkom bij de podcast over kunstmatige intelligentie. Vandaag praten we over "
    "taalmodellen die op je eigen laptop draaien. Het weer in Nederland is koud en nat, dus blijf "
    "lekker binnen en luister naar deze aflevering."
)
FORMS = [  # (title, file, type, the speakers its note must show)
    ("Trailers with voices", "podcastindex-example.vtt", "text/vtt", ["Sarah", "Gillian"]),
    ("Rookie mistakes as subtitles", "podcastindex-example.srt", "application/x-subrip", ["Travis", "Sarah"]),
    ("Rookie mistakes on a web page", "podcastindex-example.html", "text/html", ["Travis", "Gilon"]),
    ("A word at a time", "podcastindex-example.json", "application/json", ["Darth Vader", "Luke"]),
    ("Rookie mistakes in plain text", "podcastindex-example.txt", "text/plain", ["Travis", "Sarah"]),
]


def item(i: int, title: str, transcripts: str, enclosure: str = "audio/episode-3.mp3") -> str:
    return (
        f'<item><title>{title}</title><guid isPermaLink="false">form-{i}</guid>'
        f"<link>https://podcast.example.org/episodes/{i}</link>"
        f"<pubDate>Mon, 0{i + 1} Dec 2025 07:00:00 GMT</pubDate>"
        f'<enclosure url="{enclosure}" type="audio/mpeg" length="1000"/>{transcripts}</item>'
    )


def feed(title: str, language: str, items: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>'
        f"<title>{title}</title><language>{language}</language><link>https://podcast.example.org</link>"
        f"{items}</channel></rss>"
    )


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    monkeypatch.setenv("NEWSROOM_MODEL_CACHE", str(tmp_path_factory.getbasetemp() / "models"))
    require_tool("espeak-ng")
    folder = tmp_path / "feeds"
    shutil.copytree(DEMO / "audio", folder / "audio")
    for name in {f for _, f, _, _ in FORMS}:
        shutil.copy(DATA / name, folder / name)
    dead = '<podcast:transcript url="gone.vtt" type="text/vtt"/>'  # listed first, never there
    items = "".join(
        item(
            i,
            title,
            (dead if "subtitles" in title else "") + f'<podcast:transcript url="{name}" type="{mime}"/>',
        )
        for i, (title, name, mime, _) in enumerate(FORMS)
    )
    (folder / "forms.xml").write_text(feed("Buzz FM", "en-us", items))
    subprocess.run(
        ["espeak-ng", "-v", "nl", "-s", "150", "-w", str(folder / "audio" / "nl.wav"), DUTCH], check=True
    )
    (folder / "nl.xml").write_text(feed("Studio NL", "nl", item(8, "Taalmodellen thuis", "", "audio/nl.wav")))
    return write_config(
        tmp_path,
        'title = "Forms Weekly"\n'
        f'[[sources]]\nurl = "{folder / "forms.xml"}"\nkind = "podcast"\nall_items = true\n'
        f'[[sources]]\nurl = "{folder / "nl.xml"}"\nkind = "podcast"\nall_items = true\n',
    )


@pytest.mark.slow
def test_every_form_offline_with_speakers_links_and_dutch(project: Path):
    report = weekly_digest(config=str(project))
    by_title = {e.title: e for e in report.episodes}
    assert [e.status for e in report.episodes] == ["done"] * 6, [e.reason for e in report.episodes]
    forms = {title: by_title[title].transcript_backend for title, *_ in FORMS}
    assert forms == {
        "Trailers with voices": "feed:vtt",
        "Rookie mistakes as subtitles": "feed:srt",
        "Rookie mistakes on a web page": "feed:html",
        "A word at a time": "feed:json",
        "Rookie mistakes in plain text": "feed:plain",
    }
    settings = load_settings(project)
    with Store(settings.library_dir).connect() as db:
        heard = {row[0] for row in db.execute("SELECT episode_id FROM calls WHERE audio_seconds > 0")}
    dutch = by_title["Taalmodellen thuis"]
    assert heard == {dutch.episode_id}  # speech-to-text ran for the Dutch episode only

    # The dead link, then the next transcript, are in the report.
    srt = by_title["Rookie mistakes as subtitles"]
    assert len(srt.fallbacks) == 1 and "gone.vtt (vtt) unreachable" in srt.fallbacks[0]
    folder = Path(report.newsletter_path).parent
    assert "gone.vtt" in (folder / "report.md").read_text()

    # Every note names its speakers, once per turn; no label is left in the words.
    for title, _, _, names in FORMS:
        note = (folder / "notes" / f"{title}.md").read_text()
        for name in names:
            assert f"**{name}:**" in note, (title, name)
        assert not re.search(r"\) (Travis|Sarah|Gilon): ", note)
    vtt_note = (folder / "notes" / "Trailers with voices.md").read_text()
    assert vtt_note.count("**Sarah:**") == 1  # seven cues, two turns
    plain_note = (folder / "notes" / "Rookie mistakes in plain text.md").read_text()
    assert "[00:00]" not in plain_note.split("## Notes")[0]  # untimed: no timestamps

    # Every headline opens the item's page, not the audio.
    newsletter = Path(report.newsletter_path).read_text()
    headlines = re.findall(r"^## \d+\. \[.*\]\((.*)\)$", newsletter, re.M)
    assert len(headlines) == 6
    assert all(re.fullmatch(r"https://podcast\.example\.org/episodes/\d", h) for h in headlines)

    # The Dutch episode: the feed says nl, the multilingual model hears Dutch, nothing is translated.
    transcript = Store(settings.library_dir).load_transcript(dutch.episode_id)
    assert transcript is not None and transcript.language == "nl" and dutch.transcript_backend == "local:base"
    words = set(re.findall(r"\w+", transcript.text.lower()))
    assert len(words & {"nederland", "laptop", "binnen", "luister", "eigen", "vandaag", "welkom"}) >= 3
    assert not words & {"the", "and", "welcome", "today"}
