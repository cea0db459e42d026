"""Webhooks: a chat notice (title, summary, link) as Slack or Discord incoming-webhook JSON, or plain JSON.

Text from the stories is data: it is escaped so it cannot become a Slack link or mention, and
Discord is told to ping nobody. The URL usually holds the webhook's token, so it comes from the
environment or a Prefect Secret block and only its host is ever shown.
"""

from __future__ import annotations

import json
from typing import Any

from newsroom.publishers.base import (
    Issue,
    Publisher,
    PublishError,
    http_client,
    remember_url,
    request,
    require_secret,
    where,
)
from newsroom.targets import WebhookTarget


def issue_link(issue: Issue, template: str | None) -> str:
    if template:
        return template.replace("{id}", issue.newsletter.id).replace("{date}", issue.newsletter.date)
    return issue.newsletter.items[0].page or issue.newsletter.items[0].link if issue.newsletter.items else ""


def slack_escape(text: str) -> str:
    """Slack's three control characters; this also keeps `<!channel>` and `<url|label>` out."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_url(url: str) -> str:
    """A link from a feed, made safe inside Slack's `<url|label>`; anything but http(s) is dropped."""
    if not url.startswith(("http://", "https://")):
        return ""
    return url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")


def slack_payload(issue: Issue, link: str) -> dict[str, Any]:
    n = issue.newsletter
    stories = "\n".join(
        f"• <{slack_url(item.page or item.link)}|{slack_escape(item.title)}> ({slack_escape(item.source_name)})"
        if slack_url(item.page or item.link)
        else f"• {slack_escape(item.title)} ({slack_escape(item.source_name)})"
        for item in n.items[:10]
    )
    link = slack_url(link)
    text = f"*{slack_escape(issue.subject)}*\n{slack_escape(n.intro)}" + (
        f"\n<{link}|Read it>" if link else ""
    )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": issue.subject[:150], "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": slack_escape(n.intro)[:3000] or " "}},
    ]
    if stories:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": stories[:3000]}})
    if link:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<{link}|Read the newsletter>"}}
        )
    return {"text": text[:3000], "blocks": blocks, "unfurl_links": False}


def discord_payload(issue: Issue, link: str) -> dict[str, Any]:
    embed: dict[str, Any] = {
        "title": issue.subject[:256],
        "description": issue.summary()[:4096],
        "timestamp": f"{issue.newsletter.date}T00:00:00Z",
    }
    if link:
        embed["url"] = link
    return {"content": "", "embeds": [embed], "allowed_mentions": {"parse": []}}


def json_payload(issue: Issue, link: str) -> dict[str, Any]:
    n = issue.newsletter
    return {
        "title": issue.subject,
        "summary": issue.summary(),
        "link": link,
        "newsletter_id": n.id,
        "date": n.date,
        "items": [
            {"title": i.title, "source": i.source_name, "blurb": i.blurb, "link": i.link} for i in n.items
        ],
    }


PAYLOADS = {"slack": slack_payload, "discord": discord_payload, "json": json_payload}


class WebhookPublisher(Publisher):
    target: WebhookTarget

    def url(self) -> str:
        if self.target.url:
            return self.target.url
        url = require_secret(self.target.url_env, self.target.url_secret, "webhook URL")
        remember_url(url)
        if not url.startswith(("http://", "https://")):
            raise PublishError(
                f"the webhook URL from {self.target.url_env or self.target.url_secret} is not http(s)"
            )
        return url

    def payload(self, issue: Issue) -> dict[str, Any]:
        return PAYLOADS[self.target.format](issue, issue_link(issue, self.target.link))

    def check(self, issue: Issue) -> None:
        self.url()

    def send(self, issue: Issue, recipient: str, key: str) -> str:
        url = self.url()
        if self.target.format == "discord":
            # wait=true makes Discord answer with the message (and its id) instead of 204.
            url += ("&" if "?" in url else "?") + "wait=true"
        headers = {"Idempotency-Key": key, "X-Newsroom-Issue": issue.newsletter.id}
        what = f"{self.target.format} webhook"
        with http_client(self.target.timeout_seconds) as client:
            response = request(client, "POST", url, what, json=self.payload(issue), headers=headers)
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("id"):
            return f"{self.target.format}:{data['id']}"
        return f"{self.target.format}:{key}"

    def describe(self, issue: Issue) -> str:
        try:
            host = where(self.url())
        except PublishError:
            host = f"${self.target.url_env}" if self.target.url_env else "(URL not set)"
        return f"{self.target.format} JSON (title, summary, link) to {host}"

    def preview(self, issue: Issue) -> tuple[str, bytes] | None:
        return f"{self.target.name}.json", json.dumps(
            self.payload(issue), indent=2, ensure_ascii=False
        ).encode()
