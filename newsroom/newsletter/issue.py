"""Write an issue to a folder: the newsletter in Markdown, HTML, plain text and JSON, plus notes."""

from __future__ import annotations

import shutil
from pathlib import Path

from newsroom.config import Settings
from newsroom.models import Episode, Newsletter, RunReport, Summary
from newsroom.newsletter.notes import note_name, note_names
from newsroom.newsletter.render import render
from newsroom.store import Store, write_json, write_text


def render_newsletter(
    newsletter: Newsletter, settings: Settings, backends: dict[str, str] | None = None
) -> dict[str, str]:
    """The issue as {'md': ..., 'html': ..., 'txt': ...}."""
    context = {"newsletter": newsletter, "backends": backends or {}}
    return {
        "md": render("newsletter.md.j2", settings.templates_dir, **context),
        "html": render("newsletter.html.j2", settings.templates_dir, **context),
        "txt": render("newsletter.txt.j2", settings.templates_dir, **context),
    }


def issue_folder(settings: Settings, date: str, dry_run: bool = False) -> Path:
    """Where a run's issue and report go: out/<date>/, or out/<date>/dry-run/ for a dry run."""
    folder = settings.output_dir / date
    return folder / "dry-run" if dry_run else folder


def write_issue_folder(
    folder: Path,
    newsletter: Newsletter,
    stories: list[tuple[Episode, Summary]],
    rendered: dict[str, str],
    settings: Settings,
) -> dict[str, Path]:
    """The issue as rendered by `render_newsletter`, its JSON, and every story's notes."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {
        "markdown": write_text(folder / "newsletter.md", rendered["md"]),
        "html": write_text(folder / "newsletter.html", rendered["html"]),
        "text": write_text(folder / "newsletter.txt", rendered["txt"]),
        "json": write_json(folder / "newsletter.json", newsletter),
    }
    store = Store(settings.library_dir)
    notes = folder / "notes"
    notes.mkdir(exist_ok=True)
    names = note_names(store)
    for episode, _ in stories:
        source = store.episode_dir(episode.id)
        for kind in ("transcript", "summary"):
            src = source / f"{kind}.md"
            if src.exists():
                suffix = "" if kind == "transcript" else " - summary"
                shutil.copyfile(src, notes / f"{note_name(episode, names)}{suffix}.md")
    written["notes"] = notes
    return written


def write_report(folder: Path, report: RunReport, settings: Settings) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "report_md": write_text(
            folder / "report.md", render("report.md.j2", settings.templates_dir, report=report)
        ),
        "report_json": write_json(folder / "report.json", report),
    }
