"""Each publisher against a real receiver: an SMTP server (aiosmtpd, STARTTLS/SSL + AUTH), webhook
endpoints checking Slack's and Discord's shapes, a Buttondown API checking the documented request,
an Obsidian vault on disk. Deliveries go through the real ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsroom.config import load_settings
from newsroom.publishers import make_publisher
from newsroom.publishers.delivery import deliver, plan
from newsroom.publishers.ledger import Ledger
from newsroom.store import Store
from tests.conftest import BUTTONDOWN_KEY, SMTP_PASSWORD, write_config
from tests.fakes.publish_receiver import PublishReceiver
from tests.fakes.smtp_server import SMTPServer, free_port
from tests.fakes.tls import Certs
from tests.publish_helpers import (
    TITLES,
    buttondown_block,
    email_block,
    obsidian_block,
    sample_issue,
    webhook_block,
)

# aiosmtpd warns that implicit TLS turns off its (STARTTLS-only) auth_require_tls; expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def setup(tmp_path: Path, body: str, subject: str | None = None, titles: tuple[str, str] = TITLES):
    settings = load_settings(write_config(tmp_path, body))
    issue = sample_issue(settings, subject, titles)
    ledger = Ledger(Store(settings.library_dir))
    ledger.save_newsletter(
        issue.newsletter, issue.subject, [e.id for e, _ in issue.stories], {}, "run-1", "approved"
    )
    publishers = {t.name: make_publisher(t, settings) for t in settings.publish}
    return settings, issue, ledger, publishers


# Email -------------------------------------------------------------------------------------------


def test_email_starttls_auth_multipart_one_message_per_recipient(
    tmp_path: Path, smtp_server: SMTPServer, tls_certs: Certs, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    (tmp_path / "list.txt").write_text("# subscribers\ncarol@example.org\n\nalice@example.org  # dup\n")
    body = email_block(
        smtp_server, tls_certs, ["alice@example.org", "bob@example.org"], extra='to_file = "list.txt"'
    )
    _, issue, ledger, pubs = setup(tmp_path, body, subject="Deze week: agents")
    outcome, _ = deliver(pubs["email"], issue, ledger, "run-1")

    assert outcome.status == "sent" and outcome.sent == 3, outcome
    received = smtp_server.handler.messages
    assert sorted(r for m in received for r in m.rcpt_tos) == [
        "alice@example.org",
        "bob@example.org",
        "carol@example.org",
    ]
    assert all(m.tls and m.authenticated for m in received)
    assert smtp_server.logins == [("newsroom", True)]  # one session for all recipients
    msg = smtp_server.to("bob@example.org")[0].message
    assert msg["Subject"] == "Deze week: agents"
    assert msg["To"] == "bob@example.org"  # nobody sees the other readers
    assert msg["From"] == "Demo Weekly <news@demo.example>"
    assert msg.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p.get_content() for p in msg.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    assert "Agents that plan your week" in parts["text/plain"]
    assert "<h2" in parts["text/html"] and "style=" in parts["text/html"]
    # Markup in a title is escaped in the HTML part: text from a feed is data.
    assert "<b>and</b>" not in parts["text/html"] and "&lt;b&gt;and&lt;/b&gt;" in parts["text/html"]
    entry = ledger.entries(issue.newsletter.id, "email")["bob@example.org"]
    assert entry.status == "sent" and entry.message_id == msg["Message-ID"]
    assert entry.key in msg["Message-ID"]


def test_email_implicit_tls(tmp_path: Path, tls_certs: Certs, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    with SMTPServer(tls_certs, "newsroom", SMTP_PASSWORD, mode="ssl") as server:
        _, issue, ledger, pubs = setup(tmp_path, email_block(server, tls_certs, ["alice@example.org"]))
        outcome, _ = deliver(pubs["email"], issue, ledger, "run-1")
        assert outcome.status == "sent", outcome
        assert server.handler.messages[0].tls and server.handler.messages[0].authenticated


def test_a_refused_recipient_fails_alone_and_only_it_is_retried(
    tmp_path: Path, smtp_server: SMTPServer, tls_certs: Certs, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    smtp_server.handler.refuse["gone@example.org"] = "550 5.1.1 <gone@example.org>: no such user"
    to = ["alice@example.org", "gone@example.org", "bob@example.org"]
    _, issue, ledger, pubs = setup(tmp_path, email_block(smtp_server, tls_certs, to))
    outcome, retryable = deliver(pubs["email"], issue, ledger, "run-1")
    assert (outcome.status, outcome.sent, outcome.failed) == ("failed", 2, 1)
    assert "gone@example.org refused: 550" in (outcome.reason or "") and not retryable
    assert len(smtp_server.handler.messages) == 2

    del smtp_server.handler.refuse["gone@example.org"]  # the address was fixed at the server
    again, _ = deliver(pubs["email"], issue, ledger, "run-2")
    assert (again.status, again.sent, again.already_sent) == ("sent", 1, 2)
    assert [m.rcpt_tos for m in smtp_server.handler.messages[2:]] == [["gone@example.org"]]


def test_unreachable_server_wrong_password_and_missing_secret_fail_with_reasons(
    tmp_path: Path, smtp_server: SMTPServer, tls_certs: Certs, monkeypatch: pytest.MonkeyPatch
):
    dead = SMTPServer.__new__(SMTPServer)
    dead.port, dead.mode = free_port(), "starttls"  # nothing listens there
    body = email_block(dead, tls_certs, ["a@example.org"], name="dead") + email_block(
        smtp_server, tls_certs, ["a@example.org"], name="live"
    )
    _, issue, ledger, pubs = setup(tmp_path, body)

    outcome, retryable = deliver(pubs["live"], issue, ledger, "run-1")
    assert outcome.status == "failed" and "SMTP password not found: set $TEST_SMTP_PASSWORD" in outcome.reason
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong-password-123")
    outcome, retryable = deliver(pubs["live"], issue, ledger, "run-1")
    assert "login as newsroom refused" in outcome.reason and "535" in outcome.reason and not retryable
    assert smtp_server.handler.messages == []

    outcome, retryable = deliver(pubs["dead"], issue, ledger, "run-1")
    assert outcome.status == "failed" and retryable
    assert f"cannot connect to SMTP server 127.0.0.1:{dead.port}" in outcome.reason
    assert ledger.entries(issue.newsletter.id, "dead")["a@example.org"].status == "failed"


def test_tls_verification_is_on_and_passwords_never_go_unencrypted(
    tmp_path: Path, smtp_server: SMTPServer, tls_certs: Certs, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    no_ca = email_block(smtp_server, tls_certs, ["a@example.org"]).replace(f'ca_file = "{tls_certs.ca}"', "")
    _, issue, ledger, pubs = setup(tmp_path, no_ca)
    outcome, _ = deliver(pubs["email"], issue, ledger, "run-1")
    assert "certificate verify failed" in outcome.reason and "ca_file" in outcome.reason

    plain = email_block(smtp_server, tls_certs, ["a@example.org"], name="plain").replace(
        'security = "starttls"', 'security = "none"'
    )
    _, issue, ledger, pubs = setup(tmp_path / "p", plain)
    outcome, _ = deliver(pubs["plain"], issue, ledger, "run-1")
    assert "refusing to send the SMTP password unencrypted" in outcome.reason
    assert smtp_server.logins == [] and smtp_server.handler.messages == []


# Webhooks ----------------------------------------------------------------------------------------


def test_slack_and_discord_webhooks_get_their_documented_json(
    tmp_path: Path, publish_receiver: PublishReceiver, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SLACK_URL", f"{publish_receiver.base_url}/slack/T000/B000/tok123456")
    monkeypatch.setenv("DISCORD_URL", f"{publish_receiver.base_url}/discord/api/webhooks/42/tok654321")
    body = webhook_block("slack", "slack", "SLACK_URL", 'link = "https://news.example/{date}"')
    body += webhook_block("discord", "discord", "DISCORD_URL")
    _, issue, ledger, pubs = setup(tmp_path, body)

    slack, _ = deliver(pubs["slack"], issue, ledger, "run-1")
    discord, _ = deliver(pubs["discord"], issue, ledger, "run-1")
    assert slack.status == "sent" and discord.status == "sent", (slack, discord)
    assert discord.message_id and discord.message_id.startswith("discord:1")  # the id Discord returned

    s = publish_receiver.to("/slack/")[0]
    assert s.headers["Content-Type"] == "application/json"
    assert s.body["text"].startswith("*Test Weekly — 2026-11-22*")
    assert "<https://news.example/2026-11-22|Read it>" in s.body["text"]
    stories = s.body["blocks"][2]["text"]["text"]
    assert "<https://example.com/ep2|Voice clones &lt;b&gt;and&lt;/b&gt; [the] election>" in stories
    assert s.headers["Idempotency-Key"].startswith("nr-")

    d = publish_receiver.to("/discord/")[0]
    assert d.query == {"wait": ["true"]}
    assert d.body["allowed_mentions"] == {"parse": []}  # a title saying @everyone pings nobody
    embed = d.body["embeds"][0]
    assert embed["title"] == "Test Weekly — 2026-11-22"
    assert "Agents that plan your week" in embed["description"]
    assert embed["url"] == "https://example.com/ep2"  # no link template: the first story's page


def test_webhook_500_fails_alone_and_the_url_never_shows(
    tmp_path: Path, publish_receiver: PublishReceiver, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("HOOK_URL", f"{publish_receiver.base_url}/hook/secret-path-77aa")
    _, issue, ledger, pubs = setup(tmp_path, webhook_block("n8n", "json", "HOOK_URL"))
    publish_receiver.fail["/hook/"] = [500]
    outcome, retryable = deliver(pubs["n8n"], issue, ledger, "run-1")
    assert outcome.status == "failed" and retryable
    assert "HTTP 500 Internal Server Error from 127.0.0.1" in outcome.reason
    assert "secret-path-77aa" not in outcome.reason and "secret-path-77aa" not in outcome.detail

    again, _ = deliver(pubs["n8n"], issue, ledger, "run-2")
    assert again.status == "sent"
    sent = publish_receiver.to("/hook/")[-1].body
    assert sent["title"] == "Test Weekly — 2026-11-22" and sent["newsletter_id"] == issue.newsletter.id
    assert [i["title"] for i in sent["items"]][1] == "Agents that plan your week"


def test_webhook_urls_with_tokens_are_refused_in_the_config(tmp_path: Path):
    from newsroom.config import ConfigError

    body = (
        '[[publish]]\ntype = "webhook"\nformat = "slack"\nurl = "https://hooks.slack.com/services/T/B/xyz"\n'
    )
    with pytest.raises(ConfigError, match="contain their token"):
        load_settings(write_config(tmp_path, body))
    with pytest.raises(ConfigError, match="two targets are named 'webhook'"):
        load_settings(
            write_config(
                tmp_path, webhook_block("webhook", "json", "A") + webhook_block("webhook", "json", "B")
            )
        )


# Buttondown --------------------------------------------------------------------------------------


def test_buttondown_draft_has_the_documented_shape_and_auth(
    tmp_path: Path, publish_receiver: PublishReceiver, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TEST_BUTTONDOWN_KEY", BUTTONDOWN_KEY)
    _, issue, ledger, pubs = setup(tmp_path, buttondown_block(publish_receiver), subject="AI deze week")
    outcome, _ = deliver(pubs["buttondown"], issue, ledger, "run-1")
    assert outcome.status == "sent", outcome
    request = publish_receiver.to("/v1/emails")[0]
    assert request.headers["Authorization"] == f"Token {BUTTONDOWN_KEY}"
    assert request.body["status"] == "draft"  # left out, Buttondown would send it to everyone
    assert request.body["subject"] == "AI deze week"
    assert "## 1. [Voice clones" in request.body["body"]
    email = publish_receiver.emails[0]
    assert email["status"] == "draft" and outcome.message_id == email["id"]
    assert email["metadata"]["newsroom_key"] == ledger.entries(issue.newsletter.id, "buttondown")[""].key


def test_buttondown_401_fails_with_a_clear_reason(
    tmp_path: Path, publish_receiver: PublishReceiver, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TEST_BUTTONDOWN_KEY", "not-the-right-key")
    _, issue, ledger, pubs = setup(tmp_path, buttondown_block(publish_receiver))
    outcome, retryable = deliver(pubs["buttondown"], issue, ledger, "run-1")
    assert outcome.status == "failed" and not retryable
    assert "Buttondown: HTTP 401 Unauthorized" in outcome.reason and "Invalid token" in outcome.reason
    assert publish_receiver.emails == []


# Obsidian and folder -----------------------------------------------------------------------------


def test_obsidian_vault_notes_links_and_user_notes_survive_republishing(tmp_path: Path):
    vault = tmp_path / "vault"
    vault.mkdir()
    _, issue, ledger, pubs = setup(
        tmp_path, obsidian_block(vault) + '\n[[publish]]\ntype = "folder"\npath = "copies"\n'
    )
    outcome, _ = deliver(pubs["obsidian"], issue, ledger, "run-1")
    assert (
        outcome.status == "sent" and outcome.message_id == "Newsroom/Newsletters/Test Weekly — 2026-11-22.md"
    )
    base = vault / "Newsroom"
    transcript = base / "Transcripts" / "Agents that plan your week.md"
    assert (base / "Summaries" / "Agents that plan your week - summary.md").exists()
    note = transcript.read_text()
    assert note.startswith("---\nepisode_id: podcast-000000000001")
    assert "## Related\n- [[Voice clones b and b the election]]" in note  # shared entity: OpenAI
    newsletter = (base / outcome.message_id.split("/", 1)[1]).read_text()
    assert "[[Agents that plan your week]] · [[Agents that plan your week - summary|Summary]]" in newsletter

    mine = "My own thoughts.\n\n### A heading of mine\n- and a list"
    transcript.write_text(note.replace("## Notes\n", f"## Notes\n{mine}\n", 1))
    news_note = base / outcome.message_id.split("/", 1)[1]
    news_note.write_text(news_note.read_text() + "Sent to the team.\n")
    again, _ = deliver(pubs["obsidian"], issue, ledger, "run-2", republish=True)
    assert again.status == "sent"
    updated = transcript.read_text()
    assert f"## Notes\n{mine}\n\n## Key Takeaways" in updated
    assert updated.replace(mine, "") == note  # the rest is regenerated as before
    assert news_note.read_text().rstrip().endswith("## Notes\nSent to the team.")
    deliver(pubs["obsidian"], issue, ledger, "run-3", republish=True)
    assert transcript.read_text() == updated  # stable: no blank lines pile up

    folder, _ = deliver(pubs["folder"], issue, ledger, "run-1")
    copied = tmp_path / "copies" / "2026-11-22"
    assert folder.status == "sent" and sorted(p.name for p in copied.iterdir()) == [
        "newsletter.html",
        "newsletter.json",
        "newsletter.md",
        "newsletter.txt",
        "notes",
    ]
    assert len(list((copied / "notes").iterdir())) == 4
    assert json.loads((copied / "newsletter.json").read_text())["id"] == issue.newsletter.id


def test_episodes_with_the_same_title_get_their_own_notes(tmp_path: Path):
    """Two live streams both called "Live Q&A": neither note overwrites the other, the first keeps
    the plain title, and the newsletter note links each story to its own notes."""
    vault = tmp_path / "vault"
    vault.mkdir()
    _, issue, ledger, pubs = setup(
        tmp_path,
        obsidian_block(vault) + '\n[[publish]]\ntype = "folder"\npath = "copies"\n',
        titles=("Live Q&A", "live q&a"),
    )
    outcome, _ = deliver(pubs["obsidian"], issue, ledger, "run-1")
    assert outcome.status == "sent"
    transcripts = vault / "Newsroom" / "Transcripts"
    assert sorted(p.name for p in transcripts.iterdir()) == [
        "Live Q&A.md",
        "live q&a (podcast-000000000002).md",
    ]
    assert "episode_id: podcast-000000000001" in (transcripts / "Live Q&A.md").read_text()
    assert (
        "episode_id: podcast-000000000002" in (transcripts / "live q&a (podcast-000000000002).md").read_text()
    )
    newsletter = (vault / outcome.message_id).read_text()
    assert "[[Live Q&A]]" in newsletter and "[[live q&a (podcast-000000000002)]]" in newsletter

    folder, _ = deliver(pubs["folder"], issue, ledger, "run-1")
    assert folder.status == "sent"
    assert len(list((tmp_path / "copies" / "2026-11-22" / "notes").iterdir())) == 4


def test_dry_run_plan_previews_and_checks_without_sending(
    tmp_path: Path, smtp_server: SMTPServer, tls_certs: Certs, publish_receiver: PublishReceiver,
    monkeypatch: pytest.MonkeyPatch,
):  # fmt: skip
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("SLACK_URL", f"{publish_receiver.base_url}/slack/T/B/x")
    body = email_block(smtp_server, tls_certs, ["a@example.org"]) + webhook_block(
        "slack", "slack", "SLACK_URL"
    )
    body += buttondown_block(publish_receiver)  # its key is not set
    _, issue, ledger, pubs = setup(tmp_path, body)
    previews = tmp_path / "previews"
    outcomes = {name: plan(p, issue, ledger, previews) for name, p in pubs.items()}
    assert (
        outcomes["email"].status == "would-send"
        and "1 recipient(s) via 127.0.0.1" in outcomes["email"].detail
    )
    assert outcomes["slack"].status == "would-send"
    assert outcomes["buttondown"].status == "failed"
    assert (
        "would fail: Buttondown API key not found: set $TEST_BUTTONDOWN_KEY" in outcomes["buttondown"].reason
    )
    assert smtp_server.handler.messages == [] and publish_receiver.requests == []
    eml = (previews / "email.eml").read_text()
    assert "Subject: Test Weekly" in eml and "multipart/alternative" in eml
    assert json.loads((previews / "slack.json").read_text())["text"].startswith("*Test Weekly")


def test_a_missing_reader_list_fails_the_target_until_it_is_there(
    tmp_path: Path, smtp_server: SMTPServer, tls_certs: Certs, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    body = email_block(smtp_server, tls_certs, [], extra='to_file = "readers.txt"').replace("to = []\n", "")
    _, issue, ledger, pubs = setup(tmp_path, body)
    outcome, _ = deliver(pubs["email"], issue, ledger, "run-1")
    assert outcome.status == "failed" and "cannot read the recipient list" in outcome.reason
    assert "readers.txt" in outcome.reason and smtp_server.handler.messages == []
    assert ledger.to_retry(3, set()) == [(issue.newsletter.id, "email")]  # the next run tries again

    (tmp_path / "readers.txt").write_text("dana@example.org\nnot an address\n")
    outcome, _ = deliver(pubs["email"], issue, ledger, "run-2")
    assert (outcome.sent, outcome.failed) == (
        1,
        1,
    ) and "'not an address' is not an email address" in outcome.reason
    assert set(ledger.entries(issue.newsletter.id, "email")) == {"dana@example.org", "not an address"}
