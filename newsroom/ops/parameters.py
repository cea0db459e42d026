"""A flow's parameters as the API stores them, without FastAPI when they are plain values.

Prefect serializes a flow call's parameters with FastAPI's `jsonable_encoder`, and importing FastAPI
costs about half a second: a third of a no-op digest's own time. newsroom's flows take plain values
(text, numbers, dates, paths, pydantic models of those), whose JSON form is fixed, so they are
written out here; anything else still goes through Prefect's own serializer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from enum import Enum
from pathlib import PurePath
from typing import Any, TypeVar

from pydantic import BaseModel

F = TypeVar("F")


class _NotPlain(Exception):
    pass


def plain_json(value: Any) -> Any:
    """The JSON form jsonable_encoder gives a plain value; _NotPlain for anything else."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return plain_json(value.value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: plain_json(v) for k, v in value.items()}
    raise _NotPlain(type(value).__name__)


def plain_parameters(flow: F) -> F:
    """The flow, its parameters serialized by `plain_json` when they are all plain values."""
    prefect_serialize: Callable[[dict[str, Any]], dict[str, Any]] = flow.serialize_parameters  # type: ignore[attr-defined]

    def serialize_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
        try:
            return {key: plain_json(value) for key, value in parameters.items()}
        except _NotPlain:
            return prefect_serialize(parameters)

    flow.serialize_parameters = serialize_parameters  # type: ignore[attr-defined]
    return flow
