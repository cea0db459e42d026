"""Exactly once: the ledger's decisions on re-runs, retries, republishing and interrupted deliveries."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsroom.config import load_settings
from newsroom.publishers import make_publisher
from newsroom.publishers.delivery import deliver
from newsroom.publishers.ledger import Ledger, idempotency_key
from newsroom.store import Store
from tests.conftest import BUTTONDOWN_KEY, write_config
from tests.fakes.publish_receiver import PublishReceiver
from tests.publish_helpers import buttondown_block, obsidian_block, sample_issue, webhook_block


@pytest.fixture
def world(tmp_path: Path, publish_receiver: PublishReceiver, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HOOK_URL", f"{publish_receiver.base_url}/hook/abc")
    monkeypatch.setenv("TEST_BUTTONDOWN_KEY", BUTTONDOWN_KEY)
    (tmp_path / "vault").mkdir()
    body = webhook_block("hook", "json", "HOOK_URL") + buttondown_block(publish_receiver)
    body += obsidian_block(tmp_path / "vault")
    settings = load_settings(write_config(tmp_path, body))
    issue = sample_issue(settings)
    ledger = Ledger(Store(settings.library_dir))
    ledger.save_newsletter(
        issue.newsletter, issue.subject, [e.id for e, _ in issue.stories], {}, "r1", "approved"
    )
    pubs = {t.name: make_publisher(t, settings) for t in settings.publish}
    return settings, issue, ledger, pubs


def test_sent_once_then_skipped_and_republish_sends_once_per_run(world, publish_receiver: PublishReceiver):
    _, issue, ledger, pubs = world
    first, _ = deliver(pubs["hook"], issue, ledger, "r1")
    again, _ = deliver(pubs["hook"], issue, ledger, "r2")
    assert (first.status, again.status, again.already_sent) == ("sent", "already-sent", 1)
    assert len(publish_receiver.to("/hook/")) == 1

    republished, _ = deliver(pubs["hook"], issue, ledger, "r3", republish=True)
    retried, _ = deliver(pubs["hook"], issue, ledger, "r3", republish=True)  # a Prefect retry in run r3
    assert republished.status == "sent" and retried.status == "already-sent"
    keys = [r.headers["Idempotency-Key"] for r in publish_receiver.to("/hook/")]
    assert len(keys) == 2 and keys[0] != keys[1]  # on purpose: a new generation, a new key
    entry = ledger.entries(issue.newsletter.id, "hook")[""]
    assert (entry.generation, entry.attempts, entry.key) == (1, 2, keys[1])


def test_an_interrupted_webhook_is_not_resent_but_reported(world, publish_receiver: PublishReceiver):
    """A crash between sending and confirming leaves 'sending': the post may have gone out."""
    _, issue, ledger, pubs = world
    key = ledger.begin(issue.newsletter.id, "hook", "", "r1", generation=0)
    assert key == idempotency_key(issue.newsletter.id, "hook", "", 0)

    outcome, retryable = deliver(pubs["hook"], issue, ledger, "r2")
    assert outcome.status == "unknown" and not retryable
    assert "may have arrived" in outcome.reason and "--resend-unknown" in outcome.reason
    assert publish_receiver.to("/hook/") == []
    assert ledger.entries(issue.newsletter.id, "hook")[""].status == "unknown"
    later, _ = deliver(pubs["hook"], issue, ledger, "r3")
    assert later.status == "unknown" and publish_receiver.to("/hook/") == []

    checked, _ = deliver(pubs["hook"], issue, ledger, "r4", resend_unknown=True)
    assert checked.status == "sent"
    assert [r.headers["Idempotency-Key"] for r in publish_receiver.to("/hook/")] == [key]  # same key


def test_an_interrupted_buttondown_draft_is_looked_up_not_duplicated(
    world, publish_receiver: PublishReceiver
):
    _, issue, ledger, pubs = world
    # The draft was created, then the process died before it recorded the answer.
    key = ledger.begin(issue.newsletter.id, "buttondown", "", "r1", generation=0)
    body = pubs["buttondown"].body(issue, key)
    publish_receiver.emails.append(
        {"id": "em-1", "status": "draft", "subject": body["subject"], "metadata": body["metadata"]}
    )
    outcome, _ = deliver(pubs["buttondown"], issue, ledger, "r2")
    assert outcome.status == "sent" and outcome.message_id == "em-1"
    assert [r.method for r in publish_receiver.to("/v1/")] == ["GET"]  # looked up, no second POST
    assert len(publish_receiver.emails) == 1

    # Interrupted before the draft was created: the lookup finds nothing and it is created once.
    publish_receiver.reset()
    ledger.begin(issue.newsletter.id, "buttondown", "", "r3", generation=1)
    outcome, _ = deliver(pubs["buttondown"], issue, ledger, "r4")
    assert outcome.status == "sent" and [r.method for r in publish_receiver.to("/v1/")] == ["GET", "POST"]
    assert len(publish_receiver.emails) == 1


def test_an_interrupted_vault_write_is_simply_redone(world, tmp_path: Path):
    _, issue, ledger, pubs = world
    ledger.begin(issue.newsletter.id, "obsidian", "", "r1", generation=0)
    outcome, _ = deliver(pubs["obsidian"], issue, ledger, "r2")
    assert outcome.status == "sent"
    assert (tmp_path / "vault" / "Newsroom" / "Transcripts" / "Agents that plan your week.md").exists()


def test_what_the_next_run_retries(world):
    _, issue, ledger, _ = world
    nid = issue.newsletter.id
    ledger.fail(nid, "hook", "", "HTTP 500", run_id="r1")
    ledger.begin(nid, "buttondown", "", "r1", generation=0)
    ledger.fail(nid, "buttondown", "", "timed out; it may have arrived", unknown=True)
    ledger.begin(nid, "obsidian", "", "r1", generation=0)
    ledger.confirm(nid, "obsidian", "", "note.md")
    assert ledger.to_retry(3, resendable={"buttondown", "obsidian"}) == [(nid, "buttondown"), (nid, "hook")]
    assert ledger.to_retry(3, resendable=set()) == [(nid, "hook")]  # 'unknown' email/chat: never by itself
    for _ in range(2):
        ledger.fail(nid, "hook", "", "HTTP 500", run_id="rN")
    assert ledger.entries(nid, "hook")[""].attempts == 3
    assert ledger.to_retry(3, resendable=set()) == []  # gave up after max_attempts

    # A rejected (or expired) draft is never delivered by a retry.
    ledger.fail(nid, "obsidian", "", "disk full", run_id="r5")
    assert ledger.to_retry(5, set()) == [(nid, "hook"), (nid, "obsidian")]
    assert ledger.set_status(nid, "rejected", only_if="approved")
    assert ledger.to_retry(5, set()) == []
    assert not ledger.set_status(nid, "expired", only_if="awaiting-review")  # already decided


def test_find_by_id_date_or_latest(world):
    _, issue, ledger, _ = world
    assert ledger.find(None).newsletter.id == issue.newsletter.id
    assert ledger.find("2026-11-22").newsletter.id == issue.newsletter.id
    assert ledger.find(issue.newsletter.id).subject == "Test Weekly — 2026-11-22"
    assert ledger.find("1999-01-01") is None


def test_an_interrupted_republish_is_finished_by_the_next_run(
    tmp_path: Path, smtp_server, tls_certs, monkeypatch: pytest.MonkeyPatch
):
    from tests.conftest import SMTP_PASSWORD
    from tests.publish_helpers import email_block

    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    readers = ["a@example.org", "b@example.org", "c@example.org"]
    settings = load_settings(write_config(tmp_path, email_block(smtp_server, tls_certs, readers)))
    issue = sample_issue(settings)
    ledger = Ledger(Store(settings.library_dir))
    ledger.save_newsletter(issue.newsletter, issue.subject, [], {}, "r1", "approved")
    email = make_publisher(settings.publish[0], settings)
    deliver(email, issue, ledger, "r1")
    nid = issue.newsletter.id
    # A `--republish` run (generation 1) died after a, while sending to b.
    ledger.confirm(nid, "email", "a@example.org", ledger.begin(nid, "email", "a@example.org", "r2", 1))
    ledger.begin(nid, "email", "b@example.org", "r2", 1)

    outcome, _ = deliver(email, issue, ledger, "r3")  # a plain run: no --republish
    assert (outcome.sent, outcome.already_sent, outcome.failed) == (1, 1, 1)
    assert [m.rcpt_tos for m in smtp_server.handler.messages[3:]] == [["c@example.org"]]
    entries = ledger.entries(nid, "email")
    assert {r: (e.generation, e.status) for r, e in entries.items()} == {
        "a@example.org": (1, "sent"),
        "b@example.org": (1, "unknown"),
        "c@example.org": (1, "sent"),
    }
