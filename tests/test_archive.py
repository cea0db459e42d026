"""The archive of published issues: index and issue pages in headless Chromium, the Atom feed read
back with feedparser, and the `archive` target through the ledger (rewritten, never duplicated)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import feedparser
import pytest

from newsroom.config import Settings, load_settings
from newsroom.newsletter.editor import deterministic_draft
from newsroom.publishers import make_publisher
from newsroom.publishers.archive import archive_folder, update_archive
from newsroom.publishers.delivery import deliver, load_issue, publish_stored
from newsroom.publishers.ledger import Ledger
from newsroom.store import Store
from tests.conftest import require_tool, write_config
from tests.publish_helpers import sample_library
from tests.test_up_ui import CHROMIUM, CHROMIUM_ARGS

DAYS = (date(2026, 11, 15), date(2026, 11, 22))


def publish_two(settings: Settings) -> list[str]:
    """Two approved issues (one story each), and a draft still awaiting review; returns the ids."""
    stories = sample_library(settings)
    ledger = Ledger(Store(settings.library_dir))
    ids = []
    for day, story in zip(DAYS, stories, strict=True):
        newsletter = deterministic_draft(settings.title, "en", day, [story])
        ledger.save_newsletter(newsletter, f"{settings.title} {day}", [story[0].id], {}, None, "approved")
        ids.append(newsletter.id)
    draft = deterministic_draft(settings.title, "en", date(2026, 11, 29), stories)
    ledger.save_newsletter(draft, "Not yet", [e.id for e, _ in stories], {}, None, "awaiting-review")
    return ids


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        write_config(
            tmp_path,
            'title = "Archive Weekly"\n[[publish]]\ntype = "archive"\npath = "site"\n'
            'base_url = "https://news.example/weekly/"\nretries = 0\n',
        )
    )


def test_the_feed_is_valid_atom_with_stable_ids(settings: Settings):
    ids = publish_two(settings)
    folder = update_archive(settings)
    first = (folder / "feed.xml").read_bytes()
    feed = feedparser.parse(first)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.title == "Archive Weekly"
    assert feed.feed.id.startswith("urn:uuid:")
    assert [e.title for e in feed.entries] == ["Archive Weekly 2026-11-22", "Archive Weekly 2026-11-15"]
    assert all(e.id.startswith("urn:uuid:") for e in feed.entries) and len({e.id for e in feed.entries}) == 2
    newest = feed.entries[0]
    assert newest.link == f"https://news.example/weekly/issues/{ids[1]}.html"
    assert newest.content[0].type == "text/html" and "Voice clones" in newest.content[0].value
    assert newest.updated_parsed and newest.published_parsed
    # The draft awaiting review is not published, so not in the archive.
    assert "Not yet" not in first.decode()

    update_archive(settings)  # a rebuild reads the same: ids, dates and content
    assert (folder / "feed.xml").read_bytes() == first


def test_the_archive_renders_and_its_links_work_in_chromium(settings: Settings, tmp_path: Path):
    require_tool("chromium")
    from playwright.sync_api import sync_playwright

    ids = publish_two(settings)
    folder = update_archive(settings)
    assert sorted(p.name for p in (folder / "issues").iterdir()) == sorted(f"{i}.html" for i in ids)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 800})
        page.goto((folder / "index.html").as_uri())
        headings = page.locator("article h2").all_inner_texts()
        assert headings == ["Archive Weekly 2026-11-22", "Archive Weekly 2026-11-15"]  # newest first
        assert page.get_by_text("Agents that plan your week").is_visible()
        shot = tmp_path / "archive.png"
        page.screenshot(path=str(shot), full_page=True)
        # Not blank: a rendered page of text compresses far worse than an empty one.
        blank = tmp_path / "blank.png"
        page.set_content("<html><body></body></html>")
        page.screenshot(path=str(blank), full_page=True)
        assert shot.stat().st_size > 4 * blank.stat().st_size

        page.goto((folder / "index.html").as_uri())
        page.get_by_role("link", name="Archive Weekly 2026-11-15").click()
        page.wait_for_url(f"**/issues/{ids[0]}.html")
        assert page.locator("h1").inner_text() == "Archive Weekly — 2026-11-15"
        page.get_by_role("link", name="All issues").click()
        page.wait_for_url("**/index.html")
        page.get_by_role("link", name=re.compile("^Voice clones")).click()  # a story: its issue, at it
        page.wait_for_url(f"**/issues/{ids[1]}.html#story-1")
        assert page.locator("#story-1 h2").inner_text() == "Voice clones <b>and</b> [the] election"
        # Every link between the archive's own pages points at a file that exists.
        for html in [folder / "index.html", *(folder / "issues").iterdir()]:
            page.goto(html.as_uri())
            for href in page.locator("a").evaluate_all("links => links.map(a => a.href)"):
                if href.startswith("file://"):
                    assert Path(href.removeprefix("file://").split("#")[0]).is_file(), href
        browser.close()


def test_the_archive_target_goes_through_the_ledger_and_rewrites_in_place(settings: Settings):
    ids = publish_two(settings)
    ledger = Ledger(Store(settings.library_dir))
    target = settings.publish[0]
    stored = ledger.newsletter(ids[1])
    assert stored is not None
    site = settings.resolve("site")

    outcome, _ = deliver(make_publisher(target, settings), load_issue(stored, settings), ledger, "run-1")
    assert outcome.status == "sent" and outcome.message_id == str(site / f"issues/{ids[1]}.html")
    pages = sorted(p.name for p in (site / "issues").iterdir())
    assert pages == sorted(f"{i}.html" for i in ids) and (site / "index.html").is_file()
    assert (
        feedparser.parse((site / "feed.xml").read_bytes()).entries[0].link.startswith("https://news.example/")
    )

    again, _ = deliver(make_publisher(target, settings), load_issue(stored, settings), ledger, "run-2")
    assert again.status == "already-sent" and again.sent == 0
    (site / "index.html").write_text("changed by hand")
    republished, _ = deliver(
        make_publisher(target, settings), load_issue(stored, settings), ledger, "run-3", republish=True
    )
    assert republished.status == "sent"
    assert "Archive Weekly 2026-11-22" in (site / "index.html").read_text()  # rewritten in place
    assert sorted(p.name for p in (site / "issues").iterdir()) == pages  # nothing doubled
    assert list(ledger.entries(ids[1], "archive")) == [""]

    # Publishing the waiting draft by hand approves it: it joins the archive, newest first.
    draft = ledger.find("2026-11-29")
    assert draft is not None
    publish_stored(settings, draft.newsletter.id)
    entries = feedparser.parse((site / "feed.xml").read_bytes()).entries
    assert [e.title for e in entries] == ["Not yet", "Archive Weekly 2026-11-22", "Archive Weekly 2026-11-15"]
    assert (archive_folder(settings) / "issues" / f"{draft.newsletter.id}.html").is_file()
