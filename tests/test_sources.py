"""Podcast feeds, web articles and local folders, read over real HTTP from the loopback server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from newsroom.config import SourceConfig, load_settings
from newsroom.models import stable_id
from newsroom.net import FetchError, UnsafeURLError
from newsroom.sources import SourceError, discover, fetch, kind_of
from newsroom.sources.article import NoMainTextError
from newsroom.transcripts.glossary import Glossary
from newsroom.transcripts.transcription import transcript_from_text
from tests.conftest import DEMO, write_config

AUDIO = DEMO / "audio" / "episode-3.mp3"

SRT = "1\n00:00:00,500 --> 00:00:03,000\nWelcome to Loop FM.\n\n2\n00:00:03,000 --> 00:00:06,250\nToday: Antropic news.\n"
PODCAST_JSON = json.dumps(
    {
        "version": "1.0.0",
        "segments": [
            {"speaker": "Host", "startTime": 0.0, "endTime": 2.5, "body": "Hello from the JSON transcript."},
            {"speaker": "Guest", "startTime": 2.5, "endTime": 5.0, "body": "Clot writes code now."},
        ],
    }
)


def feed_xml(base: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"
     xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Loop FM</title><language>en-us</language>
<item><title>With a JSON transcript</title><guid isPermaLink="false">loop-001</guid>
  <pubDate>Wed, 18 Nov 2026 08:00:00 GMT</pubDate><itunes:duration>00:55</itunes:duration>
  <enclosure url="{base}/audio/1.mp3" type="audio/mpeg" length="1"/>
  <podcast:transcript url="{base}/t/1.json" type="application/json"/>
  <podcast:transcript url="{base}/t/1.html" type="text/html"/>
</item>
<item><title>With an SRT transcript, no guid</title>
  <pubDate>Tue, 17 Nov 2026 08:00:00 GMT</pubDate><itunes:duration>1:02:05</itunes:duration>
  <enclosure url="{base}/audio/2.mp3" type="audio/mpeg" length="1"/>
  <podcast:transcript url="{base}/t/2.srt" type="application/x-subrip"/>
</item>
<item><title>Audio only, no guid</title>
  <enclosure url="{base}/audio/3.mp3" type="audio/mpeg" length="1"/>
</item>
</channel></rss>"""


def settings_for(tmp_path: Path, extra: str = ""):
    return load_settings(write_config(tmp_path, "allow_private_network = true\n" + extra))


def test_feed_ids_metadata_and_podcast_transcripts(media_server, tmp_path: Path):
    base = media_server.base_url
    url = media_server.add("/feed.xml", feed_xml(base), "application/rss+xml")
    media_server.add("/t/1.json", PODCAST_JSON, "application/json")
    media_server.add("/t/2.srt", SRT, "application/x-subrip")
    settings = settings_for(tmp_path)
    source = SourceConfig(url=url)
    assert kind_of(source).name == "podcast"
    episodes = discover(source, settings)
    assert [e.title for e in episodes] == [
        "With a JSON transcript",
        "With an SRT transcript, no guid",
        "Audio only, no guid",
    ]
    first, second, third = episodes
    # guid-based ids; without a guid, the enclosure URL's hash (stable across runs and title edits).
    assert first.id == stable_id("pod", "", "loop-001")
    assert second.id == stable_id("pod", url, f"{base}/audio/2.mp3")
    assert third.id == stable_id("pod", url, f"{base}/audio/3.mp3")
    assert [e.id for e in discover(source, settings)] == [e.id for e in episodes]
    assert first.duration == 55 and second.duration == 3725 and first.language == "en"
    assert first.published is not None and first.published.isoformat() == "2026-11-18T08:00:00+00:00"
    assert first.media_url == f"{base}/audio/1.mp3"

    glossary = Glossary.from_mapping({"Anthropic": ["Antropic"], "Claude": ["Clot"]})
    expected = {
        first.id: (
            "feed:json",
            ["Hello from the JSON transcript.", "Claude writes code now."],
            {"Claude": 1},
        ),
        second.id: ("feed:srt", ["Welcome to Loop FM.", "Today: Anthropic news."], {"Anthropic": 1}),
    }
    for episode in (first, second):
        fetched = fetch(episode, tmp_path / episode.id, settings)
        assert fetched.kind == "transcript"
        transcript = transcript_from_text(episode, fetched, glossary)
        assert transcript is not None and transcript.provenance == "feed"
        backend, texts, corrections = expected[episode.id]
        assert transcript.backend == backend
        assert [s.text for s in transcript.segments] == texts
        assert transcript.corrections == corrections
    assert media_server.fetched("/audio/1.mp3") == media_server.fetched("/audio/2.mp3") == 0
    assert media_server.fetched("/t/1.html") == 0  # untimed HTML is the last resort, not needed here

    media_server.add("/audio/3.mp3", AUDIO, "audio/mpeg")
    fetched = fetch(third, tmp_path / third.id, settings)
    assert fetched.kind == "media" and Path(fetched.media).name == "media.mp3"


