"""YouTube-style sources through real yt-dlp on loopback: discovery limits and spacing, captions first,
the deno fallback, and the reasons given for yt-dlp's failures."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsroom.config import SourceConfig, load_settings
from newsroom.models import Episode
from newsroom.sources import fetch, ytdlp
from newsroom.sources.youtube import discover_youtube
from newsroom.transcripts.glossary import Glossary
from newsroom.transcripts.transcription import transcript_from_text
from tests.conftest import DEMO, write_config

AUDIO = DEMO / "audio" / "episode-3.mp3"
LAST_MODIFIED = {"Last-Modified": "Wed, 18 Nov 2026 10:00:00 GMT"}


def settings_for(tmp_path: Path, extra: str = ""):
    return load_settings(
        write_config(tmp_path, f"allow_private_network = true\n[youtube]\nrequest_interval = 0.3\n{extra}")
    )


def channel(media_server, titles: list[str]) -> str:
    """A loopback 'channel': a feed yt-dlp lists flat, one media URL per video."""
    base = media_server.base_url
    items = ""
    for n, title in enumerate(titles, start=1):
        media_server.add(f"/v/{n}.mp3", AUDIO, "audio/mpeg", headers=LAST_MODIFIED)
        items += (
            f"<item><title>{title}</title><guid>vid{n}</guid>"
            f'<enclosure url="{base}/v/{n}.mp3" type="audio/mpeg" length="1"/></item>'
        )
    return media_server.add(
        "/channel.xml",
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Loop TV</title>{items}</channel></rss>',
        "application/rss+xml",
    )


def metadata_requests(media_server) -> list[tuple[str, float]]:
    return [(r[1], r.at) for r in media_server.requests if r[1].startswith("/v/")]


def test_discovery_caps_spaces_and_skips_known_videos(media_server, tmp_path: Path):
    url = channel(
        media_server,
        ["Sent last week", "Stored earlier", "Fresh one", "Clip #shorts", "Fresh two", "Over the cap"],
    )
    settings = settings_for(tmp_path)
    source = SourceConfig(url=url, kind="youtube", exclude=["#shorts"], max_items=4)
    stored_episode = Episode(
        id="yt-vid2",
        source_id=source.source_id,
        source_name="Loop TV",
        kind="youtube",
        title="Stored earlier",
        url="https://example.org/stored",
        published=datetime(2026, 11, 17, tzinfo=UTC),
        video_id="vid2",
    )
    episodes = discover_youtube(
        source,
        settings,
        known=lambda eid: eid == "yt-vid1",
        stored=lambda eid: stored_episode if eid == "yt-vid2" else None,
    )
    assert [e.id for e in episodes] == ["yt-vid2", "yt-vid3", "yt-vid4", "yt-vid5"]  # max_items=4
    by_id = {e.id: e for e in episodes}
    assert by_id["yt-vid3"].published == datetime(2026, 11, 18, 10, tzinfo=UTC)  # from the metadata request
    assert by_id["yt-vid4"].published is None  # excluded by title: no request spent on it
    # One metadata request per new, wanted video; none for the sent, the stored, the excluded or the 6th.
    requested = metadata_requests(media_server)
    assert [p for p, _ in requested] == ["/v/3.mp3", "/v/5.mp3"]
    assert requested[1][1] - requested[0][1] >= 0.3  # youtube.request_interval


ROLLING_VTT = """WEBVTT

00:00:00.000 --> 00:00:02.000
welcome to the show

00:00:02.000 --> 00:00:04.000
welcome to the show
today we talk about clot

