"""Render the newsletter and deliver it to the configured targets (never cached)."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from newsroom.config import Settings
from newsroom.models import Episode, Newsletter, RunReport, Summary
from newsroom.publishing import write_issue_folder


@task(name="publish-newsletter", cache_policy=NO_CACHE)
def publish_newsletter(
    newsletter: Newsletter,
    stories: list[tuple[Episode, Summary]],
    report: RunReport,
    settings: Settings,
    dry_run: bool = False,
) -> dict[str, str]:
    """Write the issue and its notes to out/<date>/; a dry run writes only a preview."""
    folder = settings.output_dir / newsletter.date
    if dry_run:
        folder = folder / "dry-run"
    written = write_issue_folder(folder, newsletter, stories, report, settings)
    return {name: str(Path(p)) for name, p in written.items()}


if __name__ == "__main__":
    import sys

    from newsroom.cli import task_main

    task_main("publish", sys.argv[1:])
