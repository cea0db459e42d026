"""The weekly digest end to end on the bundled demo, offline: every stage real."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from flows.weekly_digest import DigestFailedError, weekly_digest
from newsroom.config import load_settings
from newsroom.store import Store


def run(config: Path, **kwargs):
    return weekly_digest(config=str(config), **kwargs)


@pytest.mark.slow
def test_demo_digest_offline_then_nothing_new(demo_project: Path):
    report = run(demo_project)
    settings = load_settings(demo_project)
    titles = [
        "Local speech models on a laptop",
        "Agents that plan your week",
        "Spotting deepfakes before the election",
    ]
    assert [e.status for e in report.episodes] == ["done"] * 3
    newsletter = Path(report.newsletter_path).read_text()
    for title in titles:
        assert title in newsletter
    folder = Path(report.newsletter_path).parent
    assert (folder / "newsletter.html").read_text().count("<h2") == 3
    assert "offline:extractive" in newsletter and "local:tiny.en" in newsletter

    by_title = {e.title: e for e in report.episodes}
    assert by_title[titles[2]].transcript_backend == "feed:vtt"  # ships a podcast:transcript
    assert by_title[titles[0]].transcript_backend == "local:tiny.en"
    store = Store(settings.library_dir)
    spoken = store.load_transcript(by_title[titles[1]].episode_id).text.lower()
    for words in ("software agents", "calendar", "customer email", "tool call"):
        assert words in spoken
    # The glossary goes to the model as a prompt: without it tiny.en hears "CloudNet" here.
    assert "Claude" in store.load_transcript(by_title[titles[1]].episode_id).text

    notes = sorted(p.name for p in (folder / "notes").iterdir())
    assert len(notes) == 6 and f"{titles[0]}.md" in notes
    note = (folder / "notes" / f"{titles[0]}.md").read_text()
    for section in (
        "## Transcript",
        "## Notes",
        "## Key Takeaways",
        "## Related",
        "**Source:**",
        "**Tags:**",
    ):
        assert section in note
    assert "#t=" in note  # timestamps link into the audio
    report_md = (folder / "report.md").read_text()
    assert all(t in report_md for t in titles)
    assert json.loads((folder / "report.json").read_text())["run_id"] == report.run_id

    calls_before = store.call_count()
    again = run(demo_project)
    assert again.episodes == []
    assert "Nothing new" in again.notes[0]
    assert store.call_count() == calls_before  # the second run calls no model at all


@pytest.mark.slow
def test_one_bad_episode_fails_alone_and_is_retried_next_run(demo_project: Path, tmp_path: Path):
    demo = demo_project.parent / "demo"
    feed = (demo / "feed.xml").read_text()
    (demo / "audio" / "broken.mp3").write_bytes(b"this is not audio at all" * 10)
    broken_item = (
        feed.split("<item>")[1]
        .replace("demo-fm-001", "demo-fm-broken")
        .replace("episode-1.mp3", "broken.mp3")
        .replace("Local speech models on a laptop", "A corrupt upload")
    )
    (demo / "feed.xml").write_text(
        feed.replace("</channel>", f"<item>{broken_item.split('</item>')[0]}</item>\n</channel>")
    )

    report = run(demo_project)
    statuses = {e.title: (e.status, e.stage, e.reason) for e in report.episodes}
    assert statuses["A corrupt upload"][0] == "failed"
    assert statuses["A corrupt upload"][1] == "transcribe"
    assert "not a readable audio file" in statuses["A corrupt upload"][2]
    assert sum(1 for s in statuses.values() if s[0] == "done") == 3
    assert "A corrupt upload" not in Path(report.newsletter_path).read_text()
    assert "A corrupt upload" in (Path(report.newsletter_path).parent / "report.md").read_text()

    # Fixed upstream: the next run retries only that episode.
    shutil.copyfile(demo / "audio" / "episode-2.mp3", demo / "audio" / "broken.mp3")
    retry = run(demo_project)
    assert [(e.title, e.status) for e in retry.episodes] == [("A corrupt upload", "done")]


@pytest.mark.slow
def test_dry_run_publishes_nothing_and_a_missing_source_fails_alone(demo_project: Path):
    config = demo_project.read_text() + '\n[[sources]]\nurl = "missing/feed.xml"\nkind = "podcast"\n'
    demo_project.write_text(config)
    report = run(demo_project, dry_run=True)
    assert "/dry-run/" in report.newsletter_path
    failed = [s for s in report.sources if s.status == "failed"]
    assert len(failed) == 1 and "file not found" in failed[0].reason
    # Nothing was marked as sent: the real run takes the same episodes.
    real = run(demo_project)
    assert sum(1 for e in real.episodes if e.status == "done") == 3


def test_all_sources_failing_fails_the_run_after_writing_its_report(tmp_path: Path):
    from tests.conftest import write_config

    config = write_config(tmp_path, '[[sources]]\nurl = "nowhere.xml"\nkind = "podcast"\n')
    with pytest.raises(DigestFailedError, match="file not found"):
        run(config)
    assert list((tmp_path / "out").glob("*/report.md"))