00:00:04.000 --> 00:00:06.000
today we talk about clot
from antropic
"""


def video_page(media_server, path: str, title: str, with_track: bool) -> str:
    media_server.add(f"{path}.mp3", AUDIO, "audio/mpeg")
    media_server.add(f"{path}.vtt", ROLLING_VTT, "text/vtt")
    track = f'<track kind="captions" srclang="en" src="{path}.vtt">' if with_track else ""
    return media_server.add(
        f"{path}.html",
        f"<html><head><title>{title}</title></head><body><video controls>"
        f'<source src="{path}.mp3" type="audio/mpeg">{track}</video></body></html>',
    )


def youtube_episode(url: str, title: str = "Video", language: str | None = "en") -> Episode:
    return Episode(
        id="yt-abc123",
        source_id="s",
        source_name="Loop TV",
        kind="youtube",
        title=title,
        url=url,
        media_url=url,
        video_id="abc123",
        language=language,
    )


def test_captions_are_used_before_audio_and_rolling_duplicates_removed(media_server, tmp_path: Path):
    page = video_page(media_server, "/cap", "With captions", with_track=True)
    settings = settings_for(tmp_path)
    folder = tmp_path / "ep"
    fetched = fetch(youtube_episode(page), folder, settings)
    assert fetched.kind == "captions" and fetched.captions_format == "manual:vtt"
    assert Path(fetched.captions).name == "captions.en.vtt"  # named from the id, not the title
    assert media_server.fetched("/cap.mp3") == 0  # no audio downloaded
    glossary = Glossary.from_mapping({"Claude": ["clot"], "Anthropic": ["antropic"]})
    transcript = transcript_from_text(youtube_episode(page), fetched, glossary)
    assert transcript is not None and transcript.provenance == "captions"
    assert transcript.text == "welcome to the show today we talk about Claude from Anthropic"
    assert transcript.corrections == {"Claude": 1, "Anthropic": 1}
    assert all(a.end <= b.start for a, b in itertools.pairwise(transcript.segments))


def test_without_deno_youtube_falls_back_to_captions_only(media_server, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(ytdlp, "deno_available", lambda: False)
    settings = settings_for(tmp_path)
    page = video_page(media_server, "/nocap", "No captions", with_track=False)
    with pytest.raises(ytdlp.MediaUnavailableError, match="needs a JavaScript runtime: install deno"):
        fetch(youtube_episode(page), tmp_path / "a", settings)
    assert media_server.fetched("/nocap.mp3") == 0  # no doomed download attempt
    assert "deno" in (ytdlp.youtube_runtime_warning() or "")
    # Captions still work without deno.
    with_track = video_page(media_server, "/cap2", "Captions", with_track=True)
    assert fetch(youtube_episode(with_track), tmp_path / "b", settings).kind == "captions"


def test_with_deno_a_video_without_captions_downloads_audio_named_by_id(
    media_server, tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(ytdlp, "deno_available", lambda: True)
    settings = settings_for(tmp_path)
    page = video_page(media_server, "/dl", "../../etc/passwd; rm -rf ~", with_track=False)
    folder = tmp_path / "ep"
    fetched = fetch(youtube_episode(page, title="../../etc/passwd; rm -rf ~"), folder, settings)
    assert fetched.kind == "media" and Path(fetched.media).parent == folder
    assert sorted(p.name for p in folder.iterdir()) == ["media.mp3"]


def test_choose_captions_prefers_manual_then_original_auto_never_a_translation():
    def track(ext: str, lang: str) -> dict[str, str]:
        return {"ext": ext, "url": f"https://x/{lang}.{ext}"}

    dutch_video = {
        "subtitles": {"live_chat": [track("json", "chat")]},
        "automatic_captions": {
            "nl-orig": [track("srv3", "nl-orig"), track("vtt", "nl-orig"), track("json3", "nl-orig")],
            "nl": [track("json3", "nl")],
            "en": [track("json3", "en")],  # YouTube's machine translation
        },
    }
    assert ytdlp.choose_captions(dutch_video, "nl", ["en"]) == ("nl", "auto", track("json3", "nl-orig"))
    assert ytdlp.choose_captions(dutch_video, "nl-NL", ["en"])[0] == "nl"
    assert ytdlp.choose_captions(dutch_video, "en", ["en"]) is None  # only a translation exists
    assert ytdlp.choose_captions(dutch_video, None, ["en"])[:2] == ("nl", "auto")  # the original
    manual = {**dutch_video, "subtitles": {"nl-NL": [track("vtt", "nl-NL")], "en": [track("vtt", "en")]}}
    assert ytdlp.choose_captions(manual, "nl", ["en"]) == ("nl-NL", "manual", track("vtt", "nl-NL"))
    assert ytdlp.choose_captions(manual, None, ["en"])[:2] == ("en", "manual")
    other_site = {"automatic_captions": {"de": [track("vtt", "de")]}}
    assert ytdlp.choose_captions(other_site, "de", []) == ("de", "auto", track("vtt", "de"))
    assert ytdlp.choose_captions({"subtitles": {"nl": [track("ttml", "nl")]}}, "nl", []) is None


# Messages as yt-dlp prints them for YouTube (which cannot be reached from here), and what we report.
YT_DLP_MESSAGES = [
    (
        "ERROR: [youtube] dQw4w9WgXcQ: Private video. Sign in if you've been granted access to this video. "
        "Use --cookies-from-browser or --cookies for the authentication.",
        "private video",
    ),
    ("ERROR: [youtube] abc: Video unavailable. This video has been removed by the uploader", "removed"),
    (
        "ERROR: [youtube] abc: Video unavailable. This video is no longer available because the YouTube "
        "account associated with this video has been terminated.",
        "removed",
    ),
    ("ERROR: [youtube] abc: The uploader has not made this video available in your country", "geo-blocked"),
    (
        "ERROR: [youtube] abc: This video is not available from your location due to geo restriction",
        "geo-blocked",
    ),
    (
        "ERROR: [youtube] abc: Sign in to confirm you\u2019re not a bot. Use --cookies-from-browser or "
        "--cookies for the authentication.",
        "bot check",
    ),
    (
        "ERROR: [youtube] abc: Join this channel to get access to members-only content like this video, "
        "and other exclusive perks.",
        "members-only",
    ),
    (
        "ERROR: [youtube] abc: Sign in to confirm your age. This video may be inappropriate for some users.",
        "age-restricted",
    ),
    (
        "ERROR: [youtube] abc: Video unavailable. This content isn't available, try again later. The current "
        "session has been rate-limited by YouTube for up to an hour.",
        "rate limited",
    ),
    ("ERROR: [youtube] abc: Premieres in 2 hours", "not out yet"),
    ("ERROR: unable to download video data: HTTP Error 403: Forbidden", "HTTP 403"),
    ("ERROR: [youtube] abc: Requested format is not available. Use --list-formats", "no downloadable media"),
]


@pytest.mark.parametrize(("message", "reason"), YT_DLP_MESSAGES)
def test_explain_names_the_reason(message: str, reason: str):
    explained = ytdlp.explain(Exception(message))
    assert explained.startswith(reason) or reason in explained.split(" (")[0]
    assert "ERROR:" not in explained


def test_http_403_from_the_server_is_explained(media_server, tmp_path: Path):
    url = media_server.add("/forbidden.mp3", b"nope", "text/plain", status=403)
    with pytest.raises(ytdlp.MediaUnavailableError, match="HTTP 403 forbidden"):
        ytdlp.download_audio(url, tmp_path, "media", network=True)
    url = media_server.add("/gone.mp3", b"gone", "text/plain", status=410)
    with pytest.raises(ytdlp.MediaUnavailableError, match="removed or unavailable"):
        ytdlp.download_audio(url, tmp_path, "media", network=True)


def test_language_filter_uses_the_videos_own_language():
    from newsroom.selection import filter_reason
    from newsroom.sources.youtube import episode_from_info

    source = SourceConfig(url="https://www.youtube.com/@loop/videos", language="nl")
    english = episode_from_info({"id": "a1", "title": "Talk", "language": "en"}, source, "https://y/a1")
    unknown = episode_from_info({"id": "a2", "title": "Praat"}, source, "https://y/a2")
    assert filter_reason(english, source) == "language en is not nl"
    assert (
        unknown.language == "nl" and filter_reason(unknown, source) is None
    )  # spoken language: the source's


@pytest.mark.slow
def test_digest_notes_the_missing_runtime_and_fails_captionless_videos_alone(
    media_server, tmp_path: Path, monkeypatch
):
    from flows.weekly_digest import DigestFailedError, weekly_digest

    monkeypatch.setattr(ytdlp, "deno_available", lambda: False)
    url = channel(media_server, ["Captionless video"])
    config = write_config(
        tmp_path,
        "allow_private_network = true\n[youtube]\nrequest_interval = 0\n"
        f'[[sources]]\nurl = "{url}"\nkind = "youtube"\nall_items = true\n',
    )
    with pytest.raises(DigestFailedError, match="needs a JavaScript runtime"):
        weekly_digest(config=str(config))
    from newsroom.store import Store

    report = Store(load_settings(config).library_dir).last_report()
    assert report is not None and any("deno is not installed" in n for n in report.notes)
    [failed] = report.episodes
    assert failed.episode_id == "yt-vid1" and failed.stage == "fetch"
    folder = Store(load_settings(config).library_dir).episode_dir("yt-vid1")
    assert not list(folder.glob("media.*"))  # no doomed download attempt
