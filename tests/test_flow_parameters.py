"""Flow parameters reach the API in the JSON form Prefect's own serializer gives them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import Enum
from pathlib import Path

from fastapi.encoders import jsonable_encoder
from prefect import Flow

from flows.backfill import backfill
from flows.process_episode import process_url
from flows.weekly_digest import weekly_digest
from newsroom.ops.parameters import plain_json, plain_parameters
from newsroom.ops.run_options import DigestOptions


class Colour(Enum):
    RED = "red"


def test_plain_values_serialize_as_fastapi_would() -> None:
    values = {
        "config": "newsroom.toml",
        "since": date(2026, 11, 24),
        "at": datetime(2026, 11, 24, 7, 30, tzinfo=UTC),
        "force": True,
        "limit": 3,
        "share": 0.5,
        "until": None,
        "options": DigestOptions(title="Week 48", language="nl", max_episodes=4, summaries="offline"),
        "path": Path("/tmp/library"),
        "wait": timedelta(minutes=2),
        "colour": Colour.RED,
        "nested": {"ids": ["a", "b"], "pair": ("x", 1)},
    }
    assert plain_json(values) == jsonable_encoder(values)


def test_the_flows_send_what_prefect_would_and_fall_back_for_the_rest() -> None:
    parameters = {"config": "newsroom.toml", "since": date(2026, 11, 24), "options": DigestOptions()}
    for flow in (weekly_digest, backfill, process_url):
        assert flow.serialize_parameters(parameters) == jsonable_encoder(parameters)

    class Opaque:
        pass

    odd = {"config": "newsroom.toml", "thing": Opaque()}
    # Not a plain value: Prefect's own serializer decides, as it would without newsroom.
    assert weekly_digest.serialize_parameters(odd) == Flow.serialize_parameters(weekly_digest, odd)


def test_plain_parameters_keeps_the_flow() -> None:
    from prefect import flow

    @flow
    def tiny(n: int = 1) -> int:
        """A flow for the test."""
        return n

    assert plain_parameters(tiny) is tiny
    assert tiny.serialize_parameters({"n": 2}) == {"n": 2}
