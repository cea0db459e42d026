"""The static archive of published issues: index.html, one page per issue, and an Atom feed.

Written to out/archive/ (see `newsroom.publishers.archive`, which picks the published issues from
the ledger and copies the folder to an `archive` target). Rebuilt whole from the issues each time,
so it never holds an issue twice and reads the same after any number of rebuilds: page names,
feed ids (urn:uuid from the issue id) and dates (when the issue was recorded) do not change.
The issue pages are the newsletter's own HTML template, with a line linking back to the index.
"""

from __future__ import annotations

import shutil
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from newsroom.config import Settings
from newsroom.models import Newsletter
from newsroom.newsletter.issue import render_newsletter
from newsroom.newsletter.render import render
from newsroom.store import write_text

ATOM = "http://www.w3.org/2005/Atom"
# Namespace of the archive's urn:uuid ids: uuid5(this, issue id) is the same on every machine.
ID_NAMESPACE = uuid.UUID("9b7c4f0e-2f6b-5c1a-9d43-6e2a8f1b7c55")


@dataclass(frozen=True)
class ArchivedIssue:
    """A published issue as the archive shows it."""

    newsletter: Newsletter
    subject: str
    published: str  # ISO time the issue was recorded: the feed's published/updated
    backends: dict[str, str]

    @property
    def page(self) -> str:
        return f"issues/{self.newsletter.id}.html"


def issue_uuid(newsletter_id: str) -> str:
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, 'issue:' + newsletter_id)}"


def newest_first(issues: list[ArchivedIssue]) -> list[ArchivedIssue]:
    return sorted(issues, key=lambda i: (i.newsletter.date, i.published, i.newsletter.id), reverse=True)


def build_archive(
    folder: Path, issues: list[ArchivedIssue], settings: Settings, base_url: str | None = None
) -> dict[str, Path]:
    """Write index.html, issues/<id>.html and feed.xml for these issues; pages of issues no longer
    among them are removed."""
    ordered = newest_first(issues)
    pages = folder / "issues"
    pages.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    keep = set()
    for issue in ordered:
        html = render(
            "newsletter.html.j2",
            settings.templates_dir,
            newsletter=issue.newsletter,
            backends=issue.backends,
            archive={"index": "../index.html", "feed": "../feed.xml"},
        )
        written[issue.newsletter.id] = write_text(folder / issue.page, html)
        keep.add(Path(issue.page).name)
    for stale in pages.glob("*.html"):
        if stale.name not in keep:
            stale.unlink()
    index = render("archive_index.html.j2", settings.templates_dir, title=settings.title, issues=ordered)
    written["index"] = write_text(folder / "index.html", index)
    written["feed"] = write_text(folder / "feed.xml", atom_feed(ordered, settings, base_url))
    return written


def atom_feed(issues: list[ArchivedIssue], settings: Settings, base_url: str | None = None) -> str:
    """An Atom 1.0 feed of the issues, newest first, each with its HTML as content."""
    base = (base_url.rstrip("/") + "/") if base_url else ""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    if base:
        feed.set("{http://www.w3.org/XML/1998/namespace}base", base)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    sub(feed, "id", f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, 'feed:' + (base or settings.title))}")
    sub(feed, "title", settings.title)
    sub(feed, "updated", max((i.published for i in issues), default="1970-01-01T00:00:00+00:00"))
    sub(sub(feed, "author"), "name", settings.title)
    sub(feed, "link", rel="self", type="application/atom+xml", href=f"{base}feed.xml")
    sub(feed, "link", rel="alternate", type="text/html", href=f"{base}index.html")
    sub(feed, "generator", "newsroom")
    for issue in issues:
        entry = sub(feed, "entry")
        sub(entry, "id", issue_uuid(issue.newsletter.id))
        sub(entry, "title", issue.subject)
        sub(entry, "published", issue.published)
        sub(entry, "updated", issue.published)
        sub(entry, "link", rel="alternate", type="text/html", href=f"{base}{issue.page}")
        sub(entry, "summary", issue.newsletter.intro)
        html = render_newsletter(issue.newsletter, settings, issue.backends)["html"]
        sub(entry, "content", html, type="html")  # ElementTree escapes it: HTML as text, as Atom wants
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"


def copy_archive(source: Path, destination: Path) -> Path:
    """The archive folder copied over `destination` in place: files rewritten, removed issues gone."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, destination, dirs_exist_ok=True)
    wanted = {p.relative_to(source) for p in (source / "issues").glob("*.html")}
    for page in (destination / "issues").glob("*.html"):
        if page.relative_to(destination) not in wanted:
            page.unlink()
    return destination
