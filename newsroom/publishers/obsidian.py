"""Obsidian vault: transcript and summary notes per episode, and the newsletter as a note.

Notes are updated in place. What the user wrote under the Notes heading of a transcript note (or
of the newsletter note) is read back first and kept, so re-publishing never clobbers it.
"""

from __future__ import annotations

from pathlib import Path

from newsroom.locales import locale
from newsroom.newsletter.notes import (
    Library,
    note_name,
    related_episodes,
    safe_title,
    summary_note,
    transcript_note,
    user_notes,
)
from newsroom.newsletter.render import render
from newsroom.publishers.base import Issue, Publisher, PublishError
from newsroom.store import Store, write_text
from newsroom.targets import ObsidianTarget


class ObsidianPublisher(Publisher):
    idempotent = True
    target: ObsidianTarget

    @property
    def base(self) -> Path:
        return self.settings.resolve(self.target.vault) / self.target.folder

    def check(self, issue: Issue) -> None:
        vault = self.settings.resolve(self.target.vault)
        if not vault.is_dir():
            raise PublishError(f"the Obsidian vault {vault} does not exist (create it, or fix `vault`)")

    def newsletter_note_path(self, issue: Issue) -> Path:
        title = safe_title(issue.subject)
        return self.base / self.target.newsletters / f"{title or issue.newsletter.id}.md"

    def send(self, issue: Issue, recipient: str, key: str) -> str:
        self.check(issue)
        store = Store(self.settings.library_dir)
        library = Library.read(store)
        names = library.names
        try:
            for episode, summary in issue.stories:
                transcript = store.load_transcript(episode.id)
                name = note_name(episode, names)
                if transcript is not None:
                    path = self.base / self.target.transcripts / f"{name}.md"
                    kept = user_notes(path.read_text(), self.settings.templates_dir) if path.exists() else ""
                    related = related_episodes(store, episode, summary, library=library)
                    write_text(
                        path, transcript_note(episode, transcript, summary, related, self.settings, kept)
                    )
                backend = transcript.backend if transcript else summary.backend
                write_text(
                    self.base / self.target.summaries / f"{name} - summary.md",
                    summary_note(episode, summary, backend, self.settings),
                )
            path = self.newsletter_note_path(issue)
            kept = user_notes(path.read_text(), self.settings.templates_dir) if path.exists() else ""
            write_text(path, self.newsletter_note(issue, kept, names))
        except OSError as exc:
            raise PublishError(f"cannot write to the vault {self.base}: {exc.strerror or exc}") from None
        return str(path.relative_to(self.settings.resolve(self.target.vault)))

    def newsletter_note(self, issue: Issue, kept: str, library_names: dict[str, str]) -> str:
        names = {episode.id: note_name(episode, library_names) for episode, _ in issue.stories}
        return render(
            "newsletter_note.md.j2",
            self.settings.templates_dir,
            issue=issue,
            newsletter=issue.newsletter,
            names=names,
            h=locale(issue.newsletter.language, self.settings.templates_dir).headings,
            user_notes=kept,
        )

    def describe(self, issue: Issue) -> str:
        return (
            f"{len(issue.stories)} transcript and {len(issue.stories)} summary notes and the newsletter note "
            f"in the vault folder {self.base}"
        )
