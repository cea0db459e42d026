"""Typed settings: `newsroom.toml`, overridden by `NEWSROOM_*` environment variables.

Secrets never live here: API keys, SMTP passwords and tokens are read from the environment or
from Prefect Secret blocks by name (see `newsroom.secrets`).
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

# Publish targets (folder, obsidian, email, webhook, buttondown) live in their own module.
from newsroom.targets import FolderTarget, PublishTarget, PublishTargets  # noqa: F401

DEFAULT_CONFIG = "newsroom.toml"
CONFIG_ENV = "NEWSROOM_CONFIG"


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file, the key and the problem."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SourceConfig(Strict):
    """One place episodes come from."""

    url: str = Field(
        description="Channel, playlist, video, feed or article URL, or a local file/folder path."
    )
    name: str = Field("", description="Display name; defaults to what the source calls itself.")
    kind: str | None = Field(
        None,
        pattern=r"^[a-z][a-z0-9_-]*$",
        description="youtube, podcast, article, local (or a kind you registered); detected from the URL "
        "when left out (newsroom.sources.kind_of).",
    )
    language: str | None = Field(None, description="Spoken language of this source (ISO 639-1), e.g. 'nl'.")
    page_timestamps: bool = Field(
        False,
        description="The episode pages' player seeks to `#t=`: timestamp links open the page, not the audio.",
    )
    output_language: str | None = Field(
        None, description="Language of its summaries; the global one if unset."
    )
    all_items: bool = Field(False, description="Take every item, whatever its date (archives, the demo).")
    include: list[str] = Field(default_factory=list, description="Keep only titles containing one of these.")
    exclude: list[str] = Field(default_factory=list, description="Drop titles containing any of these.")
    min_duration: float | None = Field(None, ge=0, description="Seconds; shorter episodes are skipped.")
    max_duration: float | None = Field(None, ge=0, description="Seconds; longer episodes are skipped.")
    max_items: int | None = Field(None, ge=1, description="At most this many new items per run.")

    @model_validator(mode="after")
    def _durations(self) -> SourceConfig:
        if self.min_duration and self.max_duration and self.min_duration > self.max_duration:
            raise ValueError("min_duration is larger than max_duration")
        return self

    @property
    def source_id(self) -> str:
        """A stable, filesystem-safe id derived from the URL."""
        return slugify(self.name or self.url)[:60] or "source"


class TranscriptionConfig(Strict):
    backend: Literal["auto", "openai", "local"] = Field(
        "auto", description="auto: OpenAI when a key or base URL is configured, else the local model."
    )
    openai_model: str = "gpt-4o-mini-transcribe"
    base_url: str | None = Field(None, description="OpenAI-compatible server for speech-to-text.")
    api_key_env: str | None = Field(None, description="Variable with that server's key (none sent if unset).")
    send_openai_key_to_base_url: bool = False
    local_model: str = Field("bundled", description="'bundled' (tiny.en), a faster-whisper name, or a path.")
    local_compute_type: str = "int8"
    local_beam_size: int = Field(5, ge=1, le=10)
    vad: bool = Field(True, description="Skip silence, so the model cannot invent text there.")
    max_chunk_seconds: int = Field(1400, ge=60, le=1500, description="Longest upload to a speech API.")
    max_chunk_mb: float = Field(24.0, gt=1, le=25)
    chunk_overlap_seconds: float = Field(2.0, ge=0, le=10)
    concurrency: int = Field(3, ge=1, le=16)
    window_retries: int = Field(3, ge=0, le=10, description="Retries of a window after a transient error.")
    window_retry_delay_seconds: float = Field(
        5.0, ge=0, description="First retry delay of a window; doubles with each retry."
    )


class YouTubeConfig(Strict):
    """How newsroom talks to YouTube (through yt-dlp)."""

    request_interval: float = Field(
        2.0,
        ge=0,
        le=60,
        description="Seconds between metadata requests; YouTube answers 429 to eager clients.",
    )
    cookies_file: str | None = Field(
        None, description="A Netscape cookies.txt for bot checks and members-only videos (yt-dlp --cookies)."
    )


class LLMConfig(Strict):
    backend: Literal["auto", "openai", "offline"] = Field(
        "auto",
        description="auto: OpenAI when OPENAI_API_KEY or base_url is set, else the offline summarizer.",
    )
    model: str = "gpt-4o-mini"
    editor_model: str | None = Field(None, description="Model for the newsletter editor; `model` if unset.")
    base_url: str | None = Field(
        None, description="OpenAI-compatible server, e.g. http://localhost:11434/v1."
    )
    api_key_env: str = Field("OPENAI_API_KEY", description="Environment variable holding the API key.")
    api_key_secret: str | None = Field(None, description="Prefect Secret block with the key, if not in env.")
    send_openai_key_to_base_url: bool = Field(
        False, description="Send OPENAI_API_KEY to a custom base_url (off: such servers get no key)."
    )
    timeout_seconds: float = Field(120, gt=0)
    max_retries: int = Field(4, ge=0, le=10)
    requests_per_minute: int = Field(300, ge=1)
    concurrency: int = Field(4, ge=1, le=32)
    temperature: float = Field(0.2, ge=0, le=2)
    summary_prompt: str = Field("episode.v3", description="Prompt file under prompts/summarize/.")
    reduce_prompt: str = Field(
        "reduce.v2", description="Prompt under prompts/summarize/ that combines the parts of a long episode."
    )
    editor_prompt: str = Field("editor.v2", description="Prompt file under prompts/newsletter/.")
    chunk_tokens: int = Field(
        12000,
        ge=500,
        description="Most transcript tokens sent in one call; longer transcripts are summarized in parts.",
    )
    context_tokens: int = Field(
        128000, ge=2048, description="The model's context window (e.g. 8192 for a small local model)."
    )


class EditorConfig(Strict):
    """The newsletter editor: an agent with tools over the week's summaries, within a budget."""

    backend: Literal["auto", "agent", "deterministic"] = Field(
        "auto",
        description="auto: the agent when a language model is configured, else the deterministic draft.",
    )
    max_steps: int = Field(10, ge=2, le=50, description="Model calls the agent may make.")
    max_tokens: int = Field(150_000, ge=1000, description="Tokens (in + out) the agent may use in total.")
    timeout_seconds: float = Field(300, gt=0, description="Wall time the agent may take.")
    max_stories: int = Field(8, ge=1, le=50, description="Most stories in one issue.")


