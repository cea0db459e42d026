"""Render the newsletter, have it reviewed if asked, and deliver it to the targets (never cached)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from newsroom.config import Settings
from newsroom.delivery import build_issue, deliver, load_issue, plan
from newsroom.ledger import Ledger
from newsroom.models import Episode, Newsletter, PublishOutcome, RunReport, Summary
from newsroom.publishers import make_publisher
from newsroom.publishing import issue_folder, render_newsletter, write_issue_folder
from newsroom.review import review_draft
from newsroom.secrets import redact
from newsroom.store import Store


@task(name="publish-newsletter", cache_policy=NO_CACHE)
def publish_newsletter(
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


def deliver_in_flow(
    pairs: list[tuple[str, str]], settings: Settings, run_id: str | None, republish: bool = False
) -> list[PublishOutcome]:
    """Run publish-to-target for each (newsletter, target) at once; a failing target fails alone."""
    targets = {t.name: t for t in settings.publish}
    submitted = []
    for newsletter_id, name in pairs:
        target = targets[name]
        runner = publish_to_target.with_options(
            retries=target.retries, retry_delay_seconds=target.retry_delay_seconds
        )
        submitted.append(
            (newsletter_id, target, runner.submit(newsletter_id, name, settings, run_id, republish))
        )
    outcomes = []
    for newsletter_id, target, future in submitted:
        try:
            outcomes.append(future.result())
        except TargetFailedError as exc:
            outcomes.append(exc.outcome)
        except Exception as exc:
            reason = redact(f"{type(exc).__name__}: {exc}")[:400]
            outcomes.append(
                PublishOutcome(
                    newsletter_id=newsletter_id,
                    target=target.name,
                    type=target.type,
                    status="failed",
                    reason=reason,
                )
            )
    return outcomes


def plan_targets(
    newsletter: Newsletter,
    stories: list[tuple[Episode, Summary]],
    report: RunReport,
    settings: Settings,
    folder: Path,
) -> list[PublishOutcome]:
    """Dry run: what would go where (previews of the exact email and payloads), sending nothing."""
    issue = build_issue(newsletter, stories, settings, backends=report.backends)
    ledger = Ledger(Store(settings.library_dir))
    return [plan(make_publisher(t, settings), issue, ledger, folder / "publish") for t in settings.publish]


def release_newsletter(
    newsletter: Newsletter,
    stories: list[tuple[Episode, Summary]],
    report: RunReport,
    settings: Settings,
    markdown_path: str,
    dry_run: bool = False,
    republish: bool = False,
) -> str:
    """Review it when asked, record it in the ledger and deliver it to every target.

    Called from the flow (a pause needs the flow run). Returns 'approved', 'rejected', 'expired' or
    'dry-run'; only an approved issue counts as sent, so the episodes of any other come back next run.
    """
    if dry_run:
        report.publications = plan_targets(newsletter, stories, report, settings, Path(markdown_path).parent)
        if settings.review:
            report.notes.append("review = true: a real run waits for approval before publishing.")
        return "dry-run"
    from prefect.settings import PREFECT_API_URL

    ledger = Ledger(Store(settings.library_dir))
    ledger.save_newsletter(
        newsletter,
        newsletter.title,
        [e.id for e, _ in stories],
        report.backends,
        report.run_id,
        "awaiting-review" if settings.review else "approved",
        api_url=PREFECT_API_URL.value(),
    )
    if settings.review:
        names = [t.name for t in settings.publish]
        markdown = Path(markdown_path).read_text()
        decision = review_draft(newsletter, markdown, names, settings.review_timeout_seconds)
        report.review = decision.describe(settings.review_timeout_seconds)
        # only_if: a `newsroom publish` of this draft meanwhile must not be undone by a late timeout.
        ledger.set_status(
            newsletter.id, decision.status, decision.note or None, decision.subject, only_if="awaiting-review"
        )
        if decision.status != "approved":
            report.notes.append(
                f"Review {report.review}: nothing was published. The draft stays in "
                f"{Path(markdown_path).parent}; publish it later with `newsroom publish {newsletter.id}`, "
                "or the next run drafts these episodes again."
            )
            return decision.status
    pairs = [(newsletter.id, t.name) for t in settings.publish]
    report.publications = deliver_in_flow(pairs, settings, report.run_id, republish)
    return "approved"


def retry_failed_deliveries(report: RunReport, settings: Settings, exclude: str | None = None) -> None:
    """Deliveries of earlier approved newsletters that failed: try those targets (only) again."""
    ledger = Ledger(Store(settings.library_dir))
    configured = {t.name: make_publisher(t, settings) for t in settings.publish}
    resendable = {n for n, p in configured.items() if p.idempotent or p.can_reconcile}
    pairs = [
        (nid, name)
        for nid, name in ledger.to_retry(settings.max_attempts, resendable)
        if nid != exclude and name in configured
    ]
    if pairs:
        report.publications += deliver_in_flow(pairs, settings, report.run_id)
        report.notes.append(f"Retried {len(pairs)} delivery(ies) that failed in an earlier run.")


if __name__ == "__main__":
    import sys

    from newsroom.cli import task_main

    task_main("publish", sys.argv[1:])
