"""Every Podcasting 2.0 transcript form, read from the spec's real examples: words, times, speakers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsroom.config import load_settings
from newsroom.models import Episode, Segment, TimedText
from newsroom.newsletter.notes import speaker_turns
from newsroom.sources.fetching import fetch_feed_transcript
from newsroom.summaries.grounding import TranscriptIndex, ground_quotes
from newsroom.summaries.mapreduce import Chunk
from newsroom.transcripts.captions import CaptionError, parse_transcript
from newsroom.transcripts.formats import group_words, split_speaker
from tests.conftest import write_config

DATA = Path(__file__).parent / "data" / "transcripts"


def example(suffix: str) -> str:
    return (DATA / f"podcastindex-example.{suffix}").read_text(encoding="utf-8")


def speakers(segments: list[Segment]) -> list[str | None]:
    """The speaker of each turn, in order."""
    return [who for who, _ in speaker_turns(segments) if who]


def test_vtt_voice_spans_are_speakers_not_words():
    segments = parse_transcript(example("vtt"), "text/vtt")
    assert speakers(segments) == ["Sarah", "Gillian"]
    assert segments[0] == Segment(
        start=0.0, end=2.76, text="In today's episode, you'll learn whether or not you", speaker="Sarah"
    )
    assert not any("<v" in s.text or "Sarah>" in s.text for s in segments)


def test_srt_name_labels_leave_the_text_and_hold_until_the_next():
    segments = parse_transcript(example("srt"), "application/x-subrip")
    assert len(segments) == 222
    assert segments[0].text == "When you first get started in podcasting, it's"
    assert segments[0].speaker == segments[1].speaker == "Travis"  # the label opens a turn
    assert set(speakers(segments)) == {"Travis", "Sarah", "Gilon"}
    # The labels were taken for words before ("Sarah Creating" became a person).
    assert not any(s.text.startswith(("Travis:", "Sarah:", "Gilon:")) for s in segments)
    sarah = next(s for s in segments if s.speaker == "Sarah")
    assert sarah.text.startswith("Creating good audio")


def test_html_cite_time_and_paragraphs():
    segments = parse_transcript(example("html"), "text/html")
    assert speakers(segments)[:4] == ["Travis", "Sarah", "Travis", "Gilon"]
    sarah = next(s for s in segments if s.speaker == "Sarah")
    assert sarah.start == 53.0 and sarah.text.startswith("Creating good audio is really key")
    assert sarah.end == 102.0  # where the next turn (1:42) starts
    assert max(s.start for s in segments) == 11 * 60 + 31
    assert not any("&#39;" in s.text or "<" in s.text for s in segments)


def test_word_level_json_becomes_lines_timed_by_their_first_word():
    segments = parse_transcript(example("json"), "application/json")
    assert segments == [
        Segment(start=0.5, end=2.5, text="I am your father.", speaker="Darth Vader"),
        Segment(start=2.75, end=3.0, text="Nooooo", speaker="Luke"),
    ]


def test_grouping_breaks_at_pauses_and_keeps_sentence_segments():
    words = [Segment(start=i, end=i + 0.5, text=w) for i, w in enumerate(["so", "we", "begin"])]
    later = [Segment(start=10.0, end=10.4, text="again"), Segment(start=11, end=14, text="A whole sentence.")]
    assert [(s.start, s.text) for s in group_words(words + later)] == [
        (0, "so we begin"),
        (10.0, "again"),
        (11, "A whole sentence."),
    ]


def test_plain_text_is_untimed_with_speakers():
    segments = parse_transcript(example("txt"), "text/plain")
    assert speakers(segments) == ["Travis", "Sarah", "Travis", "Gilon"]
    assert all(s.start == 0 and s.end == 0 for s in segments)
    assert segments[0].text.startswith("When you first get started")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Sarah: hello there", ("Sarah", "hello there")),
        ("Jan de Vries: goedemorgen", ("Jan de Vries", "goedemorgen")),
        ("SPEAKER 1: yes", ("SPEAKER 1", "yes")),
        ("Note: this is not a person", (None, "Note: this is not a person")),
        ("So what I mean is: this", (None, "So what I mean is: this")),
        ("At 10:30 we start", (None, "At 10:30 we start")),
    ],
)
def test_speaker_labels(line, expected):
    assert split_speaker(line) == expected


def test_a_lone_label_like_phrase_in_a_file_without_speakers_stays_words():
    srt = "1\n00:00:01,000 --> 00:00:02,000\nWelcome to Loop FM.\n\n2\n00:00:02,000 --> 00:00:04,000\nMarket update: Anthropic news.\n"
    assert [(s.speaker, s.text) for s in parse_transcript(srt, "srt")] == [
        (None, "Welcome to Loop FM."),
        (None, "Market update: Anthropic news."),
    ]


def test_an_empty_or_broken_transcript_is_a_clear_error():
    with pytest.raises(CaptionError, match="no <p> paragraphs"):
        parse_transcript("<html><body>nothing</body></html>", "text/html")
    with pytest.raises(CaptionError, match="malformed JSON"):
        parse_transcript("{not json", "application/json")


def test_quotes_carry_their_speaker_and_the_model_reads_turns():
    segments = parse_transcript(example("vtt"), "text/vtt")
    index = TranscriptIndex.build(segments)
    kept, dropped = ground_quotes([TimedText(text="Gillian here from breaking through", timestamp=0)], index)
    assert dropped == 0 and kept[0].speaker == "Gillian" and kept[0].timestamp == 19.08
    lines = Chunk(tuple(segments), 0).lines().splitlines()
    assert lines[0] == "[0] Sarah: In today's episode, you'll learn whether or not you"
    assert lines[1].startswith("[3] should have")  # once per turn
    assert lines[5].startswith("[19] Gillian: Hi Buzzsprout")


def test_a_dead_or_unreadable_link_falls_to_the_next_with_its_reason(tmp_path: Path):
    folder = tmp_path / "ep"
    folder.mkdir()
    (tmp_path / "login.vtt").write_text("<!DOCTYPE html><html><body>Please log in</body></html>")
    (tmp_path / "good.srt").write_text(example("srt"))
    settings = load_settings(write_config(tmp_path, ""))
    episode = Episode(
        id="pod-x",
        source_id="s",
        source_name="S",
        kind="podcast",
        title="T",
        url="https://example.org/ep",
        transcript_urls=[
            (str(tmp_path / "missing.vtt"), "text/vtt"),
            (str(tmp_path / "login.vtt"), "text/vtt"),
            (str(tmp_path / "good.srt"), "application/x-subrip"),
            (str(tmp_path / "x.pdf"), "application/pdf"),
        ],
    )
    fetched, passed = fetch_feed_transcript(episode, folder, settings)
    assert fetched is not None and fetched.transcript_format == "srt"
    assert fetched.fallbacks == passed and len(passed) == 2
    assert "missing.vtt (vtt) unreachable" in passed[0] and "file not found" in passed[0]
    assert "login.vtt (vtt) unreadable: an HTML page" in passed[1]
    assert json.loads(fetched.model_dump_json())["fallbacks"] == passed
