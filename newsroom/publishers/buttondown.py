"""Buttondown: the issue as a draft email through its API (POST /v1/emails, status "draft").

Auth is `Authorization: Token <key>`. Buttondown creates and *sends* when status is left out, so
the status is always given. Each draft carries the ledger's idempotency key in its metadata; after
an interrupted request, `find_sent` looks among the recent drafts for that key before creating one.
"""

from __future__ import annotations

import json
from typing import Any

from newsroom.publishers.base import Issue, Publisher, http_client, request, require_secret, where
from newsroom.targets import ButtondownTarget


class ButtondownPublisher(Publisher):
    can_reconcile = True
    target: ButtondownTarget

    def _headers(self) -> dict[str, str]:
        key = require_secret(self.target.api_key_env, self.target.api_key_secret, "Buttondown API key")
        return {"Authorization": f"Token {key}"}

    def body(self, issue: Issue, key: str) -> dict[str, Any]:
        return {
            "subject": issue.subject[:2000],
            "body": issue.rendered["md"],
            "status": "draft",
            "description": issue.newsletter.intro[:500],
            "metadata": {"newsroom_issue": issue.newsletter.id, "newsroom_key": key},
        }

    def check(self, issue: Issue) -> None:
        self._headers()

    def send(self, issue: Issue, recipient: str, key: str) -> str:
        url = f"{self.target.base_url.rstrip('/')}/emails"
        with http_client(self.target.timeout_seconds) as client:
            response = request(
                client, "POST", url, "Buttondown", json=self.body(issue, key), headers=self._headers()
            )
        return _email_id(response.json())

    def find_sent(self, issue: Issue, recipient: str, key: str) -> str | None:
        url = f"{self.target.base_url.rstrip('/')}/emails"
        params = {"status": "draft", "ordering": "-creation_date"}
        with http_client(self.target.timeout_seconds) as client:
            page = request(client, "GET", url, "Buttondown", params=params, headers=self._headers()).json()
        for email in page.get("results", []):
            if (email.get("metadata") or {}).get("newsroom_key") == key:
                return _email_id(email)
        return None

    def describe(self, issue: Issue) -> str:
        return f"a Buttondown draft {issue.subject!r} via {where(self.target.base_url)}"

    def preview(self, issue: Issue) -> tuple[str, bytes] | None:
        return f"{self.target.name}.json", json.dumps(self.body(issue, "preview"), indent=2).encode()


def _email_id(data: dict[str, Any]) -> str:
    return str(data.get("id") or "")
