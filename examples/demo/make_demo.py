"""Regenerate the demo station: spoken audio (espeak-ng), one WebVTT transcript, and feed.xml.

The generated files are committed, so nobody needs espeak-ng to run the demo. Run this only after
changing the scripts below:

    uv run python examples/demo/make_demo.py
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
WORDS_PER_MINUTE = 165

EPISODES = [
    {
        "guid": "demo-fm-001",
        "title": "Local speech models on a laptop",
        "date": datetime(2026, 11, 16, 7, 0, tzinfo=UTC),
        "transcript": False,
        "text": (
            "Welcome to Newsroom Demo FM, the show about tools that make newsletters. "
            "Today we look at speech recognition that runs on a laptop without any network. "
            "The Whisper model family from OpenAI comes in sizes from tiny to large. "
            "The tiny English model is only seventy five megabytes and it still understands clear speech very well. "
            "We use it to turn podcast audio into text, and then we summarize that text into a newsletter. "
            "A good use case is a small team that publishes a weekly show and wants searchable transcripts. "
            "Another use case is a school that records lectures and wants notes for every student. "
            "The new workflow tool we tried this week is Prefect, which schedules the whole pipeline every Monday morning. "
            "In the news, several companies released smaller speech models that run on phones. "
            "Our conclusion is simple: start with the local model, and switch to a hosted model when quality matters most."
        ),
    },
    {
        "guid": "demo-fm-002",
        "title": "Agents that plan your week",
        "date": datetime(2026, 11, 18, 7, 0, tzinfo=UTC),
        "transcript": False,
        "text": (
            "This is Newsroom Demo FM, episode two, about software agents. "
            "An agent is a language model that can call tools, read the results, and decide what to do next. "
            "Anthropic released a new version of Claude that can use a computer like a person does. "
            "We asked an agent to plan a week of meetings, and it booked every slot in the shared calendar. "
            "One listener uses agents to sort customer email and draft the first reply for a human to check. "
            "The important lesson is to give an agent a small budget of steps and to log every tool call. "
            "Without limits, an agent can loop for a long time and spend a lot of money. "
            "In the news this week, two startups announced agent platforms for small businesses. "
            "To conclude, agents are useful today when the task is narrow and a person reviews the result."
        ),
    },
    {
        "guid": "demo-fm-003",
        "title": "Spotting deepfakes before the election",
        "date": datetime(2026, 11, 20, 7, 0, tzinfo=UTC),
        "transcript": True,
        "text": (
            "Welcome back to Newsroom Demo FM, where this week we talk about deepfakes and elections. "
            "A deepfake is audio or video made by a model to look like a real person. "
            "Voice cloning needs only a few minutes of recorded speech to copy how someone sounds. "
            "Researchers showed a classifier that detects cloned voices in most of their test recordings. "
            "Newsrooms now check viral clips against the original broadcast before they publish anything. "
            "A practical tip for listeners is to look for the first source of a clip, not the loudest one. "
            "In the news, a regulator asked platforms to label synthetic political advertising. "
            "Our conclusion is that detection helps, but careful checking by people still matters most."
        ),
    },
]


def synthesize(text: str, out_mp3: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(
            ["espeak-ng", "-v", "en-us", "-s", str(WORDS_PER_MINUTE), "-w", str(wav), text], check=True
        )
        ffmpeg = shutil.which("ffmpeg") or __import__("imageio_ffmpeg").get_ffmpeg_exe()
        subprocess.run(
            [
                ffmpeg,
                "-y",
                "-v",
                "error",
                "-i",
                str(wav),
                "-ac",
                "1",
                "-ar",
                "22050",
                "-c:a",
                "libmp3lame",
                "-b:a",
                "32k",
                "-metadata",
                "title=" + out_mp3.stem,
                str(out_mp3),
            ],
            check=True,
        )


def duration_of(mp3: Path) -> float:
    ffmpeg = shutil.which("ffmpeg") or __import__("imageio_ffmpeg").get_ffmpeg_exe()
    err = subprocess.run([ffmpeg, "-i", str(mp3)], capture_output=True, text=True).stderr
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", err).groups()  # type: ignore[union-attr]
    return int(h) * 3600 + int(m) * 60 + float(s)


def vtt(text: str, duration: float) -> str:
    """Cue per sentence, timed in proportion to its length (espeak speaks at an even pace)."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    total = sum(len(s) for s in sentences)
    lines, at = ["WEBVTT", ""], 0.0
    for sentence in sentences:
        length = duration * len(sentence) / total
        lines += [f"{_ts(at)} --> {_ts(at + length)}", sentence, ""]
        at += length
    return "\n".join(lines)


def _ts(seconds: float) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"


def feed(items: list[str]) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel>
  <title>Newsroom Demo FM</title>
  <link>https://example.org/newsroom-demo-fm</link>
  <description>A tiny podcast for trying newsroom offline. Audio made with espeak-ng.</description>
  <language>en</language>
  <itunes:author>Newsroom Demo FM</itunes:author>
{"".join(items)}</channel>
</rss>
"""


def main() -> None:
    items = []
    for n, ep in enumerate(EPISODES, start=1):
        mp3 = HERE / "audio" / f"episode-{n}.mp3"
        mp3.parent.mkdir(exist_ok=True)
        synthesize(ep["text"], mp3)
        seconds = duration_of(mp3)
        transcript = ""
        if ep["transcript"]:
            (HERE / "transcripts").mkdir(exist_ok=True)
            (HERE / "transcripts" / f"episode-{n}.vtt").write_text(vtt(ep["text"], seconds))
            transcript = (
                f'\n    <podcast:transcript url="transcripts/episode-{n}.vtt" type="text/vtt" language="en"/>'
            )
        items.append(f"""  <item>
    <title>{escape(ep["title"])}</title>
    <guid isPermaLink="false">{ep["guid"]}</guid>
    <pubDate>{format_datetime(ep["date"])}</pubDate>
    <link>https://example.org/newsroom-demo-fm/{n}</link>
    <description>{escape(ep["text"].split(". ")[1])}.</description>
    <enclosure url="audio/episode-{n}.mp3" type="audio/mpeg" length="{mp3.stat().st_size}"/>
    <itunes:duration>{int(seconds)}</itunes:duration>{transcript}
  </item>
""")
        print(f"{mp3.name}: {seconds:.1f} s, {mp3.stat().st_size // 1024} KB")
    (HERE / "feed.xml").write_text(feed(items))


if __name__ == "__main__":
    main()
