"""Transcripts that exist already, and the glossary's deterministic corrections."""

from __future__ import annotations

import itertools
import json

import pytest

from newsroom.models import Segment
from newsroom.transcripts.captions import CaptionError, parse_transcript, remove_rolling_duplicates
from newsroom.transcripts.glossary import Glossary

ROLLING_VTT = """WEBVTT
Kind: captions
Language: en

00:00:00.000 --> 00:00:02.000 align:start position:0%
welcome<00:00:00.500><c> to</c><00:00:01.000><c> the</c><00:00:01.500><c> show</c>

00:00:02.000 --> 00:00:02.010 align:start position:0%
welcome to the show

00:00:02.010 --> 00:00:04.000 align:start position:0%
welcome to the show
today<00:00:02.500><c> we</c><00:00:03.000><c> talk</c><00:00:03.500><c> about</c>

00:00:04.000 --> 00:00:04.010 align:start position:0%
today we talk about

00:00:04.010 --> 00:00:06.000 align:start position:0%
today we talk about
clot<00:00:04.500><c> from</c><00:00:05.000><c> antropic</c>
"""


def test_vtt_rolling_captions_keep_each_word_once():
    segments = remove_rolling_duplicates(parse_transcript(ROLLING_VTT, "vtt"))
    text = " ".join(s.text for s in segments)
    assert text == "welcome to the show today we talk about clot from antropic"
    assert [s.start for s in segments] == [0.0, 2.01, 4.01]
    assert all(a.end <= b.start for a, b in itertools.pairwise(segments))


def test_json3_with_rolling_events():
    events = {
        "events": [
            {"tStartMs": 0, "dDurationMs": 2000, "segs": [{"utf8": "hello"}, {"utf8": " world"}]},
            {"tStartMs": 2000, "dDurationMs": 10, "segs": [{"utf8": "\n"}]},
            {"tStartMs": 2000, "dDurationMs": 2000, "segs": [{"utf8": "hello world"}, {"utf8": " and more"}]},
        ]
    }
    segments = remove_rolling_duplicates(parse_transcript(json.dumps(events), "json3"))
    assert [(s.start, s.text) for s in segments] == [(0.0, "hello world"), (2.0, "and more")]


def test_srt_and_podcast_json():
    srt = "1\n00:00:01,500 --> 00:00:03,000\nFirst line\n\n2\n00:00:03,000 --> 00:00:05,250\nSecond <i>line</i>\n"
    assert [(s.start, s.end, s.text) for s in parse_transcript(srt, "application/x-subrip")] == [
        (1.5, 3.0, "First line"),
        (3.0, 5.25, "Second line"),
    ]
    data = json.dumps(
        {
            "version": "1.0.0",
            "segments": [{"startTime": 0.5, "endTime": 2, "body": "Hi there", "speaker": "A"}],
        }
    )
    # The speaker is kept (issue 12): who talks, out of the words.
    assert parse_transcript(data, "application/json")[0] == Segment(
        start=0.5, end=2, text="Hi there", speaker="A"
    )


@pytest.mark.parametrize(
    ("data", "fmt"), [("not a vtt", "vtt"), ("{", "json"), ("WEBVTT\n\n", "vtt"), ("x", "docx")]
)
def test_bad_transcripts_raise_caption_error(data: str, fmt: str):
    with pytest.raises(CaptionError):
        parse_transcript(data, fmt)


def test_glossary_is_word_bounded_case_aware_and_counted():
    g = Glossary.from_mapping({"Anthropic": ["antropic", "En Tropic"], "Claude": ["Clot", "clot son"]})
    text, counts = g.correct(
        "En Tropic ships clot son net 4.5; Antropic's Clot, not a clot or cloth. en tropic"
    )
    assert text == "Anthropic ships Claude net 4.5; Anthropic's Claude, not a clot or cloth. en tropic"
    assert counts == {"Anthropic": 2, "Claude": 2}
    segments, total = g.correct_segments(
        [Segment(start=0, end=1, text="antropic"), Segment(start=1, end=2, text="ok")]
    )
    assert segments[0].text == "Anthropic" and total == {"Anthropic": 1}
    assert g.prompt_hint() == "Anthropic, Claude"
