"""Two episodes as newsroom sees them: a real English podcast transcript (SRT, speakers written
inline) and auto-captions of a fictional Dutch AI show, written for these tests in the style of
YouTube's (names misspelled on purpose). See tests/data/transcripts/README.md for their origin."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from newsroom.models import Episode, Segment, Transcript
from newsroom.transcripts.captions import parse_srt
from newsroom.transcripts.glossary import Glossary

DATA = Path(__file__).parent / "data" / "transcripts"

# What a user of the Dutch show writes in newsroom.toml for the names the captions get wrong.
DUTCH_GLOSSARY = {
    "OpenAI": ["Open AI", "Opener"],
    "Anthropic": ["Tropic", "Antropic"],
    "Claude Sonnet 4.5": ["clot sonnet 4.5"],
    "Claude": ["clot"],
    "Sam Altman": ["Sam Alman"],
    "Femke Dijkstra": ["Femke Dykstra"],
    "Jorien Bakker": ["Jorien Backer"],
    "Slack": ["slack"],
}
DUTCH_TYPES = {"Femke Dijkstra": "person", "Jorien Bakker": "person"}
DUTCH_TITLE = "Sora 2 en een TikTok vol nepvideo's, Claude Sonnet 4.5 bouwt Slack na, en AI-artiesten"
ENGLISH_TITLE = "10 Things We Wish We Knew Before Starting a Podcast"


def english_episode(description: str = "") -> tuple[Episode, Transcript]:
    # newsroom's SRT reader takes the inline "Travis:" labels as speakers.
    segments = parse_srt((DATA / "podcastindex-example.srt").read_text(encoding="utf-8"))
    episode = Episode(
        id="pod-buzzsprout-10",
        source_id="buzzsprout",
        source_name="Buzzcast",
        kind="podcast",
        title=ENGLISH_TITLE,
        url="https://example.org/buzzcast/10-things",
        media_url="https://example.org/buzzcast/10-things.mp3",
        published=datetime(2026, 11, 24, tzinfo=UTC),
        duration=segments[-1].end,
        description=description,
        language="en",
    )
    transcript = Transcript(
        episode_id=episode.id, language="en", provenance="feed", backend="feed:srt", segments=segments
    )
    return episode, transcript


def dutch_episode(glossary: bool = True) -> tuple[Episode, Transcript]:
    text = (DATA / "nl-ai-podcast-captions.txt").read_text(encoding="utf-8")
    if glossary:  # on the whole text: a misspelling may run over a caption line's end
        text = Glossary.from_mapping(DUTCH_GLOSSARY).correct(text)[0]
    words = text.split()
    per_line, rate = 14, 2.8
    segments = [
        Segment(
            start=round(i / rate, 2),
            end=round((i + per_line) / rate, 2),
            text=" ".join(words[i : i + per_line]),
        )
        for i in range(0, len(words), per_line)
    ]
    episode = Episode(
        id="yt-hX3tR8mWq2c",
        source_id="het-ai-uur",
        source_name="Het AI Uur",
        kind="youtube",
        title=DUTCH_TITLE,
        url="https://www.youtube.com/watch?v=hX3tR8mWq2c",
        video_id="hX3tR8mWq2c",
        published=datetime(2026, 11, 25, tzinfo=UTC),
        duration=segments[-1].end,
        language="nl",
    )
    transcript = Transcript(
        episode_id=episode.id,
        language="nl",
        provenance="captions",
        backend="captions:json3",
        segments=segments,
    )
    return episode, transcript
