"""Draft the newsletter from the week's summaries."""

from __future__ import annotations

from datetime import date

from prefect import task

from newsroom.config import Settings
from newsroom.editor import deterministic_draft
from newsroom.models import Episode, Newsletter, Summary


@task(name="draft-newsletter")
def draft_newsletter(stories: list[tuple[Episode, Summary]], settings: Settings, day: date) -> Newsletter:
    """Choose, order and write up the stories of this issue."""
    return deterministic_draft(settings.title, settings.language, day, stories)


if __name__ == "__main__":
    import sys

    from newsroom.cli import task_main

    task_main("draft", sys.argv[1:])
