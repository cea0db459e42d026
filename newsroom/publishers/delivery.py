"""Deliver an issue to one target through the ledger, so each message goes out once.

`deliver` decides per recipient from the ledger: 'sent' is skipped (unless republishing, once per
run), 'failed' is tried again, and an interrupted delivery ('sending', 'unknown') is re-sent only by
publishers that rewrite in place or can ask the target whether it arrived; for email and chat it
is reported as "may have arrived" and left to the user (`newsroom publish --republish`).
`plan` is the dry run: what would go where, sending nothing.
"""

from __future__ import annotations

from pathlib import Path

from newsroom.config import Settings
from newsroom.models import Episode, Newsletter, PublishOutcome, Summary, utcnow
from newsroom.newsletter.issue import issue_folder, render_newsletter
from newsroom.publishers import Issue, Publisher, PublishError, make_publisher
from newsroom.publishers.archive import update_archive
from newsroom.publishers.ledger import Entry, Ledger, StoredNewsletter
from newsroom.secrets import install_redaction, redact
from newsroom.store import Store


def build_issue(
    newsletter: Newsletter,
    stories: list[tuple[Episode, Summary]],
    settings: Settings,
    subject: str | None = None,
    backends: dict[str, str] | None = None,
) -> Issue:
    return Issue(
        newsletter=newsletter,
        subject=subject or newsletter.title,
        stories=stories,
        settings=settings,
        backends=backends or {},
        rendered=render_newsletter(newsletter, settings, backends),
    )


def load_issue(stored: StoredNewsletter, settings: Settings) -> Issue:
    """A newsletter from the ledger with its stories from the library, ready to (re)send."""
    store = Store(settings.library_dir)
    stories = []
    for episode_id in stored.episode_ids:
        episode, summary = store.get_episode(episode_id), store.load_summary(episode_id)
        if episode is not None and summary is not None:
            stories.append((episode, summary))
    return build_issue(stored.newsletter, stories, settings, stored.subject, stored.backends)


def _interrupted(entry: Entry) -> str:
    return (
        f"an earlier run was interrupted while sending this ({entry.updated[:19]} UTC): it may have arrived. "
        f"Check, then send what did not arrive with `newsroom publish {entry.newsletter_id} "
        f"--target {entry.target} --resend-unknown`"
    )


def deliver(
    publisher: Publisher,
    issue: Issue,
    ledger: Ledger,
    run_id: str | None,
    republish: bool = False,
    resend_unknown: bool = False,
) -> tuple[PublishOutcome, bool]:
    """Send what the ledger says is still due; returns the outcome and whether a retry soon may help.

    republish: send again what went out before (new idempotency keys). resend_unknown: send the
    interrupted deliveries the user checked did not arrive (same keys, so the same Message-ID)."""
    install_redaction()
    target, nid = publisher.target, issue.newsletter.id
    name = target.name
    outcome = PublishOutcome(newsletter_id=nid, target=name, type=str(target.type), status="sent", detail="")
    reasons: list[str] = []
    state = {"retryable": False, "unknown": 0}

    def failed(unit: str, exc: PublishError, begun: bool) -> None:
        reason = redact(str(exc))
        ledger.fail(nid, name, unit, reason, unknown=exc.maybe_sent, run_id=None if begun else run_id)
        outcome.failed += 1
        if exc.maybe_sent and not (publisher.idempotent or publisher.can_reconcile):
            state["unknown"] += 1
            reasons.append(f"{reason} (not re-sent automatically)")
        else:
            reasons.append(reason)
            state["retryable"] = bool(state["retryable"] or exc.transient)

    try:
        outcome.detail = redact(publisher.describe(issue))
        units = publisher.recipients(issue)
    except PublishError as exc:
        failed("", exc, begun=False)
        return _finish(outcome, reasons, 0), bool(state["retryable"])

    entries = ledger.entries(nid, name)
    if "" not in units and "" in entries:
        # A failure recorded before the recipients could be read (a missing list file), now fixed.
        ledger.drop(nid, name, "")
        del entries[""]
    # The target's generation: --republish starts a new one (once per run: a retry continues it).
    current = max((e.generation for e in entries.values()), default=0)
    started_here = any(e.run_id == run_id and e.generation == current for e in entries.values())
    generation = current + 1 if republish and entries and not started_here else current
    pending: list[tuple[str, Entry | None, int]] = []  # (recipient, ledger entry, generation to send in)
    for unit in units:
        entry = entries.get(unit)
        if entry is None or entry.generation < generation or entry.status == "failed":
            pending.append((unit, entry, generation))
        elif entry.status == "sent":
            outcome.already_sent += 1
        elif publisher.idempotent or publisher.can_reconcile or resend_unknown:
            pending.append((unit, entry, entry.generation))  # the same key as the interrupted attempt
        else:
            if entry.status == "sending":
                ledger.fail(nid, name, unit, _interrupted(entry), unknown=True)
            outcome.failed += 1
            state["unknown"] += 1
            reasons.append(redact(entry.error or _interrupted(entry)))

    done: set[str] = set()
    try:
        with publisher.session():
            fatal: PublishError | None = None
            for unit, entry, gen in pending:
                done.add(unit)
                if fatal is not None:
                    failed(unit, PublishError(f"not sent: {fatal}", transient=True), begun=False)
                    continue
                try:
                    if (
                        entry is not None
                        and entry.status in ("sending", "unknown")
                        and entry.generation == gen
                        and publisher.can_reconcile
                    ):
                        found = publisher.find_sent(issue, unit, entry.key)
                        if found:
                            ledger.confirm(nid, name, unit, found)
                            outcome.sent += 1
                            outcome.message_id = found
                            continue
                    key = ledger.begin(nid, name, unit, run_id, gen)
                except PublishError as exc:
                    failed(unit, exc, begun=False)
                    continue
                try:
                    message_id = publisher.send(issue, unit, key) or key
                except PublishError as exc:
                    failed(unit, exc, begun=True)
                    fatal = exc if exc.fatal else None
                    continue
                except Exception as exc:  # a bug or bad data (not the target): it failed before sending
                    failed(unit, PublishError(f"{type(exc).__name__}: {exc}"), begun=True)
                    continue
                ledger.confirm(nid, name, unit, message_id)
                outcome.sent += 1
                outcome.message_id = message_id
    except PublishError as exc:  # the session never opened: nothing was sent to the rest
        for unit, _, _ in pending:
            if unit not in done:
                failed(unit, exc, begun=False)
    return _finish(outcome, reasons, int(state["unknown"])), bool(state["retryable"])


