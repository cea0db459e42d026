"""What a digest run shows in the Prefect UI: newsletter preview, run report, links, live progress.

The table and link builders are pure; the `create_*` calls need a flow run (they attach to it).
Every text goes through `redact`, so a secret that reached a report never reaches the server.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from uuid import UUID

from newsroom.models import RunReport
from newsroom.newsletter.issue import run_folder
from newsroom.secrets import redact

log = logging.getLogger("newsroom.ops.artifacts")

PREVIEW_KEY = "newsletter-preview"
REPORT_KEY = "run-report"
NEWSLETTER_LINK_KEY = "newsletter-link"
REPORT_LINK_KEY = "run-report-link"
PROGRESS_KEY = "digest-progress"


def report_table(report: RunReport) -> list[dict[str, str]]:
    """One row per episode (and per failed source): episode, status, reason, cost."""
    rows = [
        {
            "episode": e.title,
            "source": e.source_name,
            "status": e.status,
            "reason": (f"[{e.stage}] " if e.stage else "") + (e.reason or ""),
            "cost": f"${e.cost_usd:.4f}",
            "seconds": f"{e.seconds:.1f}",
        }
        for e in report.episodes
    ]
    rows += [
        {
            "episode": f"(source) {s.name}",
            "source": s.name,
            "status": "failed",
            "reason": s.reason or "",
            "cost": "$0.0000",
            "seconds": "",
        }
        for s in report.sources
        if s.status == "failed"
    ]
    return [{k: redact(v) for k, v in row.items()} for row in rows]


def report_summary(report: RunReport) -> str:
    counts = {s: sum(1 for e in report.episodes if e.status == s) for s in ("done", "failed", "skipped")}
    failed_sources = sum(1 for s in report.sources if s.status == "failed")
    text = f"{counts['done']} done, {counts['failed']} failed, {counts['skipped']} skipped"
    if failed_sources:
        text += f", {failed_sources} source(s) failed"
    return f"{text}; estimated cost ${report.total_cost:.4f}" + (" (dry run)" if report.dry_run else "")


def preview_markdown(report: RunReport, newsletter_md: str | None) -> str:
    """The newsletter as it will go out, or why there is none this time."""
    if newsletter_md:
        banner = "> **Dry run**: a preview; nothing was published.\n\n" if report.dry_run else ""
        return redact(banner + newsletter_md)
    return redact("**No newsletter this run.**\n\n" + "\n".join(f"- {n}" for n in report.notes))


def create_digest_artifacts(report: RunReport, folder: Path) -> None:
    """The preview, the report table and links to the written files, attached to the current run.

    They show what the files already hold: a server hiccup here is logged, and the run (whose issue
    may already be out) goes on to record itself as done.
    """
    try:
        _create_digest_artifacts(report, folder)
    except Exception as exc:
        log.warning("could not create the run's artifacts: %s", redact(str(exc)))


def _create_digest_artifacts(report: RunReport, folder: Path) -> None:
    from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

    newsletter = Path(report.newsletter_path) if report.newsletter_path else None
    markdown = newsletter.read_text() if newsletter and newsletter.is_file() else None
    create_markdown_artifact(
        markdown=preview_markdown(report, markdown),
        key=PREVIEW_KEY,
        description=redact(f"Newsletter preview: {report_summary(report)}"),
    )
    create_table_artifact(
        table=report_table(report), key=REPORT_KEY, description=redact(report_summary(report))
    )
    html = newsletter.with_suffix(".html") if newsletter else None
    if html and html.is_file():
        create_link_artifact(
            link=html.resolve().as_uri(),
            link_text=str(html),
            key=NEWSLETTER_LINK_KEY,
            description="The newsletter as HTML (Markdown, text and notes are next to it).",
        )
    report_md = run_folder(folder, report) / "report.md"  # this run's own, kept for good
    if report_md.is_file():
        create_link_artifact(
            link=report_md.resolve().as_uri(),
            link_text=str(report_md),
            key=REPORT_LINK_KEY,
            description="This run's report (report.json next to it; the folder's report.md is the latest run's).",
        )


class EpisodeProgress:
    """A progress artifact that moves as episodes finish."""

    def __init__(self, total: int) -> None:
        from prefect.artifacts import create_progress_artifact

        self.total, self.done = total, 0
        created: Any = create_progress_artifact(  # sync here: async_dispatch types it as both
            progress=100.0 if total == 0 else 0.0, key=PROGRESS_KEY, description=self._describe()
        )
        self.id: UUID = created

    def _describe(self) -> str:
        return f"{self.done} of {self.total} episode(s) processed"

    def advance(self) -> None:
        from prefect.artifacts import update_progress_artifact

        self.done += 1
        try:
            update_progress_artifact(
                self.id, progress=100.0 * self.done / max(self.total, 1), description=self._describe()
            )
        except Exception as exc:  # a progress bar must never stop the episodes
            log.warning("could not update the progress artifact: %s", redact(str(exc)))
