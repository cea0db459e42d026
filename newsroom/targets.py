"""Where a newsletter goes: the `[[publish]]` targets of newsroom.toml.

Each target has a `name` (its key in the publish ledger and the run report; the type by default) and
a `type` that picks its publisher. Secrets are never keys here: a target names the environment
variable or the Prefect Secret block that holds its password, token or webhook URL.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlparse

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# Webhook URLs of these hosts carry their token in the path: they are secrets, not config.
SECRET_WEBHOOK_HOSTS = ("hooks.slack.com", "discord.com", "discordapp.com")


class TargetBase(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    type: str  # a Literal in each target type: picks the publisher
    name: str = Field("", description="Unique name in the ledger and the report; the type if unset.")
    retries: int = Field(2, ge=0, le=10, description="Quick retries of a transient failure in the same run.")
    retry_delay_seconds: float = Field(10.0, ge=0, le=600, description="Wait before such a retry.")
    timeout_seconds: float = Field(30.0, gt=0, le=600, description="Network timeout per request.")

    @model_validator(mode="after")
    def _default_name(self) -> TargetBase:
        if not self.name:
            object.__setattr__(self, "name", self.type)
        return self


class FolderTarget(TargetBase):
    type: Literal["folder"] = "folder"
    path: str = Field(description="The issue and its notes are copied to <path>/<date>/.")


class ArchiveTarget(TargetBase):
    type: Literal["archive"] = "archive"
    path: str = Field(description="The archive (index.html, issues/, feed.xml) is copied into this folder.")
    base_url: str | None = Field(
        None, description="Where the archive is served (https://you.github.io/news/): absolute feed links."
    )


class ObsidianTarget(TargetBase):
    type: Literal["obsidian"] = "obsidian"
    vault: str = Field(description="The Obsidian vault folder.")
    folder: str = Field("Newsroom", description="Folder inside the vault for everything newsroom writes.")
    transcripts: str = Field("Transcripts", description="Subfolder for the transcript notes.")
    summaries: str = Field("Summaries", description="Subfolder for the summary notes.")
    newsletters: str = Field("Newsletters", description="Subfolder for the newsletter notes.")


class EmailTarget(TargetBase):
    type: Literal["email"] = "email"
    host: str = Field(description="SMTP server, e.g. smtp.fastmail.com.")
    port: int | None = Field(None, ge=1, le=65535, description="587 for starttls, 465 for ssl, 25 for none.")
    security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description="starttls (submission, 587), ssl (implicit TLS, 465) or none."
    )
    username: str | None = Field(None, description="SMTP login; no AUTH when unset.")
    password_env: str = Field("SMTP_PASSWORD", description="Environment variable with the SMTP password.")
    password_secret: str | None = Field(None, description="Prefect Secret block with the password.")
    sender: str = Field(description="From address, e.g. 'Het AI Uur <nieuwsbrief@example.com>'.")
    to: list[str] = Field(default_factory=list, description="Recipients; each gets their own message.")
    to_file: str | None = Field(None, description="A file with one recipient per line (# comments).")
    reply_to: str | None = None
    list_unsubscribe: str | None = Field(None, description="List-Unsubscribe header: a mailto: or https URL.")
    ca_file: str | None = Field(None, description="Trust this CA bundle (a server with a private CA).")

    @model_validator(mode="after")
    def _needs_recipients(self) -> EmailTarget:
        if not self.to and not self.to_file:
            raise ValueError("an email target needs `to` (a list of addresses) or `to_file`")
        return self

    @property
    def effective_port(self) -> int:
        return self.port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]


class WebhookTarget(TargetBase):
    type: Literal["webhook"] = "webhook"
    format: Literal["slack", "discord", "json"] = Field(
        "json", description="slack / discord incoming-webhook JSON, or plain JSON (n8n, Zapier, your own)."
    )
    url: str | None = Field(None, description="Endpoint without a secret in it; else use url_env/url_secret.")
    url_env: str | None = Field(None, description="Environment variable holding the webhook URL.")
    url_secret: str | None = Field(None, description="Prefect Secret block holding the webhook URL.")
    link: str | None = Field(
        None, description="Link to the web version; {id} and {date} are filled in. The first story if unset."
    )

    @model_validator(mode="after")
    def _url_source(self) -> WebhookTarget:
        if not (self.url or self.url_env or self.url_secret):
            raise ValueError(
                "a webhook target needs url_env or url_secret (or url for an endpoint without a token)"
            )
        host = (urlparse(self.url).hostname or "") if self.url else ""
        if host.endswith(SECRET_WEBHOOK_HOSTS):
            raise ValueError(
                f"{host} webhook URLs contain their token: keep it out of the file, "
                "put it in an environment variable and set url_env (or use url_secret)"
            )
        return self


class ButtondownTarget(TargetBase):
    type: Literal["buttondown"] = "buttondown"
    api_key_env: str = Field("BUTTONDOWN_API_KEY", description="Environment variable with the API key.")
    api_key_secret: str | None = Field(None, description="Prefect Secret block with the API key.")
    base_url: str = Field("https://api.buttondown.com/v1", description="The Buttondown API.")


PublishTarget = Annotated[
    FolderTarget | ObsidianTarget | EmailTarget | WebhookTarget | ButtondownTarget | ArchiveTarget,
    Field(discriminator="type"),
]


def _unique_names(targets: list[PublishTarget]) -> list[PublishTarget]:
    seen: set[str] = set()
    for target in targets:
        if target.name in seen:
            raise ValueError(f"two targets are named {target.name!r}; give each its own `name`")
        seen.add(target.name)
    return targets


PublishTargets = Annotated[list[PublishTarget], AfterValidator(_unique_names)]
