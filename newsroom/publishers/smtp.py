"""Email over SMTP: one multipart/alternative message (plain text + HTML) per recipient.

Each recipient is its own delivery in the ledger, so a refused address fails alone and the next
run retries only that one. The Message-ID is derived from the ledger's idempotency key: a message
re-sent after an interrupted run carries the same id, so mail clients show it once.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr

from newsroom.models import utcnow
from newsroom.publishers.base import Issue, Publisher, PublishError, require_secret
from newsroom.targets import EmailTarget


def read_recipients(text: str) -> list[str]:
    """Addresses from a list file: one per line, blank lines and # comments ignored, no duplicates."""
    seen: dict[str, None] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip().strip(",;")
        if line:
            seen.setdefault(line, None)
    return list(seen)


def valid_address(address: str) -> bool:
    _, addr = parseaddr(address)
    local, _, domain = addr.rpartition("@")
    return bool(local) and "." in domain and not any(c.isspace() for c in addr)


def build_message(
    issue: Issue, target: EmailTarget, recipient: str, key: str, html: str, text: str
) -> EmailMessage:
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["Subject"] = " ".join(issue.subject.split())  # one line: a header cannot hold a newline
    msg["From"] = target.sender
    msg["To"] = recipient
    msg["Date"] = format_datetime(utcnow())
    domain = parseaddr(target.sender)[1].rpartition("@")[2] or "newsroom.invalid"
    msg["Message-ID"] = f"<{key}@{domain}>"
    msg["X-Newsroom-Issue"] = issue.newsletter.id
    if target.reply_to:
        msg["Reply-To"] = target.reply_to
    if target.list_unsubscribe:
        msg["List-Unsubscribe"] = f"<{target.list_unsubscribe}>"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


class EmailPublisher(Publisher):
    target: EmailTarget
    _smtp: smtplib.SMTP | None = None

    def recipients(self, issue: Issue) -> list[str]:
        listed = list(self.target.to)
        if self.target.to_file:
            path = self.settings.resolve(self.target.to_file)
            try:
                listed += read_recipients(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise PublishError(f"cannot read the recipient list {path}: {exc.strerror or exc}") from None
        return list(dict.fromkeys(listed))

    def check(self, issue: Issue) -> None:
        if not self.recipients(issue):
            raise PublishError("the recipient list is empty")
        if self.target.username:
            self._password()
        self._refuse_plaintext_password()

    def _refuse_plaintext_password(self) -> None:
        if self.target.username and self.target.security == "none":
            raise PublishError(
                "refusing to send the SMTP password unencrypted: use security = 'starttls' or 'ssl'"
            )

    def _password(self) -> str:
        return require_secret(self.target.password_env, self.target.password_secret, "SMTP password")

    @contextmanager
    def session(self) -> Iterator[None]:
        target = self.target
        where = f"{target.host}:{target.effective_port}"
        context = ssl.create_default_context(
            cafile=str(self.settings.resolve(target.ca_file)) if target.ca_file else None
        )
        self._refuse_plaintext_password()
        try:
            if target.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    target.host, target.effective_port, timeout=target.timeout_seconds, context=context
                )
            else:
                smtp = smtplib.SMTP(target.host, target.effective_port, timeout=target.timeout_seconds)
                smtp.ehlo()
                if target.security == "starttls":
                    if not smtp.has_extn("starttls"):
                        smtp.quit()
                        raise PublishError(f"{where} does not offer STARTTLS; set security = 'ssl' or 'none'")
                    smtp.starttls(context=context)
                    smtp.ehlo()
            if target.username:
                smtp.login(target.username, self._password())
        except PublishError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise PublishError(f"SMTP login as {target.username} refused by {where}: {_reply(exc)}") from None
        except ssl.SSLCertVerificationError as exc:
            raise PublishError(
                f"TLS with {where} failed: certificate verify failed: {exc.verify_message} "
                "(a private CA? set ca_file)"
            ) from None
        except ssl.SSLError as exc:
            raise PublishError(
                f"TLS with {where} failed: {exc.reason or exc} (a private CA? set ca_file)"
            ) from None
        except smtplib.SMTPException as exc:
            raise PublishError(f"SMTP session with {where} failed: {_reply(exc)}", transient=True) from None
        except (TimeoutError, OSError) as exc:
            raise PublishError(f"cannot connect to SMTP server {where}: {exc}", transient=True) from None
        self._smtp = smtp
        try:
            yield
        finally:
            self._smtp = None
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def send(self, issue: Issue, recipient: str, key: str) -> str:
        if not valid_address(recipient):
            raise PublishError(f"{recipient!r} is not an email address")
        assert self._smtp is not None, "send() runs inside session()"
        msg = build_message(issue, self.target, recipient, key, issue.rendered["html"], issue.rendered["txt"])
        sender = parseaddr(self.target.sender)[1]
        try:
            self._smtp.send_message(msg, from_addr=sender, to_addrs=[parseaddr(recipient)[1]])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise PublishError(
                f"{recipient} refused: {code} {_text(text)}", transient=400 <= code < 500
            ) from None
        except smtplib.SMTPSenderRefused as exc:
            raise PublishError(
                f"sender {sender} refused: {exc.smtp_code} {_text(exc.smtp_error)}", fatal=True
            ) from None
        except smtplib.SMTPDataError as exc:
            raise PublishError(
                f"message to {recipient} refused: {exc.smtp_code} {_text(exc.smtp_error)}",
                transient=400 <= exc.smtp_code < 500,
            ) from None
        except smtplib.SMTPServerDisconnected as exc:
            raise _lost(self.target.host, recipient, exc) from None
        except smtplib.SMTPException as exc:
            raise PublishError(f"sending to {recipient} failed: {_reply(exc)}") from None
        except OSError as exc:  # a timeout or reset mid-transaction
            raise _lost(self.target.host, recipient, exc) from None
        return str(msg["Message-ID"])

    def describe(self, issue: Issue) -> str:
        count = len(self.recipients(issue))
        auth = f", login {self.target.username}" if self.target.username else ""
        return (
            f"email {issue.subject!r} to {count} recipient(s) via {self.target.host}:{self.target.effective_port} "
            f"({self.target.security}{auth})"
        )

    def preview(self, issue: Issue) -> tuple[str, bytes] | None:
        first = (self.recipients(issue) or ["reader@example.com"])[0]
        msg = build_message(
            issue, self.target, first, "preview", issue.rendered["html"], issue.rendered["txt"]
        )
        return f"{self.target.name}.eml", msg.as_bytes()


def _lost(host: str, recipient: str, exc: BaseException) -> PublishError:
    # The server may have queued the message before the connection dropped: never resend blindly.
    return PublishError(
        f"connection to {host} lost while sending to {recipient} ({exc or type(exc).__name__}); it may have arrived",
        transient=True,
        maybe_sent=True,
        fatal=True,
    )


def _text(value: bytes | str) -> str:
    return (value.decode(errors="replace") if isinstance(value, bytes) else str(value)).replace("\n", " ")[
        :200
    ]


def _reply(exc: smtplib.SMTPException) -> str:
    code = getattr(exc, "smtp_code", None)
    error = getattr(exc, "smtp_error", None)
    return f"{code} {_text(error)}" if code and error is not None else str(exc)[:200]
