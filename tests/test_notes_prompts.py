"""The transcript note's timestamp links, and what goes into speech-to-text prompts."""

from __future__ import annotations

import re
from pathlib import Path

from newsroom.config import load_settings
from newsroom.models import Episode, Segment, Transcript
from newsroom.newsletter.notes import transcript_note, write_episode_notes
from newsroom.store import Store
from newsroom.tokens import count_tokens
from newsroom.transcripts.stt import LocalWhisper, OpenAITranscriber
from tests.conftest import write_config

LINK = re.compile(r"^\[([\d:]+)\]\((\S+)\) (.+)$", re.MULTILINE)


def note_for(episode: Episode, tmp_path: Path) -> str:
    transcript = Transcript(
        episode_id=episode.id,
        provenance="asr",
        backend="local:tiny.en",
        segments=[
            Segment(start=0.0, end=4.2, text="Welcome to the show."),
            Segment(start=65.4, end=70.0, text="Claude writes code [in a sandbox]."),
            Segment(start=3725.9, end=3730.0, text="Goodbye."),
        ],
        corrections={"Claude": 1},
    )
    return transcript_note(episode, transcript, None, [], load_settings(write_config(tmp_path, "")))


def test_youtube_note_links_every_line_to_its_second(tmp_path: Path):
    episode = Episode(
        id="yt-abc123",
        source_id="s",
        source_name="Loop TV",
        kind="youtube",
        title="A video",
        url="https://www.youtube.com/watch?v=abc123",
        video_id="abc123",
    )
    note = note_for(episode, tmp_path)
    lines = LINK.findall(note)
    assert [(shown, link) for shown, link, _ in lines] == [
        ("00:00", "https://www.youtube.com/watch?v=abc123&t=0s"),
        ("01:05", "https://www.youtube.com/watch?v=abc123&t=65s"),
        ("1:02:05", "https://www.youtube.com/watch?v=abc123&t=3725s"),
    ]
    assert "Claude writes code \\[in a sandbox\\]." in note  # Markdown in transcripts is escaped
    assert "**Source:** [YouTube](https://www.youtube.com/watch?v=abc123)" in note
    assert "**Video ID:** abc123" in note and "#youtube" in note
    for section in ("## Transcript", "## Notes", "## Key Takeaways", "## Related"):
        assert section in note


def test_podcast_note_links_into_the_audio_with_a_media_fragment(tmp_path: Path):
    episode = Episode(
        id="pod-1",
        source_id="s",
        source_name="Loop FM",
        kind="podcast",
        title="An episode",
        url="https://loop.fm/episodes/1",
        media_url="https://cdn.loop.fm/1.mp3#ignored",
    )
    links = [link for _, link, _ in LINK.findall(note_for(episode, tmp_path))]
    assert links == [
        "https://cdn.loop.fm/1.mp3#t=0",
        "https://cdn.loop.fm/1.mp3#t=65",
        "https://cdn.loop.fm/1.mp3#t=3725",
    ]


def test_what_the_user_writes_in_a_library_note_survives_a_refresh(tmp_path: Path):
    """The library's transcript.md is an Obsidian note too: refreshing it (new Related links when
    the week's issue is drafted) keeps what was written under Notes."""
    settings = load_settings(write_config(tmp_path, ""))
    store = Store(settings.library_dir)
    episode = Episode(
        id="pod-1", source_id="s", source_name="Loop FM", kind="podcast", title="An episode",
        url="https://loop.fm/episodes/1",
    )  # fmt: skip
    store.upsert_episode(episode)
    transcript = Transcript(
        episode_id=episode.id, provenance="feed", backend="feed:vtt",
        segments=[Segment(start=0.0, end=4.0, text="Welcome to the show.")],
    )  # fmt: skip
    [note] = write_episode_notes(store, episode, transcript, None, settings)
    mine = "Ask the hosts about the sandbox.\n\n### Follow-up\n- read the paper"
    note.write_text(note.read_text().replace("## Notes\n", f"## Notes\n{mine}\n", 1))
    write_episode_notes(store, episode, transcript, None, settings)
    refreshed = note.read_text()
    assert f"## Notes\n{mine}\n" in refreshed and refreshed.count(mine) == 1
    assert "Welcome to the show." in refreshed


def test_prompts_keep_the_previous_words_within_each_models_limit(tmp_path: Path):
    glossary = ", ".join(f"Product{n} Name{n}" for n in range(200))  # far too long for whisper-1
    previous = "and that is why the sandbox matters so much to the team"
    whisper1 = OpenAITranscriber(
        load_settings(
            write_config(
                tmp_path / "a",
                '[transcription]\nbase_url = "http://127.0.0.1:9/v1"\nopenai_model = "whisper-1"\n',
            )
        )
    )
    prompt = whisper1.fit_prompt(glossary, previous)
    assert prompt is not None and prompt.endswith(previous)
    assert count_tokens(prompt, "whisper-1") <= 200 < 224  # whisper-1 reads only the last 224 tokens
    gpt4o = OpenAITranscriber(
        load_settings(
            write_config(
                tmp_path / "b",
                '[transcription]\nbase_url = "http://127.0.0.1:9/v1"\nopenai_model = "gpt-4o-transcribe"\n',
            )
        )
    )
    short = gpt4o.fit_prompt("Anthropic, Claude", previous)
    assert short == f"Anthropic, Claude {previous}"  # free text, untrimmed when it fits
    assert count_tokens(gpt4o.fit_prompt(glossary * 3, previous) or "", "gpt-4o-transcribe") <= 800
    local = LocalWhisper()
    assert local.fit_prompt("", "") is None
    assert count_tokens(local.fit_prompt(glossary, previous) or "", "whisper-1") <= 200
