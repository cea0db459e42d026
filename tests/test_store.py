"""The library's SQLite index: migrations when two processes open a new library at once."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from newsroom import store


def test_two_processes_opening_a_new_library_at_once_migrate_it_once(tmp_path: Path):
    """Two commands started together (`newsroom task fetch` twice, as tests/test_local_server.py
    does) both found a fresh database; the second then failed with "table episodes already exists".
    Here the other process holds the write lock while it migrates, after this one has looked."""
    path = tmp_path / "newsroom.db"
    other = sqlite3.connect(path, isolation_level=None, timeout=30)
    other.execute("PRAGMA journal_mode=WAL")
    other.execute("CREATE TABLE migrations (version INTEGER PRIMARY KEY, applied TEXT)")
    other.execute("BEGIN IMMEDIATE")
    for version, sql in enumerate(store.MIGRATIONS, start=1):
        for statement in filter(str.strip, sql.split(";")):
            other.execute(statement)
        other.execute("INSERT INTO migrations VALUES (?, 'by the other process')", (version,))
    errors: list[Exception] = []

    def open_library() -> None:
        try:
            store.Store(tmp_path)
        except Exception as exc:  # the failure is what the test looks for
            errors.append(exc)

    opener = threading.Thread(target=open_library)
    opener.start()
    time.sleep(1.0)  # this process has read the (still empty) migrations table and waits to write
    other.execute("COMMIT")
    other.close()
    opener.join(timeout=60)
    assert not opener.is_alive() and errors == []
    with sqlite3.connect(path) as db:
        applied = db.execute("SELECT version, applied FROM migrations ORDER BY version").fetchall()
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert applied == [(v, "by the other process") for v in range(1, len(store.MIGRATIONS) + 1)]
    assert {"episodes", "runs", "publications"} <= tables
