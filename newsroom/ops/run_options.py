"""Per-run changes to the config, typed so the Prefect UI's run form shows labelled fields and choices.

The server validates a run's parameters against this schema (deployments enforce it), so a bad value
is refused before anything runs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from newsroom.config import Settings


class DigestOptions(BaseModel):
    """This run's changes to newsroom.toml; empty fields keep the config's values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Plain types with "empty" defaults rather than Optional ones: the run form then shows a text
    # box or number field instead of a type switch.
    title: str = Field(
        "", title="Newsletter title", max_length=120, description="This issue's name; empty: the config's."
    )
    language: str = Field(
        "",
        title="Language",
        pattern=r"^([a-z]{2,3}(-[A-Za-z]{2,4})?)?$",
        description="Language of summaries and the newsletter (ISO 639-1, e.g. nl); empty: the config's.",
    )
    max_episodes: int = Field(
        0, title="Most episodes", ge=0, le=500, description="At most this many episodes; 0: the config's."
    )
    transcription: Literal["config", "auto", "local", "openai"] = Field(
        "config",
        title="Speech-to-text",
        description="config: as newsroom.toml says; local: the bundled whisper model; openai: the API.",
    )
    summaries: Literal["config", "auto", "offline", "openai"] = Field(
        "config",
        title="Summaries",
        description="config: as newsroom.toml says; offline: extractive, no model; openai: the LLM API.",
    )


DEFAULT_OPTIONS = DigestOptions()


def apply_options(settings: Settings, options: DigestOptions | None) -> Settings:
    """A copy of `settings` with the run's options applied (validated like the config file)."""
    if options is None or options == DEFAULT_OPTIONS:
        return settings
    changed = settings.model_copy(deep=True)
    if options.title.strip():
        changed.title = options.title.strip()
    if options.language:
        changed.language = options.language
    if options.max_episodes:
        changed.max_episodes = options.max_episodes
    if options.transcription != "config":
        changed.transcription.backend = options.transcription
    if options.summaries != "config":
        changed.llm.backend = options.summaries
    return changed
