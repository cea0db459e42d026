"""What the security checks cost: the address guard on httpx and yt-dlp fetches, secret masking on
library writes. Baselines in the same run: the same fetches unguarded, the same writes unmasked.

Real parts: a loopback HTTP server (the test media server), httpx, yt-dlp, SQLite. The guard is held
to allow_private_network = ["127.0.0.1/32"], so it resolves and checks every request and connection.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import yt_dlp

from bench.common import Table, ratio, verdict
from newsroom.net import fetch_bytes
from newsroom.secrets import remember
from newsroom.sources import ytdlp
from newsroom.store import Store
from tests.conftest import DEMO
from tests.fakes.media_server import MediaServer

PUBLIC = ["127.0.0.1/32"]
N_HTTP = 200
N_YTDLP = 5
N_WRITES = 2000


def _median(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _plain_download(url: str, dest: Path) -> None:
    opts = ytdlp.base_options() | {
        "format": "bestaudio/best",
        "outtmpl": {"default": str(dest / "m.%(ext)s")},
    }
    with yt_dlp.YoutubeDL(opts | {"overwrites": True}) as ydl:
        ydl.extract_info(url, download=True)


def _writes(db_path: Path, masked: bool) -> float:
    row = ("2026-11-22T07:00:00", "run", "ep", "summarize", "openai:gpt-4o-mini", "gpt-4o-mini", "x" * 300)
    sql = "INSERT INTO calls (ts, run_id, episode_id, stage, backend, model, error) VALUES (?,?,?,?,?,?,?)"
    store = Store(db_path)
    start = time.perf_counter()
    if masked:
        for _ in range(N_WRITES):
            with store.connect() as db:
                db.execute(sql, row)
    else:
        for _ in range(N_WRITES):
            db = sqlite3.connect(store.db_path, timeout=30, isolation_level=None)
            db.execute(sql, row)
            db.close()
    return time.perf_counter() - start


def run() -> Table:
    table = Table(
        "guard",
        "Security checks (`python -m bench guard`)",
        ["measure", "value", "baseline", "ratio / verdict"],
    )
    audio = DEMO / "audio" / "episode-3.mp3"
    with MediaServer() as server, tempfile.TemporaryDirectory() as tmp:
        small = server.add("/small.txt", b"x" * 2048, "text/plain")
        hop = server.add("/hop", b"", status=302, headers={"Location": small})
        media = server.add("/ep.mp3", audio, "audio/mpeg")

        def plain_get(url: str) -> None:
            with httpx.Client(follow_redirects=True) as client:
                client.get(url).raise_for_status()

        for label, url in (("2 KB file", small), ("2 KB file behind a 302", hop)):
            guarded = _median(lambda url=url: fetch_bytes(url, PUBLIC), N_HTTP)
            plain = _median(lambda url=url: plain_get(url), N_HTTP)
            table.add(
                f"httpx GET, {label} (median of {N_HTTP})",
                f"{guarded * 1000:.2f} ms",
                f"{plain * 1000:.2f} ms unguarded",
                ratio(guarded, plain),
            )
        dest = Path(tmp)
        guarded = _median(lambda: ytdlp.download_audio(media, dest / "g", "m", network=PUBLIC), N_YTDLP)
        plain = _median(lambda: _plain_download(media, dest / "p"), N_YTDLP)
        table.add(
            f"yt-dlp download, {audio.stat().st_size // 1024} KB mp3 (median of {N_YTDLP})",
            f"{guarded * 1000:.0f} ms",
            f"{plain * 1000:.0f} ms plain YoutubeDL",
            ratio(guarded, plain),
        )
        for secret in ("sk-bench-Planted-0001", "smtp-bench-Planted-0002", "tok-bench-Planted-0003"):
            remember(secret)
        masked = _writes(dest / "lib-masked", masked=True)
        plain_writes = _writes(dest / "lib-plain", masked=False)
        table.add(
            f"{N_WRITES} call-log rows, one connection each, 3 secrets known",
            f"{masked:.2f} s",
            f"{plain_writes:.2f} s unmasked",
            ratio(masked, plain_writes),
        )
        overhead = (guarded - plain) / plain if plain else 0.0
        table.add(
            "yt-dlp guard overhead on a download", f"{overhead:.0%}", "at most 25%", verdict(overhead <= 0.25)
        )
    table.notes += [
        "Each httpx GET builds its client (as fetch_bytes does), which is most of the time per GET; the "
        "guard's own work (resolving the host for the URL check of each request and hop, and once more "
        "for the connection it dials) is lost in that, on loopback as against a real host.",
        "yt-dlp: guarded and plain instances run the same download code; the difference is noise.",
        "Masked writes go through Store.connect (the masking connection, plus its row factory); the "
        "baseline is a bare sqlite3 connection. Per row the difference is a fraction of a millisecond.",
    ]
    return table
