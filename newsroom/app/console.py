"""What the `newsroom` command prints: progress bars, the run report, publications and costs."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console(stderr=True)  # progress, warnings, errors
out = Console()  # results


class ProgressDisplay:
    """Rich bars for downloads and transcription, fed by `newsroom.progress` reports."""

    def __init__(self) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.tasks: dict[str, Any] = {}

    def __call__(self, key: str, description: str, completed: float, total: float) -> None:
        if key not in self.tasks:
            self.tasks[key] = self.progress.add_task(description, total=total or None)
        self.progress.update(
            self.tasks[key], completed=completed, total=total or None, description=description
        )

    def __enter__(self) -> ProgressDisplay:
        from newsroom import progress

        self.progress.start()
        self.unsubscribe = progress.subscribe(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.unsubscribe()
        self.progress.stop()


def print_report(report: Any, elapsed: float) -> None:
    table = Table(title=f"Run {report.run_id}", show_lines=False)
    for column in ("Episode", "Source", "Status", "Reason", "Transcript", "Summary"):
        table.add_column(column, overflow="fold")
    colors = {"done": "green", "failed": "red", "skipped": "yellow"}
    for e in report.episodes:
        reason = f"[{e.stage}] {e.reason}" if e.stage else (e.reason or "")
        table.add_row(
            e.title[:60],
            e.source_name[:30],
            f"[{colors.get(e.status, 'white')}]{e.status}[/]",
            reason[:200],
            e.transcript_backend or "",
            e.summary_backend or "",
        )
    for s in report.sources:
        if s.status == "failed":
            table.add_row(f"(source) {s.name[:50]}", "", "[red]failed[/]", (s.reason or "")[:200], "", "")
    if report.episodes or any(s.status == "failed" for s in report.sources):
        out.print(table)
    for note in report.notes:
        out.print(note)
    out.print(
        "Backends: "
        + ", ".join(f"{k}={v}" for k, v in report.backends.items())
        + (f"; editor={report.editor}" if report.editor else "")
    )
    if report.newsletter_path:
        label = "Preview (dry run, nothing published)" if report.dry_run else "Newsletter"
        out.print(f"{label}: {report.newsletter_path}")
    if report.review:
        out.print(f"Review: {report.review}")
    print_publications(report.publications)
    out.print(f"Estimated cost ${report.total_cost:.4f} · {elapsed:.1f} s")


def print_publications(outcomes: list[Any]) -> None:
    colors = {
        "sent": "green",
        "already-sent": "cyan",
        "would-send": "cyan",
        "failed": "red",
        "unknown": "yellow",
    }
    for p in outcomes:
        counts = f"sent {p.sent}" + (f", already {p.already_sent}" if p.already_sent else "")
        counts += f", failed {p.failed}" if p.failed else ""
        out.print(
            f"Publish [bold]{p.target}[/] ({p.type}): [{colors.get(p.status, 'white')}]{p.status}[/] ({counts})"
            + (f" · {p.message_id}" if p.message_id and p.status == "sent" else "")
        )
        if p.detail and p.status == "would-send":
            out.print(f"  would send: {p.detail}", highlight=False, soft_wrap=True)
        if p.reason:
            out.print(f"  {p.reason}", highlight=False, soft_wrap=True, markup=False)


def print_cost_table(rows: list[dict[str, Any]], by: str) -> None:
    """The `newsroom cost` table: one row per group, then the total."""
    from newsroom.costs import total

    table = Table(title=f"Estimated cost by {by}")
    for column in (
        by.capitalize(),
        "Calls",
        "Failed",
        "Tokens in",
        "Tokens out",
        "Audio min",
        "Seconds",
        "USD",
    ):
        table.add_column(column, justify="left" if column == by.capitalize() else "right")
    for row in [*rows, total(rows)]:
        table.add_row(
            str(row["key"]),
            str(row["calls"]),
            str(row["failed"] or 0),
            f"{row['input_tokens'] or 0:,}",
            f"{row['output_tokens'] or 0:,}",
            f"{row['audio_minutes'] or 0:.1f}",
            f"{row['seconds'] or 0:.1f}",
            f"${row['cost_usd'] or 0:.4f}",
            style="bold" if row["key"] == "total" else None,
        )
    out.print(table)


def print_hits(hits: list[Any], query: str) -> None:
    """Search hits (newsroom.search.Hit): where (episode, second, speaker), the snippet, the link."""
    from rich.markup import escape

    if not hits:
        console.print(f"No matches for {query!r}.", highlight=False, markup=False)
        return
    for n, hit in enumerate(hits, 1):
        kind = None if hit.kind == "segment" else hit.kind  # a summary's takeaway has a second too
        where = " · ".join(escape(part) for part in (hit.source, kind, hit.at, hit.speaker) if part)
        snippet = (
            escape(hit.snippet.replace("\n", " ")).replace("\x02", "[bold yellow]").replace("\x03", "[/]")
        )
        out.print(f"[bold]{n}. {escape(hit.title)}[/] [dim]({where})[/]", soft_wrap=True, highlight=False)
        out.print(f"   {snippet}", soft_wrap=True, highlight=False)
        if hit.link:
            out.print(f"   {escape(hit.link)}", soft_wrap=True, highlight=False)
