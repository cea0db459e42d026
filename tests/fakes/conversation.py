"""What the fake OpenAI server reads from a conversation: the JSON in it (tool results, part
summaries) and, for requests that offer tools, what an obliging model would call next."""

from __future__ import annotations

import json
from typing import Any

MAX_CALLS_PER_TOOL = 6


def tool_policy(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Round 1: every tool without required arguments. Round 2: every tool whose required string
    arguments can be filled from values under the same keys in earlier tool results, once per
    distinct value. After that (or when nothing applies), no calls: the model answers."""
    messages = body.get("messages", [])
    rounds = sum(1 for m in messages if m.get("role") == "assistant" and m.get("tool_calls"))
    tools = [t["function"] for t in body.get("tools", []) if t.get("type") == "function"]
    if rounds == 0:
        return [(t["name"], {}) for t in tools if not t.get("parameters", {}).get("required")]
    if rounds > 1:
        return []
    pools = key_values(" ".join(str(m.get("content") or "") for m in messages if m.get("role") == "tool"))
    calls: list[tuple[str, dict[str, Any]]] = []
    for tool in tools:
        params = tool.get("parameters", {})
        required = params.get("required", [])
        props = params.get("properties", {})
        fillable = [k for k in required if pools.get(k) and "string" in json.dumps(props.get(k, {}))]
        if not required or len(fillable) != len(required):
            continue
        key = required[0]
        for value in list(dict.fromkeys(pools[key]))[:MAX_CALLS_PER_TOOL]:
            arguments = {k: (value if k == key else pools[k][0]) for k in required}
            arguments.update({k: None for k in props if k not in arguments})
            calls.append((tool["name"], arguments))
    return calls


def json_values(text: str) -> list[Any]:
    """Every JSON object or array embedded in the text, outermost first."""
    decoder = json.JSONDecoder()
    found, i = [], 0
    while i < len(text):
        if text[i] in "[{":
            try:
                value, end = decoder.raw_decode(text, i)
            except ValueError:
                i += 1
                continue
            found.append(value)
            i = end
        else:
            i += 1
    return found


def walk(value: Any) -> Any:
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def key_values(text: str) -> dict[str, list[Any]]:
    """Scalar values by key, in order of appearance, from the JSON in the text."""
    pools: dict[str, list[Any]] = {}
    for value in json_values(text):
        for obj in walk(value):
            for k, v in obj.items():
                if isinstance(v, str | int | float) and not isinstance(v, bool):
                    pools.setdefault(k, []).append(v)
    return pools