DEFAULT_CHAT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-4o": (2.50, 10.00),
}
DEFAULT_TRANSCRIPTION_PRICES: dict[str, float] = {
    "whisper-1": 0.006,
    "gpt-4o-transcribe": 0.006,
    "gpt-4o-mini-transcribe": 0.003,
}


class Prices(Strict):
    """Dollars per 1M tokens (in, out) and per audio minute; used for cost estimates only."""

    chat: dict[str, tuple[float, float]] = Field(default_factory=lambda: dict(DEFAULT_CHAT_PRICES))
    transcription_per_minute: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_TRANSCRIPTION_PRICES)
    )

    # A [prices.chat] table in newsroom.toml adds to or corrects the defaults; it does not replace them.
    @field_validator("chat")
    @classmethod
    def _with_default_chat(cls, value: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        return {**DEFAULT_CHAT_PRICES, **value}

    @field_validator("transcription_per_minute")
    @classmethod
    def _with_default_audio(cls, value: dict[str, float]) -> dict[str, float]:
        return {**DEFAULT_TRANSCRIPTION_PRICES, **value}


# Operations: the schedule, shared limits, failure notifications and where episodes run -------------


class ScheduleConfig(Strict):
    """When the weekly-digest deployment runs (`newsroom up`, `python -m deployments`)."""

    cron: str = Field("0 7 * * 1", description="Cron expression; the default is Mondays at 07:00.")
    timezone: str = Field("Europe/Amsterdam", description="IANA time zone the cron is read in.")
    active: bool = Field(True, description="Off: the deployment is served but not run on schedule.")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from datetime import datetime

        from cronsim import CronSim, CronSimError  # Prefect's own cron parser

        try:
            CronSim(value, datetime(2026, 1, 1))
        except CronSimError as exc:
            raise ValueError(f"{value!r} is not a cron expression like '0 7 * * 1' ({exc})") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone like 'Europe/Amsterdam'") from None
        return value


class LimitsConfig(Strict):
    """How many episodes each stage works on at once."""

    scope: Literal["auto", "process", "server"] = Field(
        "auto",
        description="process: within each process; server: Prefect concurrency limits every process and "
        "machine shares (created on first use; best on PostgreSQL); auto: server with Dask, else process.",
    )
    fetch: int = Field(4, ge=1, le=64, description="Episodes downloading at once.")
    transcribe: int = Field(2, ge=1, le=64, description="Episodes in speech-to-text at once.")
    summarize: int = Field(4, ge=1, le=64, description="Episodes being summarized at once.")


class NotifyConfig(Strict):
    """Where a failed or crashed run is reported: a webhook URL, read like a secret (it often is one)."""

    webhook_env: str = Field("NEWSROOM_WEBHOOK_URL", description="Environment variable with the URL.")
    webhook_secret: str | None = Field(None, description="Prefect Secret block with the URL, if not in env.")


class TaskRunnerConfig(Strict):
    """Where the episodes of a digest run: threads in the flow's process, or a Dask cluster."""

    type: Literal["threads", "dask"] = Field("threads", description="dask: prefect-dask's DaskTaskRunner.")
    address: str | None = Field(
        None, description="Dask scheduler, e.g. tcp://10.0.0.5:8786; unset: a LocalCluster of processes."
    )
    n_workers: int = Field(2, ge=1, le=256, description="LocalCluster worker processes.")
    threads_per_worker: int = Field(
        1, ge=1, le=64, description="Episodes each LocalCluster worker runs at once."
    )


class Settings(BaseSettings):
    """Everything a run needs to know, from `newsroom.toml` and `NEWSROOM_*` variables."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSROOM_", env_nested_delimiter="__", extra="forbid", validate_assignment=True
    )

    title: str = Field("Weekly digest", description="Newsletter name.")
    language: str = Field("en", description="Language of summaries and the newsletter (ISO 639-1).")
    library: Path = Field(Path("library"), description="Episode folders and the SQLite index.")
    output: Path = Field(Path("out"), description="Where each run's newsletter and report go.")
    templates: Path | None = Field(None, description="Folder searched first for newsletter/note templates.")
    window_days: int = Field(7, ge=1, le=366, description="Look-back when there was no successful run yet.")
    max_episodes: int = Field(25, ge=1, description="At most this many episodes per run.")
    concurrency: int = Field(4, ge=1, le=32, description="Episodes processed at once.")
    max_attempts: int = Field(3, ge=1, description="A failing episode is retried on this many runs.")
    allow_private_network: bool | list[str] = Field(
        False,
        description="Addresses that are not public (loopback, private, ...) are refused (SSRF); "
        "true allows them all, a list of networks (CIDRs like '192.168.1.0/24') allows just those.",
    )
    glossary: dict[str, list[str]] = Field(
        default_factory=dict, description="Canonical name -> misspellings to correct in transcripts."
    )
    glossary_types: dict[str, Literal["person", "company", "product"]] = Field(
        default_factory=dict,
        description="Glossary name -> person, company or product: what the offline summarizer may call "
        "it (a name without a type, on no shipped list and no speaker, is listed as mentioned).",
    )
    sources: list[SourceConfig] = Field(default_factory=list)
    transcription: TranscriptionConfig = Field(default_factory=TranscriptionConfig)
    youtube: YouTubeConfig = Field(default_factory=YouTubeConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    editor: EditorConfig = Field(default_factory=EditorConfig)
    publish: PublishTargets = Field(default_factory=list, description="Targets besides out/<date>/.")
    review: bool = Field(
        False, description="Pause for approval (Prefect UI or `newsroom approve`) before publishing."
    )
    review_timeout_seconds: int = Field(
        86400,
        ge=1,
        description="Unapproved after this long: the draft stays unpublished and the run says so.",
    )
    prices: Prices = Field(default_factory=Prices)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    task_runner: TaskRunnerConfig = Field(default_factory=TaskRunnerConfig)

    # Where the file was read from; paths in it are relative to its folder.
    config_path: Path | None = Field(None, exclude=True)

    @field_validator("allow_private_network")
    @classmethod
    def _networks(cls, value: bool | list[str]) -> bool | list[str]:
        if isinstance(value, bool):
            return value
        networks = []
        for item in value:
            try:
                networks.append(str(ipaddress.ip_network(item.strip(), strict=False)))
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP network; use true/false or CIDRs like '192.168.1.0/24'"
                ) from None
        return networks

    @field_validator("language")
    @classmethod
    def _lang(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?", value):
            raise ValueError(f"{value!r} is not a language code like 'en' or 'nl'")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = _TOML_FILE.get()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    @property
    def base_dir(self) -> Path:
        return self.config_path.parent if self.config_path else Path.cwd()

    def resolve(self, path: Path | str) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def library_dir(self) -> Path:
        return self.resolve(self.library)

    @property
    def output_dir(self) -> Path:
        return self.resolve(self.output)

    @property
    def templates_dir(self) -> Path | None:
        return self.resolve(self.templates) if self.templates else None


# pydantic-settings takes no per-call file argument; the file to read travels in a context variable.
_TOML_FILE: ContextVar[Path | None] = ContextVar("newsroom_toml_file", default=None)


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Read and validate the config; raise ConfigError naming the file, the key and the problem."""
    chosen = Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG).expanduser()
    if path is not None and not chosen.is_file():
        raise ConfigError(f"{chosen}: config file not found")
    if chosen.is_file():
        try:
            with chosen.open("rb") as fh:
                tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{chosen}: not valid TOML: {exc}") from exc
    token = _TOML_FILE.set(chosen if chosen.is_file() else None)
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(chosen, exc)) from exc
    finally:
        _TOML_FILE.reset(token)
    settings.config_path = chosen.resolve() if chosen.is_file() else None
    return settings


def format_validation_error(path: Path, exc: ValidationError) -> str:
    """One line per problem: `file: key.path: message (got value)`."""
    lines = [f"{path}: invalid configuration ({exc.error_count()} problem(s))"]
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see the README for the keys)"
        got = err.get("input")
        shown = "" if err["type"] in ("extra_forbidden", "missing") else f" (got {got!r})"
        lines.append(f"  {key}: {msg}{shown}")
    return "\n".join(lines)


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by dashes."""
    text = re.sub(r"^[a-z]+://", "", text.lower())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")
