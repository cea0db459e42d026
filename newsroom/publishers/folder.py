"""Folder: the issue in Markdown, HTML email, plain text and JSON, plus the episode notes."""

from __future__ import annotations

from pathlib import Path

from newsroom.newsletter.issue import write_issue_folder
from newsroom.publishers.base import Issue, Publisher, PublishError
from newsroom.targets import FolderTarget


class FolderPublisher(Publisher):
    idempotent = True
    target: FolderTarget

    def folder(self, issue: Issue) -> Path:
        return self.settings.resolve(self.target.path) / issue.newsletter.date

    def send(self, issue: Issue, recipient: str, key: str) -> str:
        folder = self.folder(issue)
        try:
            written = write_issue_folder(
                folder, issue.newsletter, issue.stories, issue.rendered, self.settings
            )
        except OSError as exc:
            raise PublishError(f"cannot write to {folder}: {exc.strerror or exc}") from None
        return str(written["markdown"])

    def describe(self, issue: Issue) -> str:
        return f"newsletter.md/.html/.txt/.json and {2 * len(issue.stories)} notes in {self.folder(issue)}"