def _finish(outcome: PublishOutcome, reasons: list[str], unknown: int) -> PublishOutcome:
    if outcome.failed:
        outcome.status = "unknown" if unknown == outcome.failed else "failed"
        shown = "; ".join(dict.fromkeys(reasons[:3]))
        more = len(reasons) - 3
        outcome.reason = shown + (f"; and {more} more" if more > 0 else "")
    elif outcome.sent:
        outcome.status = "sent"
    elif outcome.already_sent:
        outcome.status = "already-sent"
    else:
        outcome.status = "not-sent"
    return outcome


def plan(publisher: Publisher, issue: Issue, ledger: Ledger, preview_dir: Path) -> PublishOutcome:
    """The dry run for one target: where it would go, whether it could (secrets, lists), nothing sent."""
    install_redaction()
    target = publisher.target
    outcome = PublishOutcome(
        newsletter_id=issue.newsletter.id,
        target=target.name,
        type=str(target.type),
        status="would-send",
    )
    try:
        outcome.detail = redact(publisher.describe(issue))
        publisher.check(issue)
        units = publisher.recipients(issue)
    except PublishError as exc:
        outcome.status, outcome.reason = "failed", f"would fail: {redact(str(exc))}"
        return outcome
    entries = ledger.entries(issue.newsletter.id, target.name)
    outcome.already_sent = sum(1 for u in units if (e := entries.get(u)) and e.status == "sent")
    if units and outcome.already_sent == len(units):
        outcome.status = "already-sent"
    if (preview := publisher.preview(issue)) is not None:
        filename, content = preview
        preview_dir.mkdir(parents=True, exist_ok=True)
        (preview_dir / filename).write_bytes(content)
        outcome.detail += f" (preview: {preview_dir / filename})"
    return outcome


class CannotPublishError(Exception):
    """`newsroom publish` has nothing to work on; the message says what is missing."""


def publish_stored(
    settings: Settings,
    ref: str | None,
    only: list[str] | None = None,
    republish: bool = False,
    resend_unknown: bool = False,
    dry_run: bool = False,
) -> tuple[StoredNewsletter, list[PublishOutcome]]:
    """`newsroom publish`: a stored newsletter to its targets (or a dry run of that), without Prefect."""
    store = Store(settings.library_dir)
    ledger = Ledger(store)
    stored = ledger.find(ref)
    if stored is None:
        which = f"{ref} " if ref else ""
        raise CannotPublishError(
            f"No newsletter {which}in {settings.library_dir} (`newsroom digest` drafts one)"
        )
    names = [t.name for t in settings.publish]
    if not names:
        raise CannotPublishError("No [[publish]] targets in the config (see the README's Publishing section)")
    if unknown := sorted(set(only or []) - set(names)):
        raise CannotPublishError(f"No target named {', '.join(unknown)}; configured: {', '.join(names)}")
    chosen = [t for t in settings.publish if not only or t.name in only]
    issue = load_issue(stored, settings)
    n = stored.newsletter
    if dry_run:
        previews = issue_folder(settings, n.date, dry_run=True) / "publish"
        return stored, [plan(make_publisher(t, settings), issue, ledger, previews) for t in chosen]
    if stored.status != "approved":
        # Publishing by hand is the approval: its episodes are now in a newsletter.
        ledger.set_status(n.id, "approved", note=f"published with `newsroom publish` (was {stored.status})")
        store.mark_digested(stored.episode_ids, n.id)
        update_archive(settings)  # now published: it joins the archive
    run_id = f"cli-{utcnow():%Y%m%dT%H%M%S%f}"
    outcomes = [
        deliver(make_publisher(t, settings), issue, ledger, run_id, republish, resend_unknown)[0]
        for t in chosen
    ]
    return stored, outcomes


def plan_targets(
    newsletter: Newsletter,
    stories: list[tuple[Episode, Summary]],
    backends: dict[str, str],
    settings: Settings,
    folder: Path,
) -> list[PublishOutcome]:
    """Dry run: what would go where (previews of the exact email and payloads), sending nothing."""
    issue = build_issue(newsletter, stories, settings, backends=backends)
    ledger = Ledger(Store(settings.library_dir))
    return [plan(make_publisher(t, settings), issue, ledger, folder / "publish") for t in settings.publish]
