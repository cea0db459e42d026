"""The `newsroom` command: the weekly digest, single stages for debugging, and the library."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from newsroom.config import ConfigError, Settings, load_settings

app = typer.Typer(
    name="newsroom",
    help="Turn what your sources published this week into a newsletter (Prefect 3 flows).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)
console = Console(stderr=True)
out = Console()

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file \\[default: ./newsroom.toml or $NEWSROOM_CONFIG]."),
]


def _settings(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as exc:
        console.print(f"[bold red]Configuration error[/]\n{exc}")
        raise typer.Exit(2) from None


def _quiet_prefect(verbose: bool) -> None:
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL", "WARNING")
    from newsroom.secrets import install_redaction

    install_redaction()


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


@app.command()
def digest(
    config: ConfigOption = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="Start of the window [default: last successful run, else 7 days]."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Redo episodes already done or in a newsletter.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Process and render, but publish nothing.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's logs.")] = False,
) -> None:
    """Run the weekly digest: discover, transcribe, summarize, draft and publish."""
    settings = _settings(config)
    from newsroom.prefect_server import await_api, ensure_api

    server = ensure_api()  # starts now, while the imports below take their seconds
    _quiet_prefect(verbose)
    from newsroom.ytdlp import youtube_runtime_warning

    if any(s.kind == "youtube" for s in settings.sources) and (warning := youtube_runtime_warning()):
        console.print(f"[yellow]warning:[/] {warning}")
    from flows.weekly_digest import weekly_digest
    from newsroom.store import Store

    config_path = str(settings.config_path) if settings.config_path else str(config or "newsroom.toml")
    started = time.monotonic()
    with ProgressDisplay() as display, await_api(server):
        display("prefect", "starting Prefect and the digest flow", 0, 0)
        state = weekly_digest(
            config=config_path,
            since=since.date() if since else None,
            force=force,
            dry_run=dry_run,
            return_state=True,
        )
    report = Store(settings.library_dir).last_report()
    if report is not None:
        print_report(report, time.monotonic() - started)
    if state.is_failed():
        try:
            state.result()
        except Exception as exc:
            from newsroom.secrets import redact

            console.print(f"[bold red]The digest failed:[/] {redact(str(exc))[:500]}")
        raise typer.Exit(1)


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
    out.print(f"Estimated cost ${report.total_cost:.4f} · {elapsed:.1f} s")


# The local Prefect server and the deployments -----------------------------------------------------


@app.command()
def up(
    config: ConfigOption = None,
    host: Annotated[str, typer.Option(help="Address the server listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the server and its UI.")] = 4200,
) -> None:
    """Start a local Prefect server (UI included) and serve the deployments; Ctrl-C stops both.

    The weekly digest then runs on the schedule newsroom.toml gives (Mondays 07:00 Europe/Amsterdam
    unless changed), and every deployment runs from the UI's form. State lives in PREFECT_HOME.
    """
    import signal

    settings = _settings(config)
    if settings.config_path is None:
        console.print(
            "[bold red]newsroom up needs a newsroom.toml[/] (in this folder, or --config PATH): "
            "the deployments run with it."
        )
        raise typer.Exit(2)
    from deployments.serve import SPECS
    from newsroom.up import Up, UpError, banner

    if os.environ.get("PREFECT_API_URL"):
        console.print(
            f"[yellow]note:[/] PREFECT_API_URL is set ({os.environ['PREFECT_API_URL']}); `newsroom up` starts "
            "its own server. To serve against yours instead: python -m deployments"
        )
    runner = Up(settings.config_path, host=host, port=port, say=console.print)

    def on_signal(signum: int, frame: object) -> None:
        runner.stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    home = os.environ.get("PREFECT_HOME", ".prefect")
    code = 1
    try:
        console.print(f"Starting the Prefect server at {runner.ui_url} (state in {home}) ...")
        runner.start_server()
        console.print("Serving the deployments ...")
        runner.start_runner()
        runner.wait_for_deployments([s.full_name for s in SPECS])
        out.print(
            banner(runner.ui_url, runner.api_url, settings.schedule, [s.full_name for s in SPECS]),
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
        code = runner.wait()
    except UpError as exc:
        if not runner.stopping.is_set():
            console.print(f"[bold red]newsroom up:[/] {exc}")
    finally:
        console.print("Stopping the deployments, then the server ...")
        runner.stop()
        console.print("Stopped.")
    raise typer.Exit(0 if runner.stopping.is_set() else code)  # Ctrl-C is how `up` is meant to end


# Single stages, for debugging ---------------------------------------------------------------------

STAGES = ("discover", "fetch", "transcribe", "summarize", "draft", "publish")


@app.command("task")
def task_command(
    stage: Annotated[str, typer.Argument(help=f"One of: {', '.join(STAGES)}.")],
    target: Annotated[
        list[str],
        typer.Argument(
            help="A URL, a path or an episode id (from the run report); a transcript.json; "
            "summary.json files; or a newsletter.json to publish."
        ),
    ],
    config: ConfigOption = None,
    force: Annotated[bool, typer.Option("--force", help="Ignore stored results.")] = False,
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the result (JSON) to this file.")
    ] = None,
    traceback: Annotated[bool, typer.Option("--traceback", help="Show the full trace of a failure.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose/--quiet", "-v/-q", help="Show Prefect's logs.")] = True,
) -> None:
    """Run one stage on one input with the same code and config as the digest, and print its result.

    Publishing is always a dry run here: a preview in out/<date>/dry-run/, nothing sent.
    """
    settings = _settings(config)
    from newsroom.prefect_server import await_api, ensure_api

    # Tasks run here without a flow run: their logs go to the terminal, not to the API.
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    server = ensure_api()
    _quiet_prefect(verbose)
    from newsroom.secrets import redact
    from newsroom.stages import StageInputError, run_stage

    try:
        with ProgressDisplay(), await_api(server):
            result = run_stage(stage, target, settings, force)
    except StageInputError as exc:
        console.print(f"[bold red]newsroom task {stage}:[/] {redact(str(exc))}")
        raise typer.Exit(2) from None
    except Exception as exc:
        if traceback:
            raise
        console.print(f"[bold red]{stage} failed:[/] {type(exc).__name__}: {redact(str(exc))[:1000]}")
        console.print("Run it again with --traceback for the full trace.")
        raise typer.Exit(1) from None
    text = json.dumps(result, default=str, ensure_ascii=False, indent=2)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text + "\n")
        console.print(f"Wrote {output}")
    else:
        out.print_json(text)


def task_main(stage: str, argv: list[str]) -> None:
    """Entry for `python -m tasks.<stage> TARGET...`: exactly `newsroom task <stage> TARGET...`.

    The stage module imported Prefect before this runs, too late for the settings the command sets
    before Prefect starts (server address, log levels), so the command runs in a fresh interpreter.
    """
    os.execv(sys.executable, [sys.executable, "-m", "newsroom", "task", stage, *argv])


@app.command()
def config(config: ConfigOption = None) -> None:
    """Validate the config file and show the settings in effect (secrets are never part of them)."""
    settings = _settings(config)
    from newsroom.openai_api import resolve_llm_backend, resolve_stt_backend

    out.print(f"Config: {settings.config_path or '(none: defaults)'}")
    out.print(f"Speech-to-text: {resolve_stt_backend(settings)} · LLM: {resolve_llm_backend(settings)}")
    out.print_json(settings.model_dump_json(exclude={"prices"}))


def main() -> None:
    logging.captureWarnings(True)
    app()


if __name__ == "__main__":
    main()
