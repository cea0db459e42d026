"""Helpers for the publishing tests: a small library with two episodes, and [[publish]] config blocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from newsroom.config import Settings
from newsroom.models import Entities, Episode, Segment, Summary, TimedText, Transcript
from newsroom.newsletter.editor import deterministic_draft
from newsroom.newsletter.notes import write_episode_notes
from newsroom.publishers import Issue
from newsroom.publishers.delivery import build_issue
from newsroom.publishers.ledger import Ledger, StoredNewsletter
from newsroom.store import Store, write_json
from tests.fakes.publish_receiver import PublishReceiver
from tests.fakes.smtp_server import SMTPServer
from tests.fakes.tls import Certs

TITLES = ("Agents that plan your week", "Voice clones <b>and</b> [the] election")


def episode(n: int, title: str) -> Episode:
    return Episode(
        id=f"podcast-{n:012d}",
        source_id="demo",
        source_name="Demo FM",
        kind="podcast",
        title=title,
        url=f"https://example.com/ep{n}",
        media_url=f"https://example.com/ep{n}.mp3",
        published=datetime(2026, 11, 20, tzinfo=UTC) + timedelta(hours=n),
    )


def summary(ep: Episode, company: str) -> Summary:
    return Summary(
        episode_id=ep.id,
        language="en",
        backend="offline:extractive",
        key_subjects_and_themes=f"{ep.title} and what it means for small teams.",
        main_topic=f"The episode is about {ep.title.lower()}. It has a second sentence.",
        use_cases=[],
        new_tools_and_workflows=[],
        ai_news=[],
        conclusion="Useful today, with a person in the loop.",
        key_takeaways=[TimedText(text=f"{company} ships something new.", timestamp=12)],
        notable_quotes=[],
        chapters=[],
        entities=Entities(companies=[company, "OpenAI"]),
    )


def sample_library(settings: Settings, titles: tuple[str, str] = TITLES) -> list[tuple[Episode, Summary]]:
    """Two episodes with transcripts, summaries and notes in the settings' library."""
    store = Store(settings.library_dir)
    stories = []
    for n, (title, company) in enumerate(zip(titles, ("Anthropic", "ElevenLabs"), strict=True), start=1):
        ep = episode(n, title)
        store.upsert_episode(ep)
        transcript = Transcript(
            episode_id=ep.id,
            provenance="feed",
            backend="feed:vtt",
            segments=[
                Segment(start=0, end=5, text="Welcome to the show."),
                Segment(start=12, end=20, text=f"{company} ships something new."),
            ],
        )
        write_json(store.transcript_path(ep.id), transcript)
        s = summary(ep, company)
        write_json(store.summary_path(ep.id), s)
        store.set_episode_status(ep.id, "done")
        stories.append((ep, s))
    for ep, s in stories:
        write_episode_notes(store, ep, store.load_transcript(ep.id), s, settings)  # type: ignore[arg-type]
    return stories


def sample_issue(settings: Settings, subject: str | None = None, titles: tuple[str, str] = TITLES) -> Issue:
    stories = sample_library(settings, titles)
    newsletter = deterministic_draft("Test Weekly", "en", date(2026, 11, 22), stories)
    return build_issue(
        newsletter, stories, settings, subject=subject, backends={"summaries": "offline:extractive"}
    )


def email_block(smtp: SMTPServer, certs: Certs, to: list[str], name: str = "email", extra: str = "") -> str:
    recipients = ", ".join(f'"{a}"' for a in to)
    return f"""
[[publish]]
type = "email"
name = "{name}"
host = "127.0.0.1"
port = {smtp.port}
security = "{smtp.mode}"
username = "newsroom"
password_env = "TEST_SMTP_PASSWORD"
sender = "Demo Weekly <news@demo.example>"
to = [{recipients}]
ca_file = "{certs.ca}"
retries = 0
{extra}"""


def webhook_block(name: str, fmt: str, url_env: str, extra: str = "", retries: int = 0) -> str:
    return f"""
[[publish]]
type = "webhook"
name = "{name}"
format = "{fmt}"
url_env = "{url_env}"
retries = {retries}
retry_delay_seconds = 0
{extra}"""


def buttondown_block(receiver: PublishReceiver, extra: str = "") -> str:
    return f"""
[[publish]]
type = "buttondown"
api_key_env = "TEST_BUTTONDOWN_KEY"
base_url = "{receiver.base_url}/v1"
retries = 0
{extra}"""


def obsidian_block(vault: Path) -> str:
    return f"""
[[publish]]
type = "obsidian"
vault = "{vault}"
"""


def enable_review(config: Path, timeout_s: int) -> None:
    """Turn review before publishing on in a demo config: the digest pauses for approval."""
    text = config.read_text()
    config.write_text(
        text.replace("[glossary]", f"review = true\nreview_timeout_seconds = {timeout_s}\n\n[glossary]", 1)
    )


def paused_for_review(ledger: Ledger) -> StoredNewsletter | None:
    """The newsletter waiting for review once its digest's flow run is Paused, else None."""
    from uuid import UUID

    from prefect.client.orchestration import get_client

    waiting = ledger.newsletters("awaiting-review")
    if not waiting:
        return None
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(waiting[0].run_id))
    return waiting[0] if run.state and run.state.is_paused() else None
