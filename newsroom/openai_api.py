"""One place that decides which backend runs and builds the `openai` client for it.

Rules (as simonw/llm does it): a custom base URL (Ollama, vLLM, a proxy) never receives
OPENAI_API_KEY unless `send_openai_key_to_base_url` is set; it gets the key named by `api_key_env`
when that is another variable, else a placeholder.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from newsroom.config import LLMConfig, Prices, Settings, TranscriptionConfig
from newsroom.secrets import get_secret

if TYPE_CHECKING:  # openai takes ~1.5 s to import: commands that call no model never load it
    from openai import OpenAI

OPENAI_URL = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "not-needed"


class BackendError(Exception):
    """A backend was asked for but cannot run (no key, unknown model, ...)."""


def _base_url(configured: str | None) -> str | None:
    url = configured or os.environ.get("OPENAI_BASE_URL") or None
    if url and url.rstrip("/") == OPENAI_URL:
        return None
    return url


def resolve_llm_backend(settings: Settings) -> Literal["openai", "offline"]:
    cfg = settings.llm
    if cfg.backend != "auto":
        return cfg.backend
    if _base_url(cfg.base_url) or get_secret(cfg.api_key_env, cfg.api_key_secret):
        return "openai"
    return "offline"


def resolve_stt_backend(settings: Settings) -> Literal["openai", "local"]:
    cfg = settings.transcription
    if cfg.backend != "auto":
        return cfg.backend
    if cfg.base_url or get_secret("OPENAI_API_KEY", settings.llm.api_key_secret):
        return "openai"
    return "local"


def client_key(base_url: str | None, key_env: str, key_secret: str | None, send_openai_key: bool) -> str:
    """The API key this endpoint may receive (see the module docstring)."""
    if base_url is None:
        key = get_secret(key_env, key_secret) or get_secret("OPENAI_API_KEY")
        if not key:
            raise BackendError(
                f"no API key: set {key_env} (or llm.api_key_secret to a Prefect Secret block), "
                "or set llm.base_url to an OpenAI-compatible server, or use backend = 'offline'"
            )
        return key
    if key_env != "OPENAI_API_KEY":
        return get_secret(key_env, key_secret) or PLACEHOLDER_KEY
    if send_openai_key:
        return get_secret("OPENAI_API_KEY", key_secret) or PLACEHOLDER_KEY
    return PLACEHOLDER_KEY


@lru_cache(maxsize=16)
def _client(api_key: str, base_url: str, timeout: float, max_retries: int) -> OpenAI:
    # One client (one connection pool) per endpoint and key for the whole process: building one
    # costs tens of milliseconds (TLS context), and they are safe to share between threads.
    from openai import OpenAI

    return OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)


def make_client(cfg: LLMConfig) -> OpenAI:
    """An `openai.OpenAI` for the chat endpoint, with our timeout and retry budget."""
    url = _base_url(cfg.base_url)
    key = client_key(url, cfg.api_key_env, cfg.api_key_secret, cfg.send_openai_key_to_base_url)
    return _client(key, url or OPENAI_URL, cfg.timeout_seconds, cfg.max_retries)


def make_transcription_client(settings: Settings) -> OpenAI:
    """An `openai.OpenAI` for speech-to-text: `transcription.base_url`, else OpenAI itself."""
    t: TranscriptionConfig = settings.transcription
    url = _base_url(t.base_url)
    key_env = t.api_key_env or "OPENAI_API_KEY"
    key = client_key(url, key_env, settings.llm.api_key_secret, t.send_openai_key_to_base_url)
    return _client(key, url or OPENAI_URL, settings.llm.timeout_seconds, settings.llm.max_retries)


# The rate limit every request shares --------------------------------------------------------------


def rate_limit_shape(requests_per_minute: int) -> tuple[int, float]:
    """(slots, decay per second) of a token bucket that allows `requests_per_minute`.

    The bucket holds one second's worth of requests, so a burst never exceeds what the API allows
    in a second and any minute sees at most rpm + rpm/60 requests.
    """
    return max(1, math.ceil(requests_per_minute / 60)), requests_per_minute / 60


class TokenBucket:
    """Up to `capacity` requests at once, refilled at `rate` per second; `take` waits for a token."""

    def __init__(self, capacity: int, rate: float) -> None:
        self.capacity, self.rate = capacity, rate
        self.tokens, self.updated = float(capacity), time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            time.sleep(wait)


_buckets: dict[tuple[int, float], TokenBucket] = {}
_buckets_lock = threading.Lock()
# Takes a slot of a limit shared beyond this process when it can (True), else leaves it (False):
# the Prefect rate limit, installed by newsroom.ops.limits.
SharedSlot = Callable[[Settings], bool]
_shared: list[SharedSlot] = []


def share_rate_limit(slot: SharedSlot) -> None:
    """Route requests through `slot` first (newsroom.ops.limits installs the Prefect rate limit)."""
    if slot not in _shared:
        _shared.append(slot)


def local_slot(settings: Settings) -> None:
    """Wait for a token of this process's bucket for `llm.requests_per_minute`."""
    shape = rate_limit_shape(settings.llm.requests_per_minute)
    with _buckets_lock:
        bucket = _buckets.setdefault(shape, TokenBucket(*shape))
    bucket.take()


