"""The publisher interface: one implementation per kind of target, all driven by `newsroom.publishers.delivery`.

A publisher knows how to reach its target and nothing about the ledger: `recipients` lists what
must be delivered (one entry per email recipient, else a single ''), `send` delivers one and returns
the target's id for it, and raises `PublishError` saying whether a retry makes sense and whether
the message may have gone out anyway.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlparse

import httpx

from newsroom.config import Settings
from newsroom.models import Episode, Newsletter, Summary
from newsroom.secrets import get_secret, remember
from newsroom.targets import TargetBase

USER_AGENT = "newsroom/0.1 (newsletter publisher)"


class PublishError(Exception):
    """A delivery that did not succeed. The message is for the report: it never holds a secret."""

    def __init__(
        self, message: str, *, transient: bool = False, maybe_sent: bool = False, fatal: bool = False
    ) -> None:
        super().__init__(message)
        self.transient = transient  # worth trying again soon (network, 5xx, 429, SMTP 4xx)
        self.maybe_sent = maybe_sent  # the target may have received it: never blindly resend
        self.fatal = fatal  # the connection is gone: the remaining recipients fail the same way


@dataclass
class Issue:
    """A newsletter ready to go out: the draft, its subject line, the stories, and its renderings."""

    newsletter: Newsletter
    subject: str
    stories: list[tuple[Episode, Summary]]
    settings: Settings
    backends: dict[str, str] = field(default_factory=dict)
    rendered: dict[str, str] = field(default_factory=dict)  # md, html, txt

    def summary(self, max_items: int = 10) -> str:
        """Intro plus the story titles: the body of chat notifications."""
        lines = [self.newsletter.intro.strip()]
        lines += [f"- {item.title} ({item.source_name})" for item in self.newsletter.items[:max_items]]
        return "\n".join(line for line in lines if line)


class Publisher:
    """Base class; subclasses set `target` and implement `send` and `describe`."""

    # Sending the same thing twice is harmless (files are rewritten in place).
    idempotent: ClassVar[bool] = False
    # `find_sent` can ask the target whether an interrupted delivery arrived.
    can_reconcile: ClassVar[bool] = False

    def __init__(self, target: TargetBase, settings: Settings) -> None:
        self.target = target
        self.settings = settings

    def recipients(self, issue: Issue) -> list[str]:
        return [""]

    @contextmanager
    def session(self) -> Iterator[None]:
        """Open a connection for a batch of sends (SMTP); most targets need none."""
        yield

    def send(self, issue: Issue, recipient: str, key: str) -> str:
        raise NotImplementedError

    def find_sent(self, issue: Issue, recipient: str, key: str) -> str | None:
        """The target's id for a delivery made with `key`, if it arrived; only when can_reconcile."""
        return None

    def check(self, issue: Issue) -> None:
        """Raise PublishError if a delivery cannot work (missing secret, unreadable list); sends nothing."""

    def describe(self, issue: Issue) -> str:
        raise NotImplementedError

    def preview(self, issue: Issue) -> tuple[str, bytes] | None:
        """A file showing exactly what would be sent (dry run): (file name, content)."""
        return None


def require_secret(env: str | None, block: str | None, what: str) -> str:
    value = get_secret(env, block)
    if not value:
        where = " or ".join(
            part
            for part in (f"${env}" if env else "", f"the Prefect Secret block {block!r}" if block else "")
            if part
        )
        raise PublishError(f"{what} not found: set {where}")
    return value


def remember_url(url: str) -> None:
    """A URL that is itself a secret (a webhook) is masked whole and by its path, as clients log either."""
    remember(url)
    parsed = urlparse(url)
    remember(parsed.path + (f"?{parsed.query}" if parsed.query else ""))


def where(url: str) -> str:
    """host[:port] only: paths of webhook URLs are secrets and never reach a message."""
    parsed = urlparse(url)
    return parsed.netloc.rsplit("@", 1)[-1] or url[:30]


def http_client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=False)


def request(client: httpx.Client, method: str, url: str, what: str, **kwargs: Any) -> httpx.Response:
    """One HTTP call with failures classified for the ledger; 4xx/5xx raise with the status."""
    host = where(url)
    try:
        response = client.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise PublishError(f"{what}: cannot connect to {host} ({_first_line(exc)})", transient=True) from None
    except httpx.HTTPError as exc:
        # The request may have been received and acted on before the answer was lost.
        raise PublishError(
            f"{what}: no complete answer from {host} ({type(exc).__name__}); it may have arrived",
            transient=True,
            maybe_sent=method != "GET",
        ) from None
    if response.status_code >= 400:
        retry_after = response.headers.get("retry-after")
        transient = response.status_code in (408, 409, 425, 429) or response.status_code >= 500
        raise PublishError(
            f"{what}: HTTP {response.status_code} {response.reason_phrase} from {host}"
            + (f" ({hint})" if (hint := _error_hint(response)) else "")
            + (f"; retry after {retry_after} s" if retry_after else ""),
            transient=transient,
        )
    return response


def _error_hint(response: httpx.Response) -> str:
    """The service's own short reason (Buttondown `detail`, Slack `invalid_payload`), never headers."""
    try:
        data = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:120] if text and "<" not in text[:1] else ""
    if isinstance(data, dict):
        for key in ("detail", "message", "error", "code"):
            if isinstance(data.get(key), str):
                return str(data[key])[:200]
    return ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
