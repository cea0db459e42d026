"""Real yt-dlp against a loopback web server: direct media, an <audio> page, an RSS feed."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsroom.config import load_settings
from newsroom.models import Episode
from newsroom.net import UnsafeURLError
from newsroom.sources import fetch, ytdlp
from newsroom.transcripts.media import probe_duration
from tests.conftest import DEMO, write_config

AUDIO = DEMO / "audio" / "episode-3.mp3"


def test_direct_media_url_downloads(media_server, tmp_path: Path):
    url = media_server.add("/media/show.mp3", AUDIO, "audio/mpeg")
    path = ytdlp.download_audio(url, tmp_path, "media", network=True)
    assert path.name.startswith("media.") and probe_duration(path) == pytest.approx(
        probe_duration(AUDIO), abs=0.5
    )


def test_page_with_audio_element_downloads(media_server, tmp_path: Path):
    media_server.add("/media/a.mp3", AUDIO, "audio/mpeg")
    page = media_server.add(
        "/episode.html",
        "<html><head><title>Ep 7</title></head><body><h1>Ep 7</h1>"
        '<audio controls src="/media/a.mp3"></audio></body></html>',
    )
    path = ytdlp.download_audio(page, tmp_path, "media", network=True)
    assert probe_duration(path) > 40


def test_rss_feed_lists_entries_with_guids(media_server):
    media_server.add("/media/1.mp3", AUDIO, "audio/mpeg")
    media_server.add("/media/2.mp3", AUDIO, "audio/mpeg")
    base = media_server.base_url
    feed = media_server.add(
        "/feed.xml",
        f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Loop FM</title>
<item><title>Two</title><guid>guid-2</guid><enclosure url="{base}/media/2.mp3" type="audio/mpeg" length="1"/></item>
<item><title>One</title><guid>guid-1</guid><enclosure url="{base}/media/1.mp3" type="audio/mpeg" length="1"/></item>
</channel></rss>""",
        "application/rss+xml",
    )
    entries = ytdlp.list_flat(feed, limit=10, network=True)
    assert [(e["id"], e["title"]) for e in entries] == [("guid-2", "Two"), ("guid-1", "One")]
    assert media_server.fetched("/media/1.mp3") == 0  # a flat listing downloads nothing


def test_missing_and_media_less_pages_fail_with_a_reason(media_server, tmp_path: Path):
    with pytest.raises(ytdlp.MediaUnavailableError, match="404"):
        ytdlp.download_audio(media_server.url("/gone.mp3"), tmp_path, "media", network=True)
    page = media_server.add("/text.html", "<html><body><p>Just words, no media.</p></body></html>")
    with pytest.raises(ytdlp.MediaUnavailableError, match="no downloadable media"):
        ytdlp.download_audio(page, tmp_path, "media", network=True)


def test_loopback_urls_are_refused_unless_allowed(media_server, tmp_path: Path):
    url = media_server.add("/media/x.mp3", AUDIO, "audio/mpeg")
    episode = Episode(
        id="pod-x", source_id="s", source_name="S", kind="podcast", title="X", url=url, media_url=url
    )
    strict = load_settings(write_config(tmp_path / "a", ""))
    with pytest.raises(UnsafeURLError, match="loopback"):
        fetch(episode, tmp_path / "a" / "ep", strict)
    assert media_server.fetched("/media/x.mp3") == 0
    allowed = load_settings(write_config(tmp_path / "b", "allow_private_network = true\n"))
    fetched = fetch(episode, tmp_path / "b" / "ep", allowed)
    assert fetched.media and Path(fetched.media).name.startswith("media.")
