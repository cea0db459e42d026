"""A loopback HTTP server for the publishers: chat webhooks and the Buttondown API, checked strictly.

- `/slack/...`: a Slack incoming webhook: a JSON object with a non-empty `text`; answers `ok`.
- `/discord/...`: a Discord webhook: `content` or `embeds` within Discord's limits; with `?wait=true`
  it answers the message (with an id), else 204.
- `/hook/...`: any JSON object (n8n, Zapier).
- `/v1/emails`: Buttondown. `Authorization: Token <key>` or 401; POST bodies must follow the documented
  EmailInput (subject required, no unknown fields, a known status) or 422; GET lists with `status`.

`fail[path_prefix]` queues statuses to answer instead (a 500, a 429); `on_request` runs after a
request is stored and before the answer (the crash test kills the client there). Every request is
recorded with its headers and JSON body.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

BUTTONDOWN_FIELDS = {
    "archival_mode", "attachments", "body", "canonical_url", "commenting_mode", "description", "email_type",
    "featured", "filters", "image", "metadata", "publish_date", "related_email_ids", "secondary_id",
    "should_trigger_pay_per_email_billing", "slug", "status", "subject", "template",
}  # fmt: skip
BUTTONDOWN_STATUSES = {
    "draft", "managed_by_rss", "about_to_send", "scheduled", "in_flight", "paused", "deleted", "errored",
    "sent", "imported", "throttled", "resending", "transactional", "suppressed",
}  # fmt: skip


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Answer:
    status: int
    body: Any = None
    content_type: str = "application/json"


@dataclass
class PublishReceiver:
    buttondown_key: str
    echo_auth_on_401: bool = False  # a careless service that repeats the credential back
    requests: list[Request] = field(default_factory=list)
    fail: dict[str, list[int]] = field(default_factory=dict)
    emails: list[dict[str, Any]] = field(default_factory=list)
    on_request: Callable[[Request], None] | None = None

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                url = urlparse(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode(errors="replace")
                request = Request(self.command, url.path, parse_qs(url.query), dict(self.headers), body)
                answer = receiver.answer(request)
                payload = b""
                if answer.body is not None:
                    payload = (
                        json.dumps(answer.body).encode()
                        if answer.content_type == "application/json"
                        else str(answer.body).encode()
                    )
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True, name="publish-receiver")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def reset(self) -> None:
        self.requests.clear()
        self.fail.clear()
        self.emails.clear()
        self.on_request = None
        self.echo_auth_on_401 = False

    def to(self, prefix: str) -> list[Request]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    def answer(self, request: Request) -> Answer:
        self.requests.append(request)
        for prefix, statuses in self.fail.items():
            if request.path.startswith(prefix) and statuses:
                status = statuses.pop(0)
                return Answer(status, {"detail": "injected failure"}, "application/json")
        if request.path.startswith("/v1/"):
            answer = self.buttondown(request)
        elif request.method != "POST" or not isinstance(request.body, dict):
            answer = Answer(400, "invalid_payload", "text/plain")
        elif request.path.startswith("/slack/"):
            answer = self.slack(request.body)
        elif request.path.startswith("/discord/"):
            answer = self.discord(request)
        else:
            answer = Answer(200, {"ok": True})
        if self.on_request is not None and answer.status < 300:
            self.on_request(request)
        return answer

    def slack(self, body: dict[str, Any]) -> Answer:
        if not isinstance(body.get("text"), str) or not body["text"].strip():
            return Answer(400, "invalid_payload", "text/plain")
        if not all(isinstance(b, dict) and "type" in b for b in body.get("blocks", [])):
            return Answer(400, "invalid_blocks", "text/plain")
        return Answer(200, "ok", "text/plain")

    def discord(self, request: Request) -> Answer:
        body = request.body
        embeds = body.get("embeds") or []
        if not body.get("content") and not embeds:
            return Answer(400, {"message": "Cannot send an empty message", "code": 50006})
        if len(body.get("content") or "") > 2000 or len(embeds) > 10:
            return Answer(400, {"message": "Invalid Form Body", "code": 50035})
        for embed in embeds:
            if len(embed.get("title", "")) > 256 or len(embed.get("description", "")) > 4096:
                return Answer(400, {"message": "Invalid Form Body", "code": 50035})
        if request.query.get("wait") == ["true"]:
            return Answer(200, {"id": str(1_000_000 + len(self.requests)), "embeds": embeds})
        return Answer(204)

    def buttondown(self, request: Request) -> Answer:
        if request.headers.get("Authorization") != f"Token {self.buttondown_key}":
            detail = "Invalid token."
            if self.echo_auth_on_401:
                detail += f" (got {request.headers.get('Authorization')})"
            return Answer(401, {"detail": detail})
        if request.path.rstrip("/") != "/v1/emails":
            return Answer(404, {"detail": "Not found."})
        if request.method == "GET":
            wanted = set(request.query.get("status", []))
            results = [e for e in self.emails if not wanted or e["status"] in wanted]
            if request.query.get("ordering") == ["-creation_date"]:
                results = list(reversed(results))
            return Answer(200, {"results": results, "count": len(results), "next": None, "previous": None})
        body = request.body
        if not isinstance(body, dict):
            return Answer(422, {"detail": [{"msg": "body must be a JSON object"}]})
        errors = [
            {"loc": ["body", k], "msg": "extra fields not permitted"}
            for k in body
            if k not in BUTTONDOWN_FIELDS
        ]
        subject = body.get("subject")
        if not isinstance(subject, str) or not subject or len(subject) > 2000:
            errors.append({"loc": ["body", "subject"], "msg": "subject is required (1-2000 characters)"})
        if body.get("status", "about_to_send") not in BUTTONDOWN_STATUSES:
            errors.append({"loc": ["body", "status"], "msg": "not a valid status"})
        if not isinstance(body.get("metadata", {}), dict):
            errors.append({"loc": ["body", "metadata"], "msg": "must be an object"})
        if errors:
            return Answer(422, {"detail": errors})
        email = {
            "id": str(uuid.uuid4()),
            "creation_date": datetime.now(UTC).isoformat(),
            "subject": subject,
            "body": body.get("body", ""),
            "status": body.get("status", "about_to_send"),  # Buttondown's default sends at once
            "metadata": body.get("metadata", {}),
            "description": body.get("description", ""),
            "absolute_url": "https://buttondown.example/archive/draft",
        }
        self.emails.append(email)
        return Answer(201, email)

    def __enter__(self) -> PublishReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