def test_a_broken_transcript_link_falls_back_to_the_audio(media_server, tmp_path: Path):
    base = media_server.base_url
    url = media_server.add("/feed.xml", feed_xml(base), "application/rss+xml")
    media_server.add("/audio/1.mp3", AUDIO, "audio/mpeg")  # /t/1.json is a 404 now
    episode = discover(SourceConfig(url=url), settings_for(tmp_path))[0]
    fetched = fetch(episode, tmp_path / "ep", settings_for(tmp_path))
    assert fetched.kind == "media"


def test_missing_malformed_and_private_feeds_fail_with_reasons(media_server, tmp_path: Path):
    settings = settings_for(tmp_path)
    with pytest.raises(FetchError, match="HTTP 404"):
        discover(SourceConfig(url=media_server.url("/nope.xml")), settings)
    bad = media_server.add("/bad.xml", "<html><body>Not a feed <b>at all", "application/rss+xml")
    with pytest.raises(SourceError, match="not a readable RSS/Atom feed"):
        discover(SourceConfig(url=bad), settings)
    good = media_server.add("/feed.xml", feed_xml(media_server.base_url), "application/rss+xml")
    strict = load_settings(write_config(tmp_path / "strict", ""))
    with pytest.raises(UnsafeURLError, match="loopback"):
        discover(SourceConfig(url=good), strict)
    assert media_server.fetched("/feed.xml") == 0


ARTICLE = """<!doctype html><html lang="en"><head><title>Small models win | Loop News</title>
<meta name="author" content="Ada Lovelace">
<meta property="article:published_time" content="2026-11-19T09:30:00+00:00">
<meta property="og:title" content="Small models win"></head>
<body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article><h1>Small models win</h1>
<p>Small speech models now run on an ordinary laptop, and the newsroom uses one every week to turn
podcast episodes into text before anyone reads them.</p>
<p>The editors compared the small model with a large hosted one on twenty episodes and found the
difference in accuracy small enough that the cost saving wins for a weekly newsletter.</p>
<p>Next month they will test Dutch episodes, which need a multilingual model instead of the English one.</p>
</article><footer>Copyright Loop News. Subscribe to our newsletter.</footer></body></html>"""


def test_article_title_author_date_and_main_text(media_server, tmp_path: Path):
    url = media_server.add("/blog/small-models", ARTICLE)
    source = SourceConfig(url=url)
    assert kind_of(source).name == "article"
    [episode] = discover(source, settings_for(tmp_path))
    assert episode.kind == "article" and episode.media_url is None
    assert episode.title == "Small models win" and episode.author == "Ada Lovelace"
    assert episode.published is not None and episode.published.date().isoformat() == "2026-11-19"
    assert "ordinary laptop" in (episode.text or "") and "Subscribe" not in (episode.text or "")
    fetched = fetch(episode, tmp_path / "ep", settings_for(tmp_path))
    transcript = transcript_from_text(episode, fetched, Glossary.from_mapping({}))
    assert transcript is not None and transcript.provenance == "article"
    paragraphs = [s.text for s in transcript.segments]
    assert paragraphs[0] == "Small models win"  # the heading, then one segment per paragraph
    assert [p.split()[0] for p in paragraphs[1:]] == ["Small", "The", "Next"]


def test_a_page_without_main_text_is_refused(media_server, tmp_path: Path):
    url = media_server.add(
        "/landing", "<html><body><nav><a href='/a'>A</a></nav><p>Welcome!</p><footer>x</footer></body></html>"
    )
    with pytest.raises(NoMainTextError, match="no main text"):
        discover(SourceConfig(url=url), settings_for(tmp_path))


def test_local_folder_lists_media_files_with_stable_ids(tmp_path: Path):
    folder = tmp_path / "recordings"
    (folder / "nested").mkdir(parents=True)
    shutil.copyfile(AUDIO, folder / "team_meeting-2026.mp3")
    shutil.copyfile(AUDIO, folder / "nested" / "interview.mp3")
    (folder / "notes.txt").write_text("not media")
    settings = settings_for(tmp_path)
    source = SourceConfig(url=str(folder), language="en")
    assert kind_of(source).name == "local"
    episodes = discover(source, settings)
    assert sorted(e.title for e in episodes) == ["interview", "team meeting 2026"]
    assert all(e.id.startswith("file-") and e.language == "en" for e in episodes)
    assert [e.id for e in discover(source, settings)] == [e.id for e in episodes]
    fetched = fetch(episodes[0], tmp_path / "ep", settings)
    assert fetched.media is not None and Path(fetched.media).parent.parent == folder  # used in place
    with pytest.raises(SourceError, match="no such file or folder"):
        discover(SourceConfig(url=str(tmp_path / "missing"), kind="local"), settings)
