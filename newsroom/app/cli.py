"""The `newsroom` command: the weekly digest, single stages for debugging, and the library."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from newsroom.app.console import (
    ProgressDisplay,
    console,
    out,
    print_cost_table,
    print_hits,
    print_publications,
    print_report,
)
from newsroom.config import ConfigError, Settings, load_settings
from newsroom.sources import check_kinds, kind_of

app = typer.Typer(
    name="newsroom",
    help="Turn what your sources published this week into a newsletter (Prefect 3 flows).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file \\[default: ./newsroom.toml or $NEWSROOM_CONFIG]."),
]


def _settings(config: Path | None) -> Settings:
    try:
        settings = load_settings(config)
        check_kinds(settings)
        return settings
    except ConfigError as exc:
        console.print(f"[bold red]Configuration error[/]\n{exc}")
        raise typer.Exit(2) from None


def _quiet_prefect(verbose: bool) -> None:
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL", "WARNING")
    from newsroom.secrets import install_redaction

    install_redaction()


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
    republish: Annotated[
        bool, typer.Option("--republish", help="Send this issue again to targets it already reached.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's logs.")] = False,
) -> None:
    """Run the weekly digest: discover, transcribe, summarize, draft and publish."""
    settings = _settings(config)
    from newsroom.ops.prefect_server import await_api, ensure_api

    server = ensure_api()  # starts now, while the imports below take their seconds
    _quiet_prefect(verbose)
    from newsroom.sources.ytdlp import youtube_runtime_warning

    if any(kind_of(s).name == "youtube" for s in settings.sources) and (warning := youtube_runtime_warning()):
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
            republish=republish,
            return_state=True,
        )
    report = Store(settings.library_dir).last_report()
    if report is not None:
        print_report(report, time.monotonic() - started)
    if state.is_crashed() or state.is_cancelled():
        # Ctrl-C or SIGTERM mid-run: Prefect hands back a Crashed state instead of raising, and a
        # shell or scheduler must not read an interrupted digest as a finished one.
        console.print(f"[bold red]The digest was interrupted ({state.name}):[/] {state.message or ''}")
        raise typer.Exit(130)
    if state.is_failed():
        try:
            state.result()
        except Exception as exc:
            from newsroom.secrets import redact

            console.print(f"[bold red]The digest failed:[/] {redact(str(exc))[:500]}")
        raise typer.Exit(1)


# Publishing and review ----------------------------------------------------------------------------


@app.command()
def publish(
    newsletter: Annotated[
        str | None, typer.Argument(help="Newsletter id or date, YYYY-MM-DD (default: the latest).")
    ] = None,
    target: Annotated[
        list[str] | None, typer.Option("--target", "-t", help="Only this target (repeat for more).")
    ] = None,
    republish: Annotated[
        bool, typer.Option("--republish", help="Send again what already went out, on purpose.")
    ] = False,
    resend_unknown: Annotated[
        bool,
        typer.Option(
            "--resend-unknown", help="Send deliveries an interrupted run left unconfirmed (check first)."
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would go where; send nothing.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Publish a stored newsletter: retry failed targets, release a draft, or --republish on purpose."""
    settings = _settings(config)
    _quiet_prefect(False)
    from newsroom.publishers.delivery import CannotPublishError, publish_stored

    try:
        stored, outcomes = publish_stored(settings, newsletter, target, republish, resend_unknown, dry_run)
    except CannotPublishError as exc:
        console.print(f"[bold red]{exc}[/]", soft_wrap=True, highlight=False, markup=False)
        raise typer.Exit(2) from None
    n = stored.newsletter
    out.print(
        f"Newsletter {n.id} ({stored.subject})" + (" · dry run, nothing sent" if dry_run else ""),
        soft_wrap=True,
    )
    print_publications(outcomes)
    if any(o.status in ("failed", "unknown") for o in outcomes):
        raise typer.Exit(1)


@app.command()
def approve(
    run: Annotated[
        str | None, typer.Argument(help="Flow run id or name (default: the one run waiting for review).")
    ] = None,
    reject: Annotated[bool, typer.Option("--reject", help="Reject the draft: publish nothing.")] = False,
    subject: Annotated[
        str | None, typer.Option("--subject", "-s", help="Subject line (default: the draft's title).")
    ] = None,
    note: Annotated[str, typer.Option("--note", "-n", help="A note kept in the run report.")] = "",
    config: ConfigOption = None,
) -> None:
    """Approve (or --reject) a digest run that is paused for review; the run then continues or stops."""
    settings = _settings(config)
    _quiet_prefect(False)
    from newsroom.ops.review import ApproveError, resume_review
    from newsroom.publishers.ledger import Ledger
    from newsroom.store import Store

    try:
        run_id, sent_subject = resume_review(
            Ledger(Store(settings.library_dir)), run, not reject, subject, note
        )
    except ApproveError as exc:
        console.print(
            f"[bold red]Cannot {'reject' if reject else 'approve'}:[/] {exc}", soft_wrap=True, highlight=False
        )
        raise typer.Exit(1) from None
    verb = "Rejected" if reject else "Approved"
    out.print(
        f"{verb} run {run_id}" + ("" if reject else f" with subject {sent_subject!r}; it publishes now.")
    )


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
    from newsroom.app.up import Up, UpError, banner
    from newsroom.ops.prefect_server import stop_background_server

    if stopped := stop_background_server():  # one server per database: `up` brings its own, with the UI
        console.print(f"Stopped the background Prefect server (pid {stopped.pid}); `up` runs its own.")

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


