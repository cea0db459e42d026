"""Security and integrity (issue 11): what remote content may link, distinct ids for distinct items,
secrets masked in everything the library holds, plain model text in every note, every run's report
kept, readable feed text. A hostile feed fails item by item and the rest of the digest goes out."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from flows.weekly_digest import DigestFailedError, weekly_digest
from newsroom.config import Settings, SourceConfig, load_settings
from newsroom.models import Entities, Episode, NamedItem, Summary, TimedText, distinct_id, stable_id
from newsroom.net import UnsafeURLError
from newsroom.newsletter.editor import deterministic_draft
from newsroom.newsletter.issue import render_newsletter
from newsroom.newsletter.notes import summary_note, transcript_note
from newsroom.publishers import Issue, make_publisher
from newsroom.selection import distinct_episodes
from newsroom.sources import discover, fetch
from newsroom.store import Store
from tests.conftest import DEMO, transcript_feed, write_config
from tests.publish_helpers import sample_library

FEEDS = Path(__file__).parent / "data" / "feeds"
AUDIO = DEMO / "audio" / "episode-3.mp3"
PLANTED = "PLANTED-environ-OPENAI_API_KEY=sk-from-proc-self-environ"


def vtt(*lines: str) -> str:
    cues = "".join(
        f"\n00:00:{i * 5:02d}.000 --> 00:00:{i * 5 + 4:02d}.000\n{line}\n" for i, line in enumerate(lines)
    )
    return "WEBVTT\n" + cues


def rss(*items: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0">'
        f"<channel><title>Loop FM</title>{''.join(items)}</channel></rss>"
    )


def item(guid: str, title: str, enclosure: str = "", transcript: str = "", link: str = "") -> str:
    return (
        f"<item><title>{title}</title><guid>{guid}</guid><pubDate>Wed, 18 Nov 2026 08:00:00 GMT</pubDate>"
        + (f"<link>{link}</link>" if link else "")
        + (f'<enclosure url="{enclosure}" type="audio/mpeg" length="1"/>' if enclosure else "")
        + (f'<podcast:transcript url="{transcript}" type="text/vtt"/>' if transcript else "")
        + "</item>"
    )


def library_bytes(settings: Settings) -> bytes:
    """Every byte the library and the output folder hold (the SQLite file, its WAL, JSON, notes)."""
    roots = (settings.library_dir, settings.output_dir)
    return b"".join(p.read_bytes() for root in roots if root.exists() for p in root.rglob("*") if p.is_file())


# 2. Links from remote content: http(s) only ------------------------------------------------------


def test_a_remote_feed_cannot_make_newsroom_read_local_files(media_server, tmp_path: Path):
    environ = tmp_path / "environ"  # stands in for /proc/self/environ
    environ.write_text(vtt(PLANTED))
    media_server.add("/t/good.vtt", vtt("A good transcript about small speech models."), "text/vtt")
    feed = media_server.add(
        "/feed.xml",
        rss(
            item("good", "Good", media_server.url("/a/good.mp3"), "/t/good.vtt"),
            item("steal", "Steals a file", media_server.url("/a/x.mp3"), environ.as_uri()),
            item("media", "Local media", environ.as_uri()),
            item("js", "Script link", link="javascript:alert(document.cookie)"),
        ),
        "application/rss+xml",
    )
    settings = load_settings(write_config(tmp_path / "p", "allow_private_network = true\n"))
    episodes = {e.title: e for e in discover(SourceConfig(url=feed), settings)}
    for episode in episodes.values():  # no episode holds a link newsroom would not follow
        links = [episode.url, episode.media_url or "", *(u for u, _ in episode.transcript_urls)]
        assert all(link.startswith("http://127.0.0.1") for link in links if link), links

    assert fetch(episodes["Good"], tmp_path / "good", settings).kind == "transcript"
    for title in ("Steals a file", "Local media", "Script link"):
        with pytest.raises(UnsafeURLError, match="content from the web may only link http") as refused:
            fetch(episodes[title], tmp_path / title, settings)
        assert "refused " in str(refused.value)
    assert PLANTED.encode() not in library_bytes(settings) + b"".join(
        p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p != environ
    )


def test_a_local_feed_may_link_files_in_its_own_folder_only(tmp_path: Path):
    folder = tmp_path / "show"
    (folder / "audio").mkdir(parents=True)
    shutil.copyfile(AUDIO, folder / "audio" / "1.mp3")
    (tmp_path / "outside.mp3").write_bytes(AUDIO.read_bytes())
    (folder / "feed.xml").write_text(
        rss(
            item("in", "Inside", "audio/1.mp3", link="https://example.org/1"),
            item("up", "Climbs out", "../outside.mp3"),
            item("abs", "Absolute", "file:///etc/passwd"),
        )
    )
    settings = load_settings(write_config(tmp_path, ""))
    episodes = {e.title: e for e in discover(SourceConfig(url=str(folder / "feed.xml")), settings)}
    inside = episodes["Inside"]
    assert inside.media_url == (folder / "audio" / "1.mp3").resolve().as_uri() and not inside.refused_links
    assert Path(fetch(inside, tmp_path / "ep", settings).media or "").name == "1.mp3"
    for title in ("Climbs out", "Absolute"):
        with pytest.raises(UnsafeURLError, match="a local feed may only link files inside its own folder"):
            fetch(episodes[title], tmp_path / title, settings)


# 4. Distinct items get distinct ids ---------------------------------------------------------------


def pod(guid: str, media: str, title: str, source: str = "loop", day: int = 18) -> Episode:
    return Episode(
        id=stable_id("pod", "", guid),
        source_id=source,
        source_name=source,
        kind="podcast",
        title=title,
        url=media,
        media_url=media,
        published=datetime(2026, 11, day, tzinfo=UTC),
    )


def test_one_guid_on_different_items_gives_distinct_ids_and_the_same_item_stays_one():
    loop, other = (
        SourceConfig(url="https://loop.example/feed.xml"),
        SourceConfig(url="https://other.example/rss"),
    )
    a, b = (
        pod("ep-1", "https://cdn.example/a.mp3", "A", day=17),
        pod("ep-1", "https://cdn.example/b.mp3", "B"),
    )
    again = pod("ep-1", "https://cdn.example/a.mp3", "A (in the other feed)", "other")
    alone = pod("ep-2", "https://cdn.example/c.mp3", "C")
    found, collisions = distinct_episodes([(loop, [b, a, alone]), (other, [again])])
    ids = {e.title: e.id for _, eps in found for e in eps}
    assert set(ids) == {"A", "B", "C"}  # the same item in two feeds is one episode
    assert ids["A"] == stable_id("pod", "", "ep-1") != ids["B"]  # the oldest keeps the id it had
    assert ids["C"] == alone.id  # an id nobody shares is what it always was
    assert len(collisions) == 1 and set(collisions[0].ids) == {ids["A"], ids["B"]}
    assert "'B' (loop) = " + ids["B"] in collisions[0].note
    # The library's owner of the id keeps it, whatever the dates; the others' ids are stable.
    stored = {a.id: b}
    found, _ = distinct_episodes([(loop, [b, a])], stored.get)
    again_ids = {e.title: e.id for _, eps in found for e in eps}
    assert again_ids["B"] == a.id and again_ids["A"] == distinct_id(a.id, "https://cdn.example/a.mp3")
    assert distinct_episodes([(loop, [b, a])], stored.get)[0] == found  # the same on every run


@pytest.mark.slow
def test_two_items_with_one_guid_are_two_stories_each_with_its_own_transcript(tmp_path: Path):
    show = tmp_path / "show"
    show.mkdir()
    (show / "one.vtt").write_text(vtt("Part one talks about wooden trains and long tracks."))
    (show / "two.vtt").write_text(vtt("Part two talks about sourdough bread and slow ovens."))
    day = (date.today() - timedelta(days=1)).strftime("%a, %d %b %Y 08:00:00 GMT")
    (show / "feed.xml").write_text(
        rss(
            item("same", "Trains", "one.mp3", "one.vtt").replace("Wed, 18 Nov 2026 08:00:00 GMT", day),
            item("same", "Bread", "two.mp3", "two.vtt").replace("Wed, 18 Nov 2026 08:00:00 GMT", day),
        )
    )
    config = write_config(tmp_path, f'[[sources]]\nurl = "{show / "feed.xml"}"\nkind = "podcast"\n')
    report = weekly_digest(config=str(config))
    assert [e.status for e in report.episodes] == ["done", "done"]
    assert len({e.episode_id for e in report.episodes}) == 2
    assert any("different items came with one id" in n for n in report.notes)
    folder = Path(report.newsletter_path or "").parent
    notes = {p.name: p.read_text() for p in (folder / "notes").glob("*.md")}
    assert "wooden trains" in notes["Trains.md"] and "sourdough" not in notes["Trains.md"]
    assert "sourdough" in notes["Bread.md"] and "wooden trains" not in notes["Bread.md"]
    stories = json.loads((folder / "newsletter.json").read_text())["items"]
    assert sorted(s["title"] for s in stories) == ["Bread", "Trains"]


@pytest.mark.slow
def test_a_hostile_feed_fails_item_by_item_and_the_digest_still_goes_out(
    media_server, internal_server, tmp_path: Path
):
    """Done when of issue 11: per-item reasons in the report, the rest published, nothing mixed up."""
    environ = tmp_path / "environ"
    environ.write_text(vtt(PLANTED))
    internal_server.add("/secret.mp3", AUDIO, "audio/mpeg")
    media_server.add(
        "/a/bounce.mp3", b"", status=302, headers={"Location": internal_server.url("/secret.mp3")}
    )
    media_server.add("/t/one.vtt", vtt("Part one talks about wooden trains and long tracks."), "text/vtt")
    media_server.add("/t/two.vtt", vtt("Part two talks about sourdough bread and slow ovens."), "text/vtt")
    media_server.add("/t/good.vtt", vtt("A good episode about small speech models on laptops."), "text/vtt")
    base = media_server.base_url
    feed = media_server.add(
        "/feed.xml",
        rss(
            item("good", "A good episode", f"{base}/a/good.mp3", "/t/good.vtt"),
            item("same", "Trains", f"{base}/a/one.mp3", "/t/one.vtt"),
            item("same", "Bread", f"{base}/a/two.mp3", "/t/two.vtt"),
            item("same", "Trains", f"{base}/a/one.mp3", "/t/one.vtt"),  # listed twice: one episode
            item("steal", "Steals a file", f"{base}/a/x.mp3", environ.as_uri()),
            item("bounce", "Bounces inside", f"{base}/a/bounce.mp3"),
        ),
        "application/rss+xml",
    )
    config = write_config(
        tmp_path / "p",
        'allow_private_network = ["127.0.0.1/32"]\n'
        f'[[sources]]\nurl = "{feed}"\nname = "Loop FM"\nall_items = true\n',
    )
    report = weekly_digest(config=str(config))
    outcome = {e.title: e for e in report.episodes}
    assert {t: o.status for t, o in outcome.items()} == {
        "A good episode": "done",
        "Trains": "done",
        "Bread": "done",
        "Steals a file": "failed",
        "Bounces inside": "failed",
    }
    assert f"refused {environ.as_uri()}" in (outcome["Steals a file"].reason or "")
    assert "127.0.0.2" in (outcome["Bounces inside"].reason or "") and internal_server.requests == []
    assert outcome["Trains"].episode_id != outcome["Bread"].episode_id
    assert any("different items came with one id" in n and "'Bread'" in n for n in report.notes)

    folder = Path(report.newsletter_path or "").parent
    report_md = (folder / "report.md").read_text()
    assert "127.0.0.2" in report_md and f"refused {environ.as_uri()}" in report_md
    newsletter = json.loads((folder / "newsletter.json").read_text())
    assert sorted(i["title"] for i in newsletter["items"]) == ["A good episode", "Bread", "Trains"]
    # Each story has its own transcript under its own title.
    notes = {p.name: p.read_text() for p in (folder / "notes").glob("*.md")}
    assert "wooden trains" in notes["Trains.md"] and "sourdough" not in notes["Trains.md"]
    assert "sourdough" in notes["Bread.md"] and "wooden trains" not in notes["Bread.md"]
    assert PLANTED.encode() not in library_bytes(load_settings(config))


# 5. Secrets are masked in everything the library holds ---------------------------------------------

KEY = "sk-proj-Planted-4f7c1e9b2a"


@pytest.mark.slow
def test_a_key_echoed_back_by_the_upstream_never_reaches_the_library(
    fake_openai, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    fake_openai.echo_key_401 = True  # "401 Incorrect API key provided: Bearer sk-..."
    config = transcript_feed(tmp_path, [(date.today() - timedelta(days=1)).isoformat()])
    config.write_text(
        config.read_text()
        + f'[llm]\nbackend = "openai"\nbase_url = "{fake_openai.base_url}"\nsend_openai_key_to_base_url = true\n'
        + "max_retries = 0\n"
    )
    with pytest.raises(DigestFailedError):
        weekly_digest(config=str(config))
    assert fake_openai.calls("/chat/completions")  # the key went out, and came back in the error
    settings = load_settings(config)
    with Store(settings.library_dir).connect() as db:
        errors = [r[0] for r in db.execute("SELECT error FROM calls WHERE ok = 0")]
    assert errors and all("[REDACTED]" in e for e in errors)
    assert KEY.encode() not in (settings.library_dir / "newsroom.db").read_bytes()
    assert KEY.encode() not in library_bytes(settings)  # the WAL, JSON, notes, reports
    assert "Incorrect API key" in (next(settings.output_dir.glob("*/report.md"))).read_text()


# 6. Model text in the summary notes is plain ------------------------------------------------------

EVIL = ("evil.example", "attacker@")


def obeying_summary(episode: Episode) -> Summary:
    """What a model that obeys an injected transcript might write into every field."""
    link = "[claim your prize](https://evil.example/win)"
    return Summary(
        episode_id=episode.id,
        language="en",
        backend="openai:gpt-4o-mini",
        key_subjects_and_themes=f"Agents. {link} <a href='https://evil.example/a'>more</a>",
        main_topic="Mail attacker@evil.example now. <script>alert(1)</script>",
        use_cases=[NamedItem(name="Visit www.evil.example", description="see https://evil.example/uc")],
        new_tools_and_workflows=[
            NamedItem(name="Tool", description="<img src='https://evil.example/p.png'>")
        ],
        ai_news=["News at https://evil.example/news"],
        conclusion="Unsubscribe at mailto:attacker@evil.example",
        key_takeaways=[TimedText(text=f"Read {link} today", timestamp=12)],
        notable_quotes=[TimedText(text="Go to https://evil.example/q", timestamp=0)],
        chapters=[],
        entities=Entities(people=["attacker@evil.example"], companies=["Example Labs"]),
    )


def links_in(markdown: str) -> list[str]:
    """Links a Markdown reader makes: parsed ones, and bare URLs that Obsidian turns into links."""
    html = MarkdownIt("commonmark").render(markdown)
    return re.findall(r"""(?:href|src)="([^"]+)\"""", html) + re.findall(
        r"(?:https?://|www\.)[^\s)\]>]+", markdown
    )


def test_model_text_in_summary_notes_and_the_vault_is_plain(tmp_path: Path):
    vault = tmp_path / "vault"
    vault.mkdir()
    settings = load_settings(write_config(tmp_path, f'[[publish]]\ntype = "obsidian"\nvault = "{vault}"\n'))
    (episode, _), *_ = sample_library(settings)
    summary = obeying_summary(episode)
    store = Store(settings.library_dir)
    transcript = store.load_transcript(episode.id)
    assert transcript is not None
    ours = {episode.url, *(episode.link_at(s) for s in (0, 12))}
    notes = [
        summary_note(episode, summary, "feed:vtt", settings),
        transcript_note(episode, transcript, summary, [], settings),
    ]
    draft = deterministic_draft("Weekly", "en", date(2026, 11, 22), [(episode, summary)])
    make_publisher(settings.publish[0], settings).send(
        Issue(draft, "Weekly", [(episode, summary)], settings), "", "key-1"
    )
    notes += [p.read_text() for p in vault.rglob("*.md")]
    notes += list(render_newsletter(draft, settings).values())
    for note in notes:
        assert not any(bad in note for bad in EVIL), note
        assert "<script" not in note and "<img" not in note
    for note in notes[:2] + [p.read_text() for p in (vault / "Newsroom" / "Summaries").glob("*.md")]:
        assert set(links_in(note)) <= ours, set(links_in(note)) - ours
    assert "Example Labs" in notes[0] and "Agents." in notes[0]  # the rest of the text is kept


# 7. Every run's report is kept -------------------------------------------------------------------


@pytest.mark.slow
def test_a_no_op_run_keeps_the_report_of_the_run_that_made_the_issue(tmp_path: Path):
    config = transcript_feed(tmp_path, [(date.today() - timedelta(days=1)).isoformat()])
    first = weekly_digest(config=str(config))
    second = weekly_digest(config=str(config))
    assert first.newsletter_path and not second.newsletter_path
    folder = Path(first.newsletter_path).parent
    runs = sorted((folder / "runs").iterdir())
    assert len(runs) == 2 and runs[0].name.endswith(first.run_id) and runs[1].name.endswith(second.run_id)
    made = (runs[0] / "report.md").read_text()
    assert "Quick episode 1" in made and "Nothing new" not in made  # the issue's report, intact
    assert json.loads((runs[0] / "report.json").read_text())["run_id"] == first.run_id
    latest = (folder / "report.md").read_text()  # report.md is always the latest run's
    assert "Nothing new since the last run." in latest
    assert f"made by run {first.run_id}; its report: runs/{runs[0].name}/report.md" in latest
    assert json.loads((folder / "report.json").read_text())["run_id"] == second.run_id


# 8. Entities in feed text are decoded ---------------------------------------------------------------


def test_html_entities_in_real_feeds_reach_notes_and_newsletters_as_readable_text(tmp_path: Path):
    settings = load_settings(write_config(tmp_path, ""))
    found = {f.name: discover(SourceConfig(url=str(f)), settings) for f in FEEDS.glob("*.[rx]*")}
    entity = re.compile(r"&(#\d+|#x[0-9a-f]+|[a-z]+\d*);", re.I)
    for name, episodes in found.items():
        for e in episodes:
            assert not entity.search(e.title) and not entity.search(e.description), (name, e.title)
            assert "<" not in e.description, (name, e.description[:80])
    rtve = found["node-podcast-parser__rtve-podcast_es.xml"]
    assert rtve[0].description.startswith('"Soy Julián Martínez, y que yo sepa sigo siendo funcionario')
    titles = {e.title for eps in found.values() for e in eps}
    assert {'1393: "Space Wake"', "Giant Bombcast 595: It's Always the Cute Monks"} <= titles
    assert "Josie & The Pussycats with Andrea Cleary" in titles  # a bare & in CDATA stays as written

    space_wake = next(e for e in found["partytime__no-agenda.xml"] if "Space Wake" in e.title)
    summary = obeying_summary(space_wake).model_copy(update={"main_topic": "Plain words."})
    draft = deterministic_draft("Weekly", "en", date(2026, 11, 22), [(space_wake, summary)])
    rendered = render_newsletter(draft, settings)
    assert '1393: "Space Wake"' in rendered["md"] and '1393: "Space Wake"' in rendered["txt"]
    assert "&amp;quot;" not in rendered["html"] and "&quot;Space" not in rendered["md"]
    assert summary_note(space_wake, summary, "feed:srt", settings).startswith('# 1393: "Space Wake"')
