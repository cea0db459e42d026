"""Publishers: one per kind of `[[publish]]` target, behind one interface (`Publisher`)."""

from __future__ import annotations

from newsroom.config import Settings
from newsroom.publishers.archive import ArchivePublisher
from newsroom.publishers.base import Issue, Publisher, PublishError
from newsroom.publishers.buttondown import ButtondownPublisher
from newsroom.publishers.folder import FolderPublisher
from newsroom.publishers.obsidian import ObsidianPublisher
from newsroom.publishers.smtp import EmailPublisher
from newsroom.publishers.webhook import WebhookPublisher
from newsroom.targets import TargetBase

PUBLISHERS: dict[str, type[Publisher]] = {
    "folder": FolderPublisher,
    "obsidian": ObsidianPublisher,
    "email": EmailPublisher,
    "webhook": WebhookPublisher,
    "buttondown": ButtondownPublisher,
    "archive": ArchivePublisher,
}


def make_publisher(target: TargetBase, settings: Settings) -> Publisher:
    return PUBLISHERS[str(target.type)](target, settings)


__all__ = ["PUBLISHERS", "Issue", "PublishError", "Publisher", "make_publisher"]