@app.command()
def down() -> None:
    """Stop this project's background Prefect server (`digest` and `task` start it on first need)."""
    from newsroom.ops.prefect_server import prefect_home, stop_background_server

    stopped = stop_background_server()
    if stopped is None:
        out.print(f"No background Prefect server runs for {prefect_home()}.")
    else:
        out.print(f"Stopped the background Prefect server {stopped.api_url} (pid {stopped.pid}).")


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
    from newsroom.ops.prefect_server import await_api, ensure_api

    # Tasks run here without a flow run: their logs go to the terminal, not to the API.
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    server = ensure_api()
    _quiet_prefect(verbose)
    from prefect.context import SyncClientContext

    from newsroom.app.stages import StageInputError, run_stage
    from newsroom.secrets import redact

    try:
        # One API client for the stage's task runs: each new one costs ~0.2 s (it loads the CA bundle).
        with ProgressDisplay(), await_api(server), SyncClientContext.get_or_create():
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


@app.command()
def config(config: ConfigOption = None) -> None:
    """Validate the config file and show the settings in effect (secrets are never part of them)."""
    settings = _settings(config)
    from newsroom.openai_api import resolve_llm_backend, resolve_stt_backend

    out.print(f"Config: {settings.config_path or '(none: defaults)'}")
    out.print(f"Speech-to-text: {resolve_stt_backend(settings)} · LLM: {resolve_llm_backend(settings)}")
    shown = settings.model_dump(mode="json", exclude={"prices"})
    for source, configured in zip(shown["sources"], settings.sources, strict=True):
        source["kind"] = kind_of(configured).name  # the detected kind, where the file names none
    out.print_json(json.dumps(shown))


@app.command()
def cost(
    config: ConfigOption = None,
    by: Annotated[
        str, typer.Option("--by", help="Group by day, week, month, run, stage, model or episode.")
    ] = "day",
    since: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Only calls from this date on.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Estimated cost of model and speech-to-text calls over time, from the library's call log."""
    from newsroom.costs import GROUPS, cost_rows, total
    from newsroom.store import Store

    settings = _settings(config)
    if by not in GROUPS:
        raise typer.BadParameter(f"choose one of {', '.join(GROUPS)}", param_hint="--by")
    rows = cost_rows(Store(settings.library_dir), by, since.date() if since else None)  # type: ignore[arg-type]
    if as_json:
        out.print_json(json.dumps({"by": by, "rows": rows, "total": total(rows)}))
        return
    if not rows:
        out.print(f"No calls logged in {settings.library_dir} yet.")
        return
    print_cost_table(rows, by)


@app.command()
def search(
    query: Annotated[
        str | None,
        typer.Argument(help='Words to find; FTS5 syntax ("a phrase", OR, NOT, prefix*) works too.'),
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this source (id or name).")] = None,
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only episodes published on or after this day."),
    ] = None,
    speaker: Annotated[
        str | None,
        typer.Option("--speaker", help="Only what this speaker says (where sources name speakers)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=500, help="At most this many hits.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Rebuild the index from the library folder first.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Search every transcript, summary and note in the library; each hit links to its second."""
    from rich.markup import escape

    from newsroom import search as library_search
    from newsroom.store import Store

    settings = _settings(config)
    store = Store(settings.library_dir)
    if rebuild:
        from newsroom.newsletter.notes import user_notes

        counts = library_search.rebuild(store, lambda p: user_notes(p.read_text(), settings.templates_dir))
        console.print(
            f"Rebuilt the search index from {counts['episodes']} episode folder(s) in {settings.library_dir}: "
            f"{counts['segment']} segments, {counts['summary']} summaries, {counts['note']} notes.",
            soft_wrap=True,
        )
    if query is None:
        if rebuild:
            return
        console.print(
            "[bold red]newsroom search:[/] give words to look for, e.g. newsroom search recorded speech"
        )
        raise typer.Exit(2)
    try:
        with store.connect() as db:
            hits = library_search.search(
                db,
                query,
                source=source,
                since=since.date() if since else None,
                speaker=speaker,
                limit=limit,
            )
            empty = not hits and library_search.index_size(db) == 0
    except library_search.SearchQueryError as exc:
        console.print(f"[bold red]newsroom search:[/] {escape(str(exc))}", soft_wrap=True, highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        out.print_json(library_search.hits_json(hits, query))
    else:
        print_hits(hits, query)
    if empty and store.titles():
        console.print("The search index is empty: run `newsroom search --rebuild` to index the library.")


@app.command()
def templates(
    folder: Annotated[Path, typer.Argument(help="Where to copy them.")] = Path("templates"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite files already there.")] = False,
) -> None:
    """Copy the built-in newsletter, report and note templates into a folder, to make them yours."""
    import shutil

    from newsroom.newsletter.render import builtin_templates

    folder.mkdir(parents=True, exist_ok=True)
    for source in builtin_templates():
        target = folder / source.name
        if target.exists() and not force:
            out.print(f"kept   {target} (exists; --force to overwrite)")
            continue
        shutil.copyfile(source, target)
        out.print(f"copied {target}")
    out.print(
        f'Add  templates = "{folder}"  to newsroom.toml. Files there win over the built-in ones; '
        "delete one to go back to the built-in version."
    )


def main() -> None:
    logging.captureWarnings(True)
    try:
        app()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    from newsroom.ops.prefect_server import exit_now

    exit_now(code)


if __name__ == "__main__":
    main()
