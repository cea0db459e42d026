"""Shared fixtures: one Prefect server for the session, loopback fakes, and a throwaway project.

Prefect state goes to a temporary PREFECT_HOME, set before anything imports Prefect.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

_HOME = tempfile.mkdtemp(prefix="newsroom-test-prefect-")
os.environ["PREFECT_HOME"] = _HOME
os.environ.pop("PREFECT_API_URL", None)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"

import pytest  # noqa: E402

import newsroom  # noqa: E402,F401
from tests.fakes.media_server import MediaServer  # noqa: E402
from tests.fakes.openai_server import FakeOpenAIServer  # noqa: E402
from tests.fakes.publish_receiver import PublishReceiver  # noqa: E402
from tests.fakes.smtp_server import SMTPServer  # noqa: E402
from tests.fakes.tls import Certs, make_certs  # noqa: E402
from tests.fakes.webhook_server import WebhookServer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"
SECRET_VARS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID")


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a real service with a developer's key, or read their config."""
    for name in list(os.environ):
        if name in SECRET_VARS or name.startswith("NEWSROOM_"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _full_rate_limit_buckets() -> None:
    """Each test starts with full OpenAI token buckets, as a new process does, so requests made by
    earlier tests do not pace (and reorder) this test's requests."""
    from newsroom import openai_api

    openai_api._buckets.clear()


@pytest.fixture(autouse=True)
def _own_prefect_results(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Each test keeps Prefect's cached task results (transcribed windows) to itself, so no test is
    served another's cache; subprocesses (the CLI test) get the same folder through the environment."""
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings

    path = tmp_path_factory.mktemp("prefect-results")
    monkeypatch.setenv("PREFECT_RESULTS_LOCAL_STORAGE_PATH", str(path))
    with temporary_settings({PREFECT_RESULTS_LOCAL_STORAGE_PATH: path}):
        yield


@pytest.fixture(scope="session", autouse=True)
def prefect_server() -> Iterator[str]:
    """A real Prefect server (SQLite, temporary) for the whole session."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def fake_openai_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def fake_openai(fake_openai_server: FakeOpenAIServer) -> Iterator[FakeOpenAIServer]:
    """The session's fake OpenAI server, with its script, switches and records cleared."""
    fake_openai_server.reset()
    yield fake_openai_server
    fake_openai_server.reset()


@pytest.fixture(scope="session")
def media_server_session() -> Iterator[MediaServer]:
    with MediaServer() as server:
        yield server


@pytest.fixture
def media_server(media_server_session: MediaServer) -> MediaServer:
    return media_server_session.reset()


@pytest.fixture(scope="session")
def internal_server_session() -> Iterator[MediaServer]:
    """A second loopback server on 127.0.0.2: an internal service that guarded fetches must never
    reach, while 127.0.0.1 (allowed with allow_private_network = ["127.0.0.1/32"]) plays a public host."""
    with MediaServer(host="127.0.0.2") as server:
        yield server


@pytest.fixture
def internal_server(internal_server_session: MediaServer) -> MediaServer:
    return internal_server_session.reset()


def write_config(folder: Path, body: str) -> Path:
    """A newsroom.toml in `folder` whose library and output stay inside it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "newsroom.toml"
    path.write_text(f'library = "{folder / "library"}"\noutput = "{folder / "out"}"\n' + body)
    return path


@pytest.fixture
def demo_project(tmp_path: Path) -> Path:
    """A copy of the bundled demo with its own newsroom.toml; returns the config path."""
    shutil.copytree(DEMO, tmp_path / "demo")
    shipped = (ROOT / "newsroom.toml").read_text()
    return write_config(
        tmp_path,
        "\n".join(
            line for line in shipped.splitlines() if not line.startswith(("library", "output"))
        ).replace("examples/demo/feed.xml", str(tmp_path / "demo" / "feed.xml")),
    )


def require_tool(name: str) -> None:
    """Skip when a system tool is missing on a developer's machine; fail in CI, which installs it."""
    if shutil.which(name) is None:
        message = f"{name} is not installed (.ci/run installs it: apt-get install {name})"
        if os.environ.get("CI_REQUIRE_SYSTEM_TOOLS"):
            pytest.fail(message)
        pytest.skip(message)


def espeak(text: str, out: Path, rate: int = 165) -> Path:
    """Speech for tests, made by espeak-ng (installed by .ci/run)."""
    require_tool("espeak-ng")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", str(rate), "-w", str(out), text], check=True)
    return out


def generated_audio(out: Path, source: str, seconds: float, *args: str) -> Path:
    """Audio from one of ffmpeg's generators (`anullsrc=...` for silence, `sine=...` for a tone)."""
    from newsroom.ffmpeg import ffmpeg_exe

    command = [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", source, "-t", str(seconds), *args, str(out)]
    subprocess.run(command, check=True)
    return out


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


# Publishing: a real SMTP server (STARTTLS + AUTH) and a webhook/Buttondown receiver on loopback.
# The credentials are distinctive so the secret scan can look for them everywhere.
SMTP_USER = "newsroom"
SMTP_PASSWORD = "smtp-pw-Planted-9c41e7"
BUTTONDOWN_KEY = "bd-key-Planted-5a7f02"


@pytest.fixture(scope="session")
def tls_certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def smtp_server_session(tls_certs: Certs) -> Iterator[SMTPServer]:
    with SMTPServer(tls_certs, SMTP_USER, SMTP_PASSWORD, mode="starttls") as server:
        yield server


@pytest.fixture
def smtp_server(smtp_server_session: SMTPServer) -> Iterator[SMTPServer]:
    smtp_server_session.reset()
    yield smtp_server_session
    smtp_server_session.reset()


@pytest.fixture(scope="session")
def publish_receiver_session() -> Iterator[PublishReceiver]:
    with PublishReceiver(buttondown_key=BUTTONDOWN_KEY) as receiver:
        yield receiver


@pytest.fixture
def publish_receiver(publish_receiver_session: PublishReceiver) -> Iterator[PublishReceiver]:
    publish_receiver_session.reset()
    yield publish_receiver_session
    publish_receiver_session.reset()


# Operations (issue 6) -------------------------------------------------------------------------------


@pytest.fixture
def webhook() -> Iterator[WebhookServer]:
    with WebhookServer() as server:
        yield server


def transcript_feed(folder: Path, dates: list[str]) -> Path:
    """A copy of the demo whose every episode ships a transcript: digests without speech-to-text.

    `dates` are ISO days, one episode each; the config takes items by date (no `all_items`).
    """
    shutil.copytree(DEMO, folder / "demo")
    items = "".join(
        f"""<item><title>Quick episode {i + 1}</title><guid isPermaLink="false">quick-{i + 1}</guid>
<pubDate>{_rfc822(day)}</pubDate><link>https://example.org/quick/{i + 1}</link>
<description>Episode {i + 1} of the quick feed.</description>
<enclosure url="audio/episode-3.mp3" type="audio/mpeg" length="171402"/><itunes:duration>42</itunes:duration>
<podcast:transcript url="transcripts/episode-3.vtt" type="text/vtt" language="en"/></item>"""
        for i, day in enumerate(dates)
    )
    feed = (folder / "demo" / "feed.xml").read_text()
    head = feed.split("<item>")[0]
    (folder / "demo" / "quick.xml").write_text(head + items + "</channel></rss>\n")
    return write_config(
        folder,
        f'title = "Quick Weekly"\n[[sources]]\nname = "Quick FM"\nurl = "{folder / "demo" / "quick.xml"}"\n'
        'kind = "podcast"\n',
    )


def _rfc822(day: str) -> str:
    from datetime import UTC, date, datetime
    from email.utils import format_datetime

    d = date.fromisoformat(day)
    return format_datetime(datetime(d.year, d.month, d.day, 7, 0, tzinfo=UTC))
