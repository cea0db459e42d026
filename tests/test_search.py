"""Search: the FTS5 index in newsroom.db, kept up to date by the Store, read by `newsroom search`
and by the editor agent; folding, bm25 order, filters, JSON, bad queries, rebuilds, the demo."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsroom import search
from newsroom.app.cli import app
from newsroom.config import Settings, load_settings
from newsroom.models import Episode, Segment, Transcript
from newsroom.newsletter.agent import EditorTools
from newsroom.newsletter.notes import write_episode_notes
from newsroom.store import Store
from tests.conftest import write_config
from tests.publish_helpers import summary

runner = CliRunner()


def episode(eid: str, source: str, day: int, kind: str = "podcast") -> Episode:
    return Episode(
        id=eid,
        source_id=source,
        source_name=f"{source.title()} FM",
        kind=kind,
        title=f"Episode {eid}",
        url=f"https://example.org/{eid}",
        media_url=None if kind == "youtube" else f"https://example.org/{eid}.mp3",
        video_id=f"vid{eid}" if kind == "youtube" else None,
        published=datetime(2026, 11, day, tzinfo=UTC),
    )


def transcript(eid: str, lines: list[str | tuple[str, str]]) -> Transcript:
    segments = []
    for i, line in enumerate(lines):
        speaker, text = line if isinstance(line, tuple) else (None, line)
        segments.append(Segment(start=i * 600.0 + 5, end=i * 600.0 + 12, text=text, speaker=speaker))
    return Transcript(episode_id=eid, provenance="feed", backend="feed:vtt", segments=segments)


@pytest.fixture
def library(tmp_path: Path) -> tuple[Settings, Store]:
    """Three episodes from two sources, stored the way the digest stores them."""
    config = write_config(tmp_path, 'title = "Search Weekly"\n')
    settings = load_settings(config)
    store = Store(settings.library_dir)
    shows = {
        "aiuur": (
            "aiuur",
            10,
            "youtube",
            [
                ("Femke", "Marijke Gröndal tried the new agent on her own calendar."),
                ("Jorien", "The agent booked three meetings and cancelled one by itself."),
                "Next week we talk about open weights models.",
            ],
        ),
        "nerds": (
            "nerds",
            18,
            "podcast",
            [
                "Agents agents agents: the word of the year.",
                "Our guest, a researcher on speech, says the hype around agents will fade once budgets are checked.",
                ("Host", "Groendal wrote about it too, in her column."),
            ],
        ),
        "late": ("nerds", 25, "podcast", ["Straße und Strasse: both spellings of street."]),
    }
    for eid, (source, day, kind, lines) in shows.items():
        ep = episode(eid, source, day, kind)
        store.upsert_episode(ep)
        store.save_transcript(transcript(eid, lines))
    return settings, store


def find(store: Store, query: str, **filters) -> list[search.Hit]:
    with store.connect() as db:
        return search.search(db, query, **filters)


def cli(settings: Settings, *args: str):
    return runner.invoke(app, ["search", *args, "--config", str(settings.config_path)])


def test_case_and_diacritics_fold_both_ways(library):
    _, store = library
    for query in ("Gröndal", "groendal", "Grondal", "GRÖNDAL"):
        hits = find(store, query)
        assert {(h.episode_id, h.seconds) for h in hits} >= {("aiuur", 5.0)}, query
    # The written-out spelling in a transcript is found by the umlaut too.
    assert ("nerds", 1205.0) in {(h.episode_id, h.seconds) for h in find(store, "Gröndal")}
    assert [h.episode_id for h in find(store, "strasse")] == ["late"]
    assert [h.episode_id for h in find(store, "Straße")] == ["late"]
    # The match is marked in the snippet; the hit says who speaks, when, and links to that second.
    hit = next(h for h in find(store, "Gröndal") if h.episode_id == "aiuur")
    assert search.MARK_START + "Gröndal" + search.MARK_END in hit.snippet
    assert (hit.speaker, hit.at) == ("Femke", "00:00:05")
    assert hit.link == "https://www.youtube.com/watch?v=vidaiuur&t=5s"
    late = find(store, "street")[0]
    assert late.link == "https://example.org/late.mp3#t=5" and late.title == "Episode late"


def test_bm25_ranks_the_denser_match_first(library):
    _, store = library
    hits = find(store, "agents")
    assert hits[0].text == "Agents agents agents: the word of the year."
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    # Plain words must all occur, in any order; a quoted phrase must occur as written.
    assert hits[1].text.startswith("Our guest") and len(hits) == 2
    assert [h.text[:9] for h in find(store, "budgets agents")] == ["Our guest"]
    assert find(store, '"agents budgets"') == []
    assert len(find(store, "agent*")) == 4  # prefix syntax passes through


def test_filters_source_since_speaker(library):
    _, store = library
    assert {h.episode_id for h in find(store, "agent*")} == {"aiuur", "nerds"}
    assert {h.episode_id for h in find(store, "agent*", source="aiuur")} == {"aiuur"}
    assert {h.episode_id for h in find(store, "agent*", source="Nerds FM")} == {"nerds"}
    assert {h.episode_id for h in find(store, "agent*", since=datetime(2026, 11, 15).date())} == {"nerds"}
    said = find(store, "agent", speaker="jorien")
    assert [(h.episode_id, h.speaker) for h in said] == [("aiuur", "Jorien")]
    assert {h.speaker for h in find(store, "grondal", speaker="FEMKE")} == {"Femke"}


def test_cli_prints_hits_and_json(library):
    settings, _ = library
    result = cli(settings, "Gröndal", "--source", "aiuur")
    assert result.exit_code == 0, result.output
    assert "Episode aiuur" in result.output and "00:00:05" in result.output and "Femke" in result.output
    assert "https://www.youtube.com/watch?v=vidaiuur&t=5s" in result.output

    result = cli(settings, "agent", "--json", "--speaker", "Jorien", "--since", "2026-11-01")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["query"] == "agent"
    [hit] = data["hits"]
    assert hit["episode_id"] == "aiuur" and hit["seconds"] == 605.0 and hit["at"] == "00:10:05"
    assert hit["snippet"] == "The **agent** booked three meetings and cancelled one by itself."
    assert hit["link"] == "https://www.youtube.com/watch?v=vidaiuur&t=605s" and hit["kind"] == "segment"

    nothing = cli(settings, "zeppelin")
    assert nothing.exit_code == 0 and "No matches for 'zeppelin'" in nothing.output


@pytest.mark.parametrize("query", ['"recorded speech', "agent AND", "(agent", "NEAR(agent"])
def test_a_bad_fts_query_is_a_clear_message_with_exit_code_2(library, query):
    settings, _ = library
    result = cli(settings, query)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("newsroom search: cannot search for") and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if query.count('"') % 2:
        assert "a quote is not closed" in result.output


def test_the_index_follows_the_store_and_rebuild_refills_it(library):
    settings, store = library
    # Saving a transcript again replaces its rows: the old words are gone, nothing is doubled.
    store.save_transcript(transcript("late", ["Bridges and tunnels this time."]))
    assert find(store, "street") == []
    assert len(find(store, "tunnels")) == 1
    # Summaries and the user's notes are indexed as they are saved.
    aiuur = store.get_episode("aiuur")
    assert aiuur is not None
    store.save_summary(summary(aiuur, "Zeppelin Labs"))
    assert {h.kind for h in find(store, "zeppelin")} == {"summary"}
    note = store.episode_dir("aiuur") / "transcript.md"
    tr = store.load_transcript("aiuur")
    assert tr is not None
    write_episode_notes(store, aiuur, tr, None, settings)
    note.write_text(note.read_text().replace("## Notes\n", "## Notes\nAsk Femke about the zeppelin idea.\n"))
    write_episode_notes(store, aiuur, tr, None, settings)  # a later run keeps (and indexes) the user's notes
    assert {h.kind for h in find(store, "zeppelin")} == {"summary", "note"}

    with store.connect() as db:
        db.execute("DELETE FROM search_index")
        db.execute("DELETE FROM search_docs")
    empty = cli(settings, "tunnels")
    assert "No matches" in empty.output and "newsroom search --rebuild" in empty.output

    rebuilt = cli(settings, "--rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "3 episode folder(s)" in rebuilt.output and "7 segments, 1 summaries, 1 notes" in rebuilt.output
    assert len(find(store, "tunnels")) == 1
    assert {h.kind for h in find(store, "zeppelin")} == {"summary", "note"}
    assert len(find(store, "Gröndal")) == 2  # the same as before the rebuild, once each


def test_the_editor_agents_tool_searches_the_same_index(library):
    _, store = library
    eps = {eid: store.get_episode(eid) for eid in ("aiuur", "nerds")}
    stories = [(ep, summary(ep, "Acme")) for ep in eps.values() if ep is not None]
    transcripts = {eid: t for eid in eps if (t := store.load_transcript(eid)) is not None}
    tools = EditorTools(stories, transcripts, store)
    found = tools.search_transcripts("groendal")  # folding comes from the index
    assert sorted(found, key=lambda f: f["episode_id"]) == [
        {
            "episode_id": "aiuur",
            "timestamp": 5.0,
            "text": "Marijke Gröndal tried the new agent on her own calendar.",
            "speaker": "Femke",
        },
        {
            "episode_id": "nerds",
            "timestamp": 1205.0,
            "text": "Groendal wrote about it too, in her column.",
            "speaker": "Host",
        },
    ]
    assert tools.search_transcripts("street") == []  # only this week's episodes, not the whole library
    assert [f["episode_id"] for f in tools.search_transcripts("agent", "aiuur")] == ["aiuur", "aiuur"]

    # A transcript the index does not hold yet (a library from before the index) is indexed then.
    with store.connect() as db:
        db.execute(
            "DELETE FROM search_index WHERE rowid IN (SELECT id FROM search_docs WHERE episode_id = 'nerds')"
        )
        db.execute("DELETE FROM search_docs WHERE episode_id = 'nerds'")
    assert find(store, "column") == []
    again = EditorTools(stories, transcripts, store)
    assert [f["timestamp"] for f in again.search_transcripts("column")] == [1205.0]
    assert len(find(store, "column")) == 1


@pytest.mark.slow
def test_on_the_demo_search_finds_the_second_with_a_working_link(tmp_path: Path):
    """After a digest of the demo feed, `newsroom search "recorded speech"` (a real subprocess) finds
    the episode and the second where it is said; the link opens the audio there in Chromium; the
    archive of the published issue exists and its feed parses."""
    import subprocess
    import sys
    from datetime import date, timedelta

    import feedparser

    from flows.weekly_digest import weekly_digest
    from tests.conftest import require_tool, transcript_feed
    from tests.test_up_ui import CHROMIUM, CHROMIUM_ARGS

    config = transcript_feed(tmp_path, [(date.today() - timedelta(days=1)).isoformat()])
    report = weekly_digest(config=str(config))
    assert [e.status for e in report.episodes] == ["done"]
    result = subprocess.run(
        [sys.executable, "-m", "newsroom", "search", "recorded speech", "--json", "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)["hits"]
    segment = next(h for h in hits if h["kind"] == "segment")
    # episode-3.vtt: "00:00:09.865 --> ... Voice cloning needs only a few minutes of recorded speech ..."
    assert segment["title"] == "Quick episode 1" and segment["at"] == "00:00:09"
    assert "**recorded** **speech**" in segment["snippet"]
    base, fragment = segment["link"].split("#")
    assert fragment == "t=9" and base.endswith("episode-3.mp3")
    text = runner.invoke(app, ["search", "recorded speech", "--config", str(config)])  # as text
    assert "Quick episode 1" in text.stdout and "00:00:09" in text.stdout and segment["link"] in text.stdout

    settings = load_settings(config)
    archive = settings.output_dir / "archive"
    feed = feedparser.parse((archive / "feed.xml").read_bytes())
    assert not feed.bozo and len(feed.entries) == 1 and (archive / "index.html").is_file()

    require_tool("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(segment["link"] if "://" in base else Path(base).as_uri() + "#" + fragment)
        page.wait_for_function(
            "() => { const m = document.querySelector('video, audio'); return m && m.readyState >= 1; }"
        )
        at = page.evaluate("() => document.querySelector('video, audio').currentTime")
        browser.close()
    assert 8.5 <= at <= 10.5
