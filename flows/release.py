"""Releasing an issue, inside the digest flow: review it when asked, record it in the ledger, and
deliver it to every target at once (publish-to-target tasks), each exactly once."""

from __future__ import annotations

from pathlib import Path

from prefect.settings import PREFECT_API_URL

from newsroom.config import Settings
from newsroom.models import Episode, Newsletter, PublishOutcome, RunReport, Summary
from newsroom.ops.review import review_draft
from newsroom.publishers import make_publisher
from newsroom.publishers.delivery import plan_targets
from newsroom.publishers.ledger import Ledger
from newsroom.secrets import redact
from newsroom.store import Store
from tasks.publish import TargetFailedError, publish_to_target, write_archive


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
        report.publications = plan_targets(
            newsletter, stories, report.backends, settings, Path(markdown_path).parent
        )
        if settings.review:
            report.notes.append("review = true: a real run waits for approval before publishing.")
        return "dry-run"
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
    write_archive(settings)  # published: into out/archive/ before any target copies it
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
