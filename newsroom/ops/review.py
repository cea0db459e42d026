"""Review before publishing: the flow run pauses with a form (approve or reject, subject, note).

The draft is a markdown artifact on the run and the form's description. Resuming comes from the
Prefect UI (the run's Resume button shows the form) or from `newsroom approve RUN` in another
process, which finds the run and its Prefect API through the ledger.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from prefect.input import RunInput
from pydantic import Field

from newsroom.models import Newsletter
from newsroom.publishers.ledger import Ledger, StoredNewsletter

ARTIFACT_KEY = "newsletter-draft"


class ReviewInput(RunInput):
    """The form shown when the paused digest is resumed."""

    decision: Literal["approve", "reject"] = Field(
        title="Decision", description="approve: publish to every target now. reject: publish nothing."
    )
    subject: str = Field(title="Subject line", description="Subject of the email and title of the post.")
    note: str = Field("", title="Note", description="Optional; kept in the run report.")


@dataclass(frozen=True)
class Decision:
    status: Literal["approved", "rejected", "expired"]
    subject: str
    note: str = ""

    def describe(self, timeout_s: int) -> str:
        if self.status == "expired":
            return f"timed out: not approved within {_duration(timeout_s)}"
        return self.status + (f" ({self.note})" if self.note else "")


def review_draft(newsletter: Newsletter, markdown: str, targets: list[str], timeout_s: int) -> Decision:
    """Pause this flow run until a person approves or rejects the draft, or the timeout passes."""
    from prefect.artifacts import create_markdown_artifact
    from prefect.exceptions import FlowPauseTimeout
    from prefect.flow_runs import pause_flow_run
    from prefect.logging import get_run_logger
    from prefect.runtime import flow_run

    create_markdown_artifact(
        key=ARTIFACT_KEY, markdown=markdown, description=f"Draft {newsletter.id}, waiting for review"
    )
    goes_to = ", ".join(targets) if targets else "no targets besides the out/ folder"
    description = (
        f"**Review the newsletter draft** ({newsletter.id}). Approve to publish it to: {goes_to}.\n\n"
        f"---\n\n{markdown}"
    )
    get_run_logger().warning(
        "Waiting up to %s for a review of %s: resume this run in the Prefect UI, or run "
        "`newsroom approve %s` (add --reject to stop it).",
        _duration(timeout_s),
        newsletter.id,
        flow_run.get_name() or flow_run.get_id(),
    )
    form = ReviewInput.with_initial_data(description=description, subject=newsletter.title)
    try:
        # Poll every 2 s: a resume is picked up at once, and the load on the API is negligible.
        answer = pause_flow_run(wait_for_input=form, timeout=timeout_s, poll_interval=2)
    except FlowPauseTimeout:
        _running_again(flow_run.get_id())
        return Decision("expired", newsletter.title)
    status: Literal["approved", "rejected"] = "approved" if answer.decision == "approve" else "rejected"
    subject = " ".join(answer.subject.split())  # a subject line is one line
    return Decision(status, subject or newsletter.title, answer.note.strip())


def _running_again(flow_run_id: str | None) -> None:
    """An expired pause would end the run as "never resumed" whatever it does next; set it running
    again so the flow writes its report and ends with its own message."""
    from prefect.client.orchestration import get_client
    from prefect.states import Running

    if flow_run_id:
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(UUID(flow_run_id), Running(message="review timed out"), force=True)


class ApproveError(Exception):
    """The run cannot be resumed; the message says why and what to do."""


def waiting_newsletter(ledger: Ledger, run: str | None) -> StoredNewsletter | None:
    """The newsletter awaiting review in run `run` (id or name), or the only one awaiting review."""
    waiting = ledger.newsletters("awaiting-review")
    if run:
        return next((s for s in waiting if s.run_id == run), None)
    if len(waiting) > 1:
        runs = ", ".join(str(s.run_id) for s in waiting)
        raise ApproveError(f"{len(waiting)} drafts are waiting for review (runs {runs}); name one")
    return waiting[0] if waiting else None


def resume_review(
    ledger: Ledger, run: str | None, approve: bool, subject: str | None = None, note: str = ""
) -> tuple[str, str]:
    """Resume a digest run paused for review; returns (run id, subject sent)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    stored = waiting_newsletter(ledger, run)
    if stored is None and run is None:
        raise ApproveError("no draft is waiting for review")
    updates = {}
    if not os.environ.get("PREFECT_API_URL"):
        # The run may be on a temporary server started by `newsroom digest`; the ledger knows where.
        urls = [
            s.api_url for s in ([stored] if stored else ledger.newsletters("awaiting-review")) if s.api_url
        ]
        if urls:
            updates[PREFECT_API_URL] = urls[0]
    with temporary_settings(updates=updates):
        return _resume(
            ledger, run or (stored.run_id if stored else None) or "", stored, approve, subject, note
        )


def _resume(
    ledger: Ledger, ref: str, stored: StoredNewsletter | None, approve: bool, subject: str | None, note: str
) -> tuple[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.exceptions import FlowPauseTimeout, ObjectNotFound
    from prefect.flow_runs import resume_flow_run

    try:
        with get_client(sync_client=True) as client:
            try:
                flow_run = client.read_flow_run(UUID(ref))
            except ValueError:
                found = client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[ref])),
                    sort=FlowRunSort.EXPECTED_START_TIME_DESC,
                    limit=2,
                )
                if not found:
                    raise ApproveError(f"no flow run named {ref!r} on {client.api_url}") from None
                flow_run = found[0]
    except ApproveError:
        raise
    except ObjectNotFound:
        raise ApproveError(f"no flow run {ref}") from None
    except Exception as exc:
        raise ApproveError(f"cannot reach the Prefect API: {exc}") from None
    if not flow_run.state or not flow_run.state.is_paused():
        state = flow_run.state.name if flow_run.state else "unknown"
        raise ApproveError(f"run {flow_run.name} is not waiting for review (it is {state})")
    if stored is None:
        stored = next(
            (s for s in ledger.newsletters("awaiting-review") if s.run_id == str(flow_run.id)), None
        )
    chosen = subject or (stored.subject if stored else "")
    run_input = {"decision": "approve" if approve else "reject", "subject": chosen, "note": note}
    try:
        resume_flow_run(flow_run.id, run_input=run_input)
    except FlowPauseTimeout:
        raise ApproveError(f"too late: the review of run {flow_run.name} timed out") from None
    except RuntimeError as exc:
        raise ApproveError(f"Prefect refused to resume run {flow_run.name}: {exc}") from None
    return str(flow_run.id), chosen


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"