@contextmanager
def request_slot(settings: Settings) -> Iterator[None]:
    """Held around every OpenAI request (speech-to-text, summaries, the editor agent): waits for a
    slot of the rate limit they all share (`llm.requests_per_minute`), so every call site honours
    it. Concurrency itself is bounded by each caller's thread pool."""
    if not any(slot(settings) for slot in _shared):
        local_slot(settings)
    yield


# Cost accounting ------------------------------------------------------------------------------------


def chat_cost(prices: Prices, model: str, input_tokens: int, output_tokens: int) -> float:
    rate = _lookup(prices.chat, model)
    if rate is None:
        return 0.0
    return (input_tokens * rate[0] + output_tokens * rate[1]) / 1_000_000


def audio_cost(prices: Prices, model: str, seconds: float) -> float:
    rate = _lookup(prices.transcription_per_minute, model)
    return 0.0 if rate is None else rate * seconds / 60


def _lookup(table: dict[str, Any], model: str) -> Any:
    if model in table:
        return table[model]
    # Dated snapshots ("gpt-4o-mini-2024-07-18") use their family's price.
    for name in sorted(table, key=len, reverse=True):
        if model.startswith(name):
            return table[name]
    return None


@dataclass
class Meter:
    """Records every model call of one episode/stage to the store's cost log."""

    store: Any  # newsroom.store.Store; Any to keep this module free of the store import cycle
    prices: Prices
    run_id: str | None
    episode_id: str | None
    stage: str

    def chat(
        self,
        backend: str,
        model: str,
        usage: Any,
        started: float,
        prompt_version: str | None = None,
        ok: bool = True,
        error: str | None = None,
    ) -> float:
        tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
        tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
        cost = chat_cost(self.prices, model, tokens_in, tokens_out) if backend.startswith("openai") else 0.0
        self._log(
            backend=backend,
            model=model,
            prompt_version=prompt_version,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            latency_s=time.monotonic() - started,
            cost_usd=cost,
            ok=int(ok),
            error=error,
        )
        return cost

    def audio(
        self,
        backend: str,
        model: str,
        seconds: float,
        started: float,
        ok: bool = True,
        error: str | None = None,
    ) -> float:
        cost = audio_cost(self.prices, model, seconds) if backend.startswith("openai") else 0.0
        self._log(
            backend=backend,
            model=model,
            audio_seconds=seconds,
            latency_s=time.monotonic() - started,
            cost_usd=cost,
            ok=int(ok),
            error=error,
        )
        return cost

    def _log(self, **fields: Any) -> None:
        if self.store is not None:
            self.store.log_call(run_id=self.run_id, episode_id=self.episode_id, stage=self.stage, **fields)
