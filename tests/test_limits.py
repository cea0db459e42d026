"""Stage limits (per process or on the Prefect server) and the OpenAI rate limit every request shares."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from pathlib import Path

import pytest
from prefect import flow, task
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound
from prefect.task_runners import ThreadPoolTaskRunner

from newsroom.config import Settings, load_settings
from newsroom.ops.limits import (
    OPENAI_LIMIT,
    STAGE_LIMITS,
    _ensured,
    ensure_stage_limits,
    openai_slot,
    rate_limit_shape,
    server_scope,
    stage_slot,
)
from newsroom.summaries.summarizer import OpenAISummarizer
from newsroom.transcripts.stt import OpenAITranscriber
from tests.conftest import DEMO, write_config
from tests.test_openai_backends import episode, transcript


def read_limit(name: str):
    with get_client(sync_client=True) as client:
        try:
            return client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            return None


def delete_limit(name: str) -> None:
    with get_client(sync_client=True) as client, contextlib.suppress(ObjectNotFound):
        client.delete_global_concurrency_limit_by_name(name)
    _ensured.clear()  # the next use creates it again


def settings(tmp_path: Path, body: str) -> Settings:
    return load_settings(write_config(tmp_path, body))


def test_rate_limit_shape_allows_a_second_of_burst():
    assert rate_limit_shape(60) == (1, 1.0)
    assert rate_limit_shape(300) == (5, 5.0)
    slots, decay = rate_limit_shape(1)
    assert slots == 1 and decay == pytest.approx(1 / 60)


def test_process_scope_bounds_each_stage_in_this_process(tmp_path: Path):
    s = settings(tmp_path, "[limits]\ntranscribe = 1\nfetch = 2\n")
    assert not server_scope(s)
    transcribe = stage_slot("transcribe", s)
    assert transcribe is stage_slot("transcribe", s)  # one semaphore per stage and size
    with transcribe:
        assert not transcribe.acquire(blocking=False)  # a second episode waits
    fetch = stage_slot("fetch", s)
    assert fetch.acquire(blocking=False) and fetch.acquire(blocking=False)
    assert not fetch.acquire(blocking=False)
    fetch.release()
    fetch.release()


def test_auto_scope_moves_to_the_server_with_dask(tmp_path: Path):
    assert server_scope(settings(tmp_path / "a", '[task_runner]\ntype = "dask"\n'))
    assert not server_scope(settings(tmp_path / "b", '[limits]\nscope = "process"\n'))
    assert server_scope(settings(tmp_path / "c", '[limits]\nscope = "server"\n'))


def test_server_scope_limits_follow_the_config_and_bound_every_thread(tmp_path: Path):
    for name in STAGE_LIMITS.values():
        delete_limit(name)
    s = settings(tmp_path, '[limits]\nscope = "server"\nsummarize = 1\nfetch = 3\n')
    ensure_stage_limits(s)
    assert read_limit("newsroom-summarize").limit == 1 and read_limit("newsroom-fetch").limit == 3
    ensure_stage_limits(
        settings(tmp_path / "changed", '[limits]\nscope = "server"\nfetch = 5\nsummarize = 1\n')
    )
    assert read_limit("newsroom-fetch").limit == 5  # the config wins over what the server had

    spans: list[tuple[float, float]] = []
    lock = threading.Lock()

    @task
    def summarize_like(i: int) -> None:
        with stage_slot("summarize", s):
            start = time.monotonic()
            time.sleep(0.3)  # stands in for the work that holds the slot
            with lock:
                spans.append((start, time.monotonic()))

    @flow
    def three_at_once() -> None:
        with ThreadPoolTaskRunner(max_workers=3) as runner:
            futures = [runner.submit(summarize_like, {"i": i}) for i in range(3)]
            for f in futures:
                f.result()

    three_at_once()
    spans.sort()
    assert len(spans) == 3
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))
    assert read_limit("newsroom-summarize").active_slots == 0  # every slot was given back


def test_openai_slot_outside_a_run_never_touches_the_server(tmp_path: Path):
    delete_limit(OPENAI_LIMIT)
    openai_slot(settings(tmp_path, '[limits]\nscope = "server"\n'))
    assert read_limit(OPENAI_LIMIT) is None  # no run, no server to share through: the local bucket


@pytest.mark.parametrize("scope", ["server", "process"])
def test_the_rate_limit_spaces_requests_out(tmp_path: Path, scope: str):
    delete_limit(OPENAI_LIMIT)
    # One slot, one more per second (a rate no other test uses, so the process bucket starts full).
    s = settings(tmp_path, f'[llm]\nrequests_per_minute = 60\n[limits]\nscope = "{scope}"\n')

    @flow
    def three_requests() -> float:
        started = time.monotonic()
        for _ in range(3):
            openai_slot(s)
        return time.monotonic() - started

    assert three_requests() >= 1.0  # the 2nd and 3rd waited for the bucket to refill
    limit = read_limit(OPENAI_LIMIT)
    if scope == "server":
        assert limit.limit == 1 and limit.slot_decay_per_second == pytest.approx(1.0)
    else:
        assert limit is None  # the process keeps its own bucket: no server round trip per request


@pytest.mark.parametrize("caller", ["summarizer", "transcriber"])
def test_every_openai_request_takes_a_slot_of_the_shared_limit(tmp_path: Path, fake_openai, caller: str):
    s = load_settings(
        write_config(
            tmp_path,
            f'[llm]\nbase_url = "{fake_openai.base_url}"\nrequests_per_minute = 1\n'
            f'[transcription]\nbase_url = "{fake_openai.base_url}"\nopenai_model = "whisper-1"\n'
            '[limits]\nscope = "server"\n',
        )
    )
    fake_openai.transcription_script.append("One sentence. Another one.")

    @task
    def one_request() -> None:
        if caller == "summarizer":
            OpenAISummarizer(s).summarize(episode(), transcript(), "en")
        else:
            OpenAITranscriber(s).transcribe(DEMO / "audio" / "episode-2.mp3", "en", None)

    @flow
    def in_a_run() -> None:
        one_request()

    delete_limit(OPENAI_LIMIT)
    in_a_run()
    limit = read_limit(OPENAI_LIMIT)  # created on first use, from requests_per_minute
    assert limit.limit == 1 and limit.slot_decay_per_second == pytest.approx(1 / 60)
    assert limit.active_slots == 1  # this request's slot, given back over the next minute
    assert len(fake_openai.calls("/chat/completions" if caller == "summarizer" else "/audio/")) == 1
