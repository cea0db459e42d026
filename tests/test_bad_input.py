"""Bad input through the whole digest: each bad source or episode fails alone with its reason, the
good one goes out, the next run retries the failures, and gives up after `max_attempts`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.weekly_digest import DigestFailedError, weekly_digest
from newsroom.config import load_settings
from newsroom.store import Store
from tests.conftest import generated_audio, write_config

VTT = """WEBVTT

00:00:00.000 --> 00:00:04.000
Welcome back to Loop FM, where we talk about Antropic and Clot.

00:00:04.000 --> 00:00:09.000
Today Antropic released a model that writes code in a sandbox.

00:00:09.000 --> 00:00:14.000
Our guest explains how teams review pull requests with it before lunch.
"""


def silent_mp3(path: Path) -> bytes:
    return generated_audio(path, "anullsrc=r=16000:cl=mono", 15).read_bytes()


def item(base: str, guid: str, title: str, media: str, transcript: str = "") -> str:
    extra = f'<podcast:transcript url="{base}{transcript}" type="text/vtt"/>' if transcript else ""
    return (
        f"<item><title>{title}</title><guid>{guid}</guid>"
        f"<pubDate>Wed, 18 Nov 2026 08:00:00 GMT</pubDate>"
        f'<enclosure url="{base}{media}" type="audio/mpeg" length="1"/>{extra}</item>'
    )


@pytest.mark.slow
def test_bad_input_fails_alone_is_retried_then_given_up(media_server, tmp_path: Path):
    base = media_server.base_url
    media_server.add("/t/good.vtt", VTT, "text/vtt")
    media_server.add("/a/good.mp3", b"never fetched", "audio/mpeg")
    media_server.add("/a/empty.mp3", b"", "audio/mpeg")
    media_server.add("/a/silent.mp3", silent_mp3(tmp_path / "silent.mp3"), "audio/mpeg")
    media_server.add("/a/corrupt.mp3", b"\x00\x01 definitely not audio " * 200, "audio/mpeg")
    items = [
        item(base, "good", "A good episode", "/a/good.mp3", "/t/good.vtt"),
        item(base, "empty", "Zero bytes", "/a/empty.mp3"),
        item(base, "silent", "Only silence", "/a/silent.mp3"),
        item(base, "corrupt", "Corrupt upload", "/a/corrupt.mp3"),
        item(base, "gone", "Removed file", "/a/gone.mp3"),
    ]
    media_server.add(
        "/feed.xml",
        '<?xml version="1.0"?><rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0">'
        f"<channel><title>Loop FM</title>{''.join(items)}</channel></rss>",
        "application/rss+xml",
    )
    media_server.add("/malformed.xml", "<rss><channel><item><title>broken", "application/rss+xml")
    media_server.add("/landing", "<html><body><nav>Home</nav><p>Hi.</p></body></html>")
    config = write_config(
        tmp_path,
        "allow_private_network = true\nmax_attempts = 2\n"
        '[glossary]\nAnthropic = ["Antropic"]\nClaude = ["Clot"]\n'
        f'[[sources]]\nname = "Loop FM"\nurl = "{base}/feed.xml"\nall_items = true\n'
        f'[[sources]]\nname = "Gone feed"\nurl = "{base}/missing.xml"\nkind = "podcast"\n'
        f'[[sources]]\nname = "Broken feed"\nurl = "{base}/malformed.xml"\nkind = "podcast"\n'
        f'[[sources]]\nname = "Landing page"\nurl = "{base}/landing"\nkind = "article"\n',
    )

    report = weekly_digest(config=str(config))
    sources = {s.name: (s.status, s.reason or "") for s in report.sources}
    assert sources["Loop FM"] == ("ok", "")
    assert sources["Gone feed"][0] == "failed" and "HTTP 404" in sources["Gone feed"][1]
    assert "not a readable RSS/Atom feed" in sources["Broken feed"][1]
    assert "no main text" in sources["Landing page"][1]
    episodes = {e.title: e for e in report.episodes}
    assert episodes["A good episode"].status == "done"
    assert episodes["A good episode"].corrections == {"Anthropic": 2, "Claude": 1}
    reasons = {
        "Zero bytes": "empty",
        "Only silence": "no speech found",
        "Corrupt upload": "not a readable audio file",
        "Removed file": "HTTP 404",
    }
    for title, reason in reasons.items():
        assert episodes[title].status == "failed", title
        assert reason in (episodes[title].reason or ""), (title, episodes[title].reason)
    newsletter = Path(report.newsletter_path).read_text()
    assert "A good episode" in newsletter and "Only silence" not in newsletter

    folder = Path(report.newsletter_path).parent
    report_md = (folder / "report.md").read_text()
    assert "## Glossary corrections" in report_md and "Anthropic x2, Claude x1" in report_md
    report_json = json.loads((folder / "report.json").read_text())
    good = next(e for e in report_json["episodes"] if e["title"] == "A good episode")
    assert good["corrections"] == {"Anthropic": 2, "Claude": 1}
    settings = load_settings(config)
    transcript = json.loads((Store(settings.library_dir).transcript_path(good["episode_id"])).read_text())
    assert transcript["corrections"] == {"Anthropic": 2, "Claude": 1}
    assert "Antropic" not in json.dumps(transcript["segments"])

    # Next run: only the four failures are tried again (every one fails, so the run is marked failed).
    with pytest.raises(DigestFailedError):
        weekly_digest(config=str(config))
    second = Store(settings.library_dir).last_report()
    assert second is not None
    assert sorted(e.title for e in second.episodes if e.status == "failed") == sorted(reasons)
    assert media_server.fetched("/a/good.mp3") == 0

    # Third run: max_attempts = 2 reached; they are reported, not tried.
    third = weekly_digest(config=str(config))
    assert {e.title: e.status for e in third.episodes} == dict.fromkeys(reasons, "skipped")
    assert all("gave up after 2 failed attempts" in (e.reason or "") for e in third.episodes)
