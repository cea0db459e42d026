"""Cost: every call is in the store's log with its stage, model, tokens or audio seconds, latency and
dollars from the price table; `newsroom cost` shows it over time."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsroom.app.cli import app
from newsroom.config import load_settings
from newsroom.costs import cost_rows, total
from newsroom.openai_api import Meter, audio_cost, chat_cost
from newsroom.store import Store
from tests.conftest import write_config

runner = CliRunner()


class Usage:
    def __init__(self, prompt_tokens: int, completion_tokens: int):
        self.prompt_tokens, self.completion_tokens = prompt_tokens, completion_tokens


def logged_library(tmp_path: Path) -> Path:
    """Two weeks of calls: speech-to-text, summaries and the editor, one failure."""
    config = write_config(tmp_path, "")
    settings = load_settings(config)
    store = Store(settings.library_dir)
    day1, day2 = "2026-11-10T09:00:00+00:00", "2026-11-17T09:00:00+00:00"
    meter = Meter(store, settings.prices, "run-1", "ep-1", "transcribe")
    meter.audio("openai:gpt-4o-mini-transcribe", "gpt-4o-mini-transcribe", 1800, 0)
    meter.audio("local:tiny.en", "tiny.en", 600, 0)  # local: free
    meter = Meter(store, settings.prices, "run-1", "ep-1", "summarize")
    meter.chat("openai:gpt-4o-mini", "gpt-4o-mini", Usage(10_000, 1_500), 0, "episode.v2@abc")
    meter.chat("openai:gpt-4o-mini", "gpt-4o-mini", None, 0, "episode.v2@abc", ok=False, error="500")
    meter = Meter(store, settings.prices, "run-2", None, "editor")
    meter.chat(
        "openai:gpt-4.1-mini-2025-04-14", "gpt-4.1-mini-2025-04-14", Usage(20_000, 2_000), 0, "editor.v1@x"
    )
    with store.connect() as db:  # spread them over two weeks
        db.execute("UPDATE calls SET ts = ? WHERE run_id = 'run-1'", (day1,))
        db.execute("UPDATE calls SET ts = ? WHERE run_id = 'run-2'", (day2,))
    return config


def test_prices_come_from_the_config_table_dated_models_use_their_family(tmp_path: Path):
    settings = load_settings(write_config(tmp_path, ""))
    assert chat_cost(settings.prices, "gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert chat_cost(settings.prices, "gpt-4.1-mini-2025-04-14", 1_000_000, 0) == pytest.approx(0.40)
    assert chat_cost(settings.prices, "some-local-model", 10**6, 10**6) == 0.0
    assert audio_cost(settings.prices, "gpt-4o-mini-transcribe", 3600) == pytest.approx(0.18)


def test_cost_rows_group_by_day_stage_and_model(tmp_path: Path):
    store = Store(load_settings(logged_library(tmp_path)).library_dir)
    by_day = cost_rows(store, "day")
    assert [r["key"] for r in by_day] == ["2026-11-10", "2026-11-17"]
    assert by_day[0]["calls"] == 4 and by_day[0]["failed"] == 1
    assert by_day[0]["audio_minutes"] == 40.0
    expected_day1 = 0.003 * 30 + (10_000 * 0.15 + 1_500 * 0.60) / 1e6
    assert by_day[0]["cost_usd"] == pytest.approx(expected_day1)
    assert by_day[1]["cost_usd"] == pytest.approx((20_000 * 0.40 + 2_000 * 1.60) / 1e6)
    by_stage = {r["key"]: r for r in cost_rows(store, "stage")}
    assert set(by_stage) == {"transcribe", "summarize", "editor"}
    assert by_stage["summarize"]["input_tokens"] == 10_000
    assert total(by_day)["cost_usd"] == pytest.approx(sum(r["cost_usd"] for r in by_stage.values()))
    assert [r["key"] for r in cost_rows(store, "day", since=date(2026, 11, 15))] == ["2026-11-17"]
    assert len(cost_rows(store, "week")) == 2


def test_cost_command_table_json_and_errors(tmp_path: Path):
    config = str(logged_library(tmp_path))
    table = runner.invoke(app, ["cost", "--config", config, "--by", "stage"])
    assert table.exit_code == 0, table.output
    assert "Estimated cost by stage" in table.output and "editor" in table.output and "total" in table.output
    as_json = runner.invoke(app, ["cost", "--config", config, "--by", "month", "--json"])
    data = json.loads(as_json.output)
    assert [r["key"] for r in data["rows"]] == ["2026-11"] and data["total"]["calls"] == 5
    bad = runner.invoke(app, ["cost", "--config", config, "--by", "year"])
    assert bad.exit_code == 2 and "choose one of day, week" in bad.output
    empty = runner.invoke(app, ["cost", "--config", str(write_config(tmp_path / "empty", ""))])
    assert empty.exit_code == 0 and "No calls logged" in empty.output
    assert "cost" in runner.invoke(app, ["--help"]).output


def test_a_prices_table_in_the_config_adds_to_the_defaults(tmp_path: Path):
    settings = load_settings(
        write_config(tmp_path, '[prices.chat]\n"my-model" = [1.0, 2.0]\n"gpt-4o-mini" = [0.1, 0.5]\n')
    )
    assert chat_cost(settings.prices, "my-model", 10**6, 10**6) == pytest.approx(3.0)
    assert chat_cost(settings.prices, "gpt-4o-mini", 10**6, 0) == pytest.approx(0.1)  # corrected
    assert chat_cost(settings.prices, "gpt-4.1-mini", 10**6, 0) == pytest.approx(0.4)  # kept
    assert audio_cost(settings.prices, "whisper-1", 60) == pytest.approx(0.006)
