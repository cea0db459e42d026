"""Write the issue to out/<date>/ and the archive, and deliver it to one target (never cached)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from newsroom.config import Settings
from newsroom.models import Episode, Newsletter, PublishOutcome, RunReport, Summary
from newsroom.newsletter.issue import issue_folder, render_newsletter, write_issue_folder
from newsroom.publishers import make_publisher
from newsroom.publishers.archive import update_archive
from newsroom.publishers.delivery import deliver, load_issue
from newsroom.publishers.ledger import Ledger
from newsroom.store import Store
from tasks import run_as_command


@task(name="write-issue", cache_policy=NO_CACHE)
def write_issue(
    newsletter: Newsletter,
    stories: list[tuple[Episode, Summary]],
    report: RunReport,
    settings: Settings,
    dry_run: bool = False,
) -> dict[str, str]:
    """Write the issue and its notes to out/<date>/; a dry run writes only a preview."""
    folder = issue_folder(settings, newsletter.date, dry_run)
    rendered = render_newsletter(newsletter, settings, report.backends)
    written = write_issue_folder(folder, newsletter, stories, rendered, settings)
    return {name: str(Path(p)) for name, p in written.items()}


@task(name="write-archive", cache_policy=NO_CACHE)
def write_archive(settings: Settings) -> str:
    """Rebuild out/archive/ (index, issue pages, Atom feed) from every published issue."""
    return str(update_archive(settings))


class TargetFailedError(Exception):
    """One target failed; carries its report line and whether a quick retry may help."""

    def __init__(self, outcome: PublishOutcome, retryable: bool) -> None:
        super().__init__(f"{outcome.target}: {outcome.reason}")
        self.outcome, self.retryable = outcome, retryable

    def __reduce__(self) -> tuple[Any, ...]:
        return (TargetFailedError, (self.outcome, self.retryable))


def retry_if_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a network error, a 5xx or a 429; never a refused key, address or payload."""
    try:
        state.result()
    except TargetFailedError as exc:
        return exc.retryable
    except Exception:
        return False
    return False


@task(
    name="publish-to-target",
    task_run_name="publish {newsletter_id} to {target_name}",
    cache_policy=NO_CACHE,
    retry_condition_fn=retry_if_transient,
)
def publish_to_target(
    newsletter_id: str, target_name: str, settings: Settings, run_id: str | None, republish: bool = False
) -> PublishOutcome:
    """Deliver one newsletter to one target; the ledger skips whatever already went out."""
    ledger = Ledger(Store(settings.library_dir))
    stored = ledger.newsletter(newsletter_id)
    target = next((t for t in settings.publish if t.name == target_name), None)
    if stored is None or target is None:
        raise ValueError(f"unknown newsletter {newsletter_id} or target {target_name}")
    outcome, retryable = deliver(
        make_publisher(target, settings), load_issue(stored, settings), ledger, run_id, republish
    )
    if outcome.status in ("failed", "unknown"):
        raise TargetFailedError(outcome, retryable)
    return outcome


if __name__ == "__main__":
    run_as_command("publish")
