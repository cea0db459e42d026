"""Archive: the static archive of every published issue (index, issue pages, Atom feed) copied to
a folder, for GitHub Pages or any static host. Rewritten in place: never an issue twice."""

from __future__ import annotations

from pathlib import Path

from newsroom.config import Settings
from newsroom.newsletter.archive import ArchivedIssue, build_archive, copy_archive
from newsroom.publishers.base import Issue, Publisher, PublishError
from newsroom.publishers.ledger import Ledger
from newsroom.store import Store
from newsroom.targets import ArchiveTarget


def archive_folder(settings: Settings) -> Path:
    return settings.output_dir / "archive"


def update_archive(settings: Settings) -> Path:
    """Rebuild out/archive/ from every approved (published) newsletter in the ledger."""
    issues = [
        ArchivedIssue(s.newsletter, s.subject, s.created, s.backends)
        for s in Ledger(Store(settings.library_dir)).newsletters("approved")
    ]
    base_url = next(
        (t.base_url for t in settings.publish if isinstance(t, ArchiveTarget) and t.base_url), None
    )
    folder = archive_folder(settings)
    build_archive(folder, issues, settings, base_url)
    return folder


class ArchivePublisher(Publisher):
    idempotent = True
    target: ArchiveTarget

    def destination(self) -> Path:
        return self.settings.resolve(self.target.path)

    def send(self, issue: Issue, recipient: str, key: str) -> str:
        destination = self.destination()
        try:
            source = update_archive(self.settings)
            copy_archive(source, destination)
        except OSError as exc:
            raise PublishError(f"cannot write the archive to {destination}: {exc.strerror or exc}") from None
        return str(destination / f"issues/{issue.newsletter.id}.html")

    def describe(self, issue: Issue) -> str:
        return f"the archive (index.html, issue pages, feed.xml) in {self.destination()}"
