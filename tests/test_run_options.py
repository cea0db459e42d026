"""Flow parameters as the Prefect UI's run form shows them, and the server refusing bad values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.exceptions import PrefectHTTPStatusError
from prefect.utilities.callables import parameter_schema
from pydantic import ValidationError

from flows.backfill import backfill
from flows.process_episode import process_url
from flows.weekly_digest import weekly_digest
from newsroom.config import load_settings
from newsroom.ops.run_options import DigestOptions, apply_options
from tests.conftest import write_config


def schema_of(flow: Any) -> dict[str, Any]:
    return parameter_schema(flow).model_dump()


def test_the_digest_form_has_labels_choices_defaults_and_bounds():
    schema = schema_of(weekly_digest)
    top = schema["properties"]
    assert top["since"]["description"].startswith("Start of the window")
    assert top["dry_run"]["default"] is False and top["dry_run"]["description"]
    assert schema["required"] == []  # the schedule runs it without any parameter
    options = schema["definitions"]["DigestOptions"]["properties"]
    assert options["title"]["title"] == "Newsletter title" and options["title"]["maxLength"] == 120
    assert options["max_episodes"].items() >= {"minimum": 0, "maximum": 500, "default": 0}.items()
    assert options["max_episodes"]["title"] == "Most episodes"
    assert options["transcription"]["enum"] == ["config", "auto", "local", "openai"]
    assert options["summaries"]["enum"] == ["config", "auto", "offline", "openai"]
    assert all(field.get("description") for field in options.values())


def test_the_other_forms_require_what_they_need():
    adhoc = schema_of(process_url)
    assert adhoc["required"] == ["url"] and adhoc["properties"]["url"]["minLength"] == 1
    dates = schema_of(backfill)
    assert dates["required"] == ["start", "end"]
    assert dates["properties"]["start"]["format"] == "date"
    assert dates["properties"]["period_days"].items() >= {"minimum": 1, "maximum": 31, "default": 7}.items()


def test_options_change_this_run_only(tmp_path: Path):
    settings = load_settings(write_config(tmp_path, 'title = "Config Title"\n'))
    changed = apply_options(
        settings,
        DigestOptions(title="  AI Weekly  ", language="nl", max_episodes=3, transcription="local"),
    )
    assert (changed.title, changed.language, changed.max_episodes) == ("AI Weekly", "nl", 3)
    assert changed.transcription.backend == "local" and changed.llm.backend == "auto"
    assert (settings.title, settings.language, settings.transcription.backend) == (
        "Config Title",
        "en",
        "auto",
    )
    assert apply_options(settings, DigestOptions()) is settings
    with pytest.raises(ValidationError):
        DigestOptions(language="Dutch")
    with pytest.raises(ValidationError):
        DigestOptions(summaries="gpt-5")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        {"options": {"max_episodes": 501}},
        {"options": {"transcription": "gpt"}},
        {"options": {"language": "Dutch"}},
        {"options": {"unknown": True}},
        {"force": "sometimes"},
    ],
)
def test_the_server_refuses_bad_values_before_anything_runs(bad: dict[str, Any], digest_deployment: Any):
    # (Date formats are the exception: the server does not check them; the run form's date picker
    # does, and the run itself refuses "last tuesday" before it starts.)
    with get_client(sync_client=True) as client:
        with pytest.raises(PrefectHTTPStatusError) as refused:
            client.create_flow_run_from_deployment(digest_deployment, parameters=bad)
        assert refused.value.response.status_code in (409, 422)
        assert (
            "Validation failed" in refused.value.response.text or "validation" in refused.value.response.text
        )


def test_the_server_takes_good_values(digest_deployment: Any):
    with get_client(sync_client=True) as client:
        run = client.create_flow_run_from_deployment(
            digest_deployment,
            parameters={"since": "2026-11-01", "options": {"title": "UI Weekly", "summaries": "offline"}},
        )
        assert run.parameters["options"]["title"] == "UI Weekly"
        client.delete_flow_run(run.id)  # nothing serves this deployment: don't leave it scheduled


@pytest.fixture(scope="module")
def digest_deployment() -> Any:
    """The weekly digest as a deployment on the session's server (nothing runs it)."""
    deployment = weekly_digest.to_deployment(name="schema-check")
    return deployment.apply()
