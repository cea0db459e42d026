"""Publishing: what the exactly-once ledger costs, and that a re-run or a crash never sends twice.

Real parts: aiosmtpd on loopback with STARTTLS + AUTH (the test server), smtplib, the ledger in
SQLite, a `newsroom publish` child process killed by the server mid-list, an Obsidian vault on disk.
Baselines are measured in the same run: plain smtplib sending the same messages without a ledger,
and the first vault publish.
"""

from __future__ import annotations

import os
import signal
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from bench.common import Table, ratio, verdict
from newsroom.config import Settings, load_settings
from newsroom.models import Segment, Transcript
from newsroom.newsletter.editor import deterministic_draft
from newsroom.publishers import make_publisher
from newsroom.publishers.delivery import build_issue, deliver
from newsroom.publishers.ledger import Ledger
from newsroom.publishers.smtp import build_message
from newsroom.store import Store, write_json
from tests.fakes.smtp_server import SMTPServer
from tests.fakes.tls import make_certs
from tests.publish_helpers import episode, sample_issue, summary

N_READERS = 200
N_EPISODES = 40
PASSWORD = "bench-smtp-password"


def _config(folder: Path, smtp: SMTPServer, ca: Path, vault: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    readers = folder / "readers.txt"
    readers.write_text("\n".join(f"reader{i:03d}@example.org" for i in range(N_READERS)))
    path = folder / "newsroom.toml"
    path.write_text(
        f'library = "{folder / "library"}"\noutput = "{folder / "out"}"\n'
        f'[[publish]]\ntype = "email"\nhost = "127.0.0.1"\nport = {smtp.port}\nusername = "bench"\n'
        f'password_env = "BENCH_SMTP_PASSWORD"\nsender = "Bench <bench@example.org>"\nto_file = "{readers}"\n'
        f'ca_file = "{ca}"\nretries = 0\n'
        f'[[publish]]\ntype = "obsidian"\nvault = "{vault}"\n'
    )
    return path


def _raw_smtp(smtp: SMTPServer, ca: Path, settings: Settings) -> float:
    """The baseline: the same messages over one authenticated STARTTLS session, no ledger."""
    issue = sample_issue(settings)
    target = settings.publish[0]
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", smtp.port, timeout=30) as client:
        client.starttls(context=ssl.create_default_context(cafile=str(ca)))
        client.login("bench", PASSWORD)
        for i in range(N_READERS):
            to = f"reader{i:03d}@example.org"
            msg = build_message(issue, target, to, f"raw-{i}", issue.rendered["html"], issue.rendered["txt"])  # type: ignore[arg-type]
            client.send_message(msg, from_addr="bench@example.org", to_addrs=[to])
    return time.perf_counter() - start


def _vault_library(settings: Settings) -> list:
    store = Store(settings.library_dir)
    stories = []
    for n in range(1, N_EPISODES + 1):
        ep = episode(n, f"Episode {n} about agents and voices")
        store.upsert_episode(ep)
        segments = [
            Segment(start=i * 10, end=i * 10 + 9, text=f"Sentence {i} of episode {n}.") for i in range(60)
        ]
        write_json(
            store.transcript_path(ep.id),
            Transcript(episode_id=ep.id, provenance="feed", backend="feed:vtt", segments=segments),
        )
        s = summary(ep, ("Anthropic", "ElevenLabs", "Mistral")[n % 3])
        write_json(store.summary_path(ep.id), s)
        stories.append((ep, s))
    return stories


def run() -> Table:
    table = Table(
        name="publish",
        title="Publishing: ledger cost and exactly-once (loopback SMTP with STARTTLS + AUTH, Obsidian vault)",
        columns=["measure", "value", "baseline", "ratio / verdict"],
    )
    os.environ["BENCH_SMTP_PASSWORD"] = PASSWORD
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp_name:
        tmp = Path(tmp_name)
        certs = make_certs(tmp / "tls")
        vault = tmp / "vault"
        vault.mkdir()
        with SMTPServer(certs, "bench", PASSWORD) as smtp:
            config = _config(tmp / "project", smtp, certs.ca, vault)
            settings = load_settings(config)
            raw_s = _raw_smtp(smtp, certs.ca, settings)
            smtp.reset()

            issue = sample_issue(settings)
            ledger = Ledger(Store(settings.library_dir))
            nid = issue.newsletter.id
            ledger.save_newsletter(
                issue.newsletter, issue.subject, [e.id for e, _ in issue.stories], {}, "b1", "approved"
            )
            email = make_publisher(settings.publish[0], settings)
            start = time.perf_counter()
            deliver(email, issue, ledger, "b1")
            ledger_s = time.perf_counter() - start
            table.add(
                f"email to {N_READERS} readers, through the ledger",
                f"{ledger_s:.2f} s ({ledger_s / N_READERS * 1000:.1f} ms/message)",
                f"{raw_s:.2f} s plain smtplib",
                ratio(ledger_s, raw_s),
            )
            start = time.perf_counter()
            again, _ = deliver(email, issue, ledger, "b2")
            rerun_s = time.perf_counter() - start
            table.add(
                "re-run after everything went out",
                f"{rerun_s * 1000:.0f} ms, {again.sent} sent, {again.already_sent} skipped",
                f"{ledger_s:.2f} s first run",
                f"{ratio(rerun_s, ledger_s)} · {verdict(again.sent == 0 and len(smtp.handler.messages) == N_READERS)}",
            )

            # Crash: a child `newsroom publish --republish` is killed by the server as message 80 arrives.
            smtp.reset()
            pid: list[int] = []
            smtp.handler.on_data = lambda m: (
                os.kill(pid[0], signal.SIGKILL) if len(smtp.handler.messages) == 80 else None
            )
            child = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "newsroom",
                    "publish",
                    nid,
                    "--config",
                    str(config),
                    "--target",
                    "email",
                    "--republish",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            pid.append(child.pid)
            child.wait(timeout=300)
            smtp.handler.on_data = None
            before = len(smtp.handler.messages)
            after_crash, _ = deliver(email, issue, ledger, "b3")
            counts = Counter(r for m in smtp.handler.messages for r in m.rcpt_tos)
            duplicates = sum(c - 1 for c in counts.values())
            table.add(
                "killed mid-list, then re-run",
                f"{before} before the kill, {after_crash.sent} after; {after_crash.failed} unconfirmed reported",
                f"{N_READERS} readers",
                f"duplicates {duplicates} · {verdict(duplicates == 0 and len(counts) == N_READERS)}",
            )

        # Obsidian: first publish of a large issue vs re-publishing it with the user's notes kept.
        stories = _vault_library(settings)
        big = build_issue(
            deterministic_draft("Bench", "en", date(2026, 11, 22), stories),
            stories,
            settings,
        )
        obsidian = make_publisher(settings.publish[1], settings)
        start = time.perf_counter()
        deliver(obsidian, big, ledger, "v1")
        first_vault_s = time.perf_counter() - start
        notes = sorted((vault / "Newsroom" / "Transcripts").iterdir())
        for note in notes:
            note.write_text(note.read_text().replace("## Notes\n", "## Notes\nmy own line\n", 1))
        start = time.perf_counter()
        deliver(obsidian, big, ledger, "v2", republish=True)
        again_vault_s = time.perf_counter() - start
        kept = sum("## Notes\nmy own line\n" in n.read_text() for n in notes)
        table.add(
            f"Obsidian: re-publish {N_EPISODES} episodes keeping the user's notes",
            f"{again_vault_s:.2f} s, notes kept {kept}/{len(notes)}",
            f"{first_vault_s:.2f} s first publish",
            f"{ratio(again_vault_s, first_vault_s)} · {verdict(kept == len(notes) == N_EPISODES)}",
        )
    table.notes.append(
        "The ledger writes an intent and a confirmation per message (SQLite, WAL) and derives each "
        "Message-ID from it; the crash row is a real SIGKILL of the sending process by the server."
    )
    return table
