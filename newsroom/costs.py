"""Cost over time, from the store's log of model and speech-to-text calls (`newsroom cost`)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from newsroom.store import Store

GroupBy = Literal["day", "week", "month", "run", "stage", "model", "episode"]

# SQLite expressions over the `calls` table; `ts` is ISO 8601 in UTC.
GROUPS: dict[str, str] = {
    "day": "substr(ts, 1, 10)",
    "week": "strftime('%Y-W%W', ts)",
    "month": "substr(ts, 1, 7)",
    "run": "COALESCE(run_id, '-')",
    "stage": "stage",
    "model": "COALESCE(model, backend)",
    "episode": "COALESCE(episode_id, '(run)')",
}


def cost_rows(store: Store, by: GroupBy = "day", since: date | None = None) -> list[dict[str, Any]]:
    """One row per group, oldest (or largest, for non-time groups) first: calls, failures, tokens,
    audio minutes, time spent and estimated dollars."""
    key = GROUPS[by]
    where, args = ("WHERE ts >= ?", (since.isoformat(),)) if since else ("", ())
    order = "key" if by in ("day", "week", "month") else "cost_usd DESC, key"
    query = f"""
        SELECT {key} AS key, COUNT(*) AS calls, SUM(1 - ok) AS failed,
               SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
               ROUND(SUM(audio_seconds) / 60.0, 2) AS audio_minutes,
               ROUND(SUM(latency_s), 2) AS seconds, ROUND(SUM(cost_usd), 6) AS cost_usd
        FROM calls {where} GROUP BY key ORDER BY {order}"""
    with store.connect() as db:
        return [dict(row) for row in db.execute(query, args).fetchall()]


def total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The sum of the rows, as a row."""
    out: dict[str, Any] = {"key": "total"}
    for field in ("calls", "failed", "input_tokens", "output_tokens", "audio_minutes", "seconds", "cost_usd"):
        out[field] = round(sum(r[field] or 0 for r in rows), 6)
    return out
