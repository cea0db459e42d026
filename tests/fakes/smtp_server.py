"""A real SMTP server on loopback (aiosmtpd): STARTTLS or implicit TLS, AUTH, refused recipients.

Every accepted message is recorded with its envelope and whether TLS and AUTH were in force, so
tests assert on what a mail server actually received. `on_data` runs before the server answers 250
(the crash test kills the sending process there: the message is in, the sender never hears so).
"""

from __future__ import annotations

import socket
import ssl
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.fakes.tls import Certs

# Implicit TLS needs auth_require_tls=False (aiosmtpd only knows STARTTLS); it warns about that.
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    authenticated: bool

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Handler:
    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> SMTP reply
    on_data: Callable[[Received], None] | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        received = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            data=bytes(envelope.original_content or envelope.content),
            tls=session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            authenticated=bool(session.authenticated),
        )
        self.messages.append(received)
        if self.on_data is not None:
            self.on_data(received)
        return "250 2.0.0 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SMTPServer:
    """`mode` starttls (AUTH only after STARTTLS) or ssl (implicit TLS, like port 465)."""

    def __init__(self, certs: Certs, user: str, password: str, mode: str = "starttls") -> None:
        self.handler = Handler()
        self.user, self.password, self.mode = user, password, mode
        self.logins: list[tuple[str, bool]] = []  # (login, accepted)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certs.cert, certs.key)
        self.port = free_port()
        common: dict[str, Any] = {
            "hostname": "127.0.0.1",
            "port": self.port,
            "server_hostname": "newsroom-test-smtp",
            "authenticator": self._authenticate,
            "auth_required": True,
            "auth_require_tls": True,
        }
        if mode == "ssl":
            # The whole connection is TLS; aiosmtpd's auth_require_tls only knows STARTTLS.
            common["auth_require_tls"] = False
            self.controller = Controller(self.handler, ssl_context=context, **common)
        else:
            self.controller = Controller(self.handler, tls_context=context, require_starttls=True, **common)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.user
            and auth_data.password.decode() == self.password
        )
        self.logins.append((auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "?", ok))
        # handled=False: aiosmtpd answers 535 itself (handled=True would leave the client waiting).
        return AuthResult(success=ok, handled=False)

    def reset(self) -> None:
        self.handler.messages.clear()
        self.handler.refuse.clear()
        self.handler.on_data = None
        self.logins.clear()

    def to(self, address: str) -> list[Received]:
        return [m for m in self.handler.messages if address in m.rcpt_tos]

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
