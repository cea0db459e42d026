"""Write an issue to a folder: the newsletter in Markdown, HTML, plain text and JSON, plus notes."""

from __future__ import annotations

import json
import shutil
from datetime import UTC
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


def run_folder(folder: Path, report: RunReport) -> Path:
    """Where one run's own report is kept for good: out/<date>/runs/<start, UTC>-<run id>/."""
    return folder / "runs" / f"{report.started.astimezone(UTC):%Y-%m-%dT%H%M%SZ}-{report.run_id}"


def write_report(folder: Path, report: RunReport, settings: Settings) -> dict[str, Path]:
    """Every run's report in its own `runs/` folder, and a copy in out/<date>/report.{md,json}, which
    is always the latest run's. A run that made no issue where an earlier run made one says whose
    report describes that issue, so a no-op run hides nothing."""
    folder.mkdir(parents=True, exist_ok=True)
    _keep_unfiled_report(folder)
    if not report.newsletter_path and (made := issue_report(folder)):
        report.notes.append(f"The issue in this folder was made by run {made[0]}; its report: {made[1]}")
    own = run_folder(folder, report)
    markdown = render("report.md.j2", settings.templates_dir, report=report)
    written = {
        "run_report_md": write_text(own / "report.md", markdown),
        "run_report_json": write_json(own / "report.json", report),
    }
    written["report_md"] = write_text(folder / "report.md", markdown)
    written["report_json"] = write_json(folder / "report.json", report)
    return written


def issue_report(folder: Path) -> tuple[str, str] | None:
    """(run id, report path relative to `folder`) of the latest kept run that wrote this folder's issue."""
    for path in sorted((folder / "runs").glob("*/report.json"), reverse=True):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if data.get("newsletter_path") and Path(data["newsletter_path"]).resolve().parent == folder.resolve():
            return str(data.get("run_id")), str(path.with_suffix(".md").relative_to(folder))
    return None


def _keep_unfiled_report(folder: Path) -> None:
    """A report.json written before reports were kept per run (or by a run that died before filing
    its own): file it under runs/ before report.md is replaced."""
    latest = folder / "report.json"
    if not latest.is_file():
        return
    try:
        earlier = RunReport.model_validate_json(latest.read_text())
    except (OSError, ValueError):
        return
    own = run_folder(folder, earlier)
    if not (own / "report.json").exists():
        own.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(latest, own / "report.json")
        if (folder / "report.md").is_file():
            shutil.copyfile(folder / "report.md", own / "report.md")
