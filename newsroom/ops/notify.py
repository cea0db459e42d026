"""Tell a webhook when a run failed or crashed (Prefect's on_failure / on_crashed flow hooks).

The body is JSON with a Slack/Mattermost-style `text` line plus the fields an n8n or Zapier flow
wants (flow, run, state, message, link to the run in the UI). The URL is read like a secret: it is
named in `[notify]`, never written there, and masked wherever it could be logged.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from newsroom.config import ConfigError, NotifyConfig, load_settings
from newsroom.secrets import get_secret, redact

log = logging.getLogger("newsroom.ops.notify")


def webhook_url(notify: NotifyConfig) -> str | None:
    return get_secret(notify.webhook_env, notify.webhook_secret)


def run_url(flow_run_id: str) -> str | None:
    from prefect.settings import PREFECT_UI_URL

    base = PREFECT_UI_URL.value()
    return f"{str(base).rstrip('/')}/runs/flow-run/{flow_run_id}" if base else None


def failure_payload(
    flow_name: str, run_name: str, run_id: str, state_name: str, message: str, url: str | None
) -> dict[str, Any]:
    """What the webhook receives (pure)."""
    message = redact(message or "")[:1000]
    text = f"newsroom: {flow_name} run '{run_name}' {state_name.lower()}: {message}"
    return {
        "text": text + (f" <{url}>" if url else ""),
        "flow": flow_name,
        "flow_run_id": run_id,
        "flow_run_name": run_name,
        "state": state_name,
        "message": message,
        "url": url,
    }


def post(url: str, payload: dict[str, Any], attempts: int = 3) -> None:
    """POST the payload; a flaky receiver gets a few tries, a refusing one an error."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            response = httpx.post(url, json=payload, timeout=10)
            if response.status_code < 500:
                response.raise_for_status()
                return
            last = httpx.HTTPStatusError(
                f"HTTP {response.status_code}", request=response.request, response=response
            )
        except httpx.TransportError as exc:
            last = exc
    raise RuntimeError(redact(f"webhook failed after {attempts} attempts: {last}"))


def notify_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Flow hook: send the run's name, state and reason to the configured webhook, if there is one."""
    config = (flow_run.parameters or {}).get("config")
    try:
        notify = load_settings(config).notify if config else NotifyConfig()
    except ConfigError:
        notify = NotifyConfig()  # a broken config may be why the run failed: use the default variable
    url = webhook_url(notify)
    if not url:
        log.info("run %s %s; no webhook configured (%s)", flow_run.name, state.name, notify.webhook_env)
        return
    payload = failure_payload(
        flow.name, flow_run.name, str(flow_run.id), state.name, state.message or "", run_url(str(flow_run.id))
    )
    try:
        post(url, payload)
    except Exception as exc:  # a notification problem must not hide the run's own failure
        log.error("could not notify the webhook: %s", redact(str(exc)))
