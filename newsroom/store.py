"""The library on disk: one folder per episode, and a SQLite index of episodes, stages and runs.

Everything written through this module passes through `newsroom.secrets.redact`: every value bound
into a SQL statement (call errors, reasons, report and episode JSON, the publish ledger) and every
file written by `write_text`/`write_json` (notes, summaries, transcripts, issues, reports).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from newsroom import search
from newsroom.models import Episode, RunReport, Summary, Transcript, utcnow
from newsroom.secrets import redact

# Numbered migrations, applied in order once each (as simonw/llm does); never edit a shipped one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE episodes (
        id TEXT PRIMARY KEY,
        source_id TEXT NOT NULL,
        title TEXT NOT NULL,
        url TEXT NOT NULL,
        published TEXT,
        data TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'new',
        reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        digest_id TEXT,
        updated TEXT NOT NULL
    );
    CREATE INDEX episodes_source ON episodes(source_id);
    CREATE TABLE stages (
        episode_id TEXT NOT NULL REFERENCES episodes(id),
        stage TEXT NOT NULL,
        status TEXT NOT NULL,
        cache_key TEXT,
        detail TEXT,
        updated TEXT NOT NULL,
        PRIMARY KEY (episode_id, stage)
    );
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        started TEXT NOT NULL,
        finished TEXT,
        status TEXT NOT NULL,
        window_start TEXT,
        window_end TEXT,
        report TEXT
    );
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts TEXT NOT NULL,
        run_id TEXT,
        episode_id TEXT,
        stage TEXT NOT NULL,
        backend TEXT NOT NULL,
        model TEXT,
        prompt_version TEXT,
        input_tokens INTEGER DEFAULT 0,
        output_tokens INTEGER DEFAULT 0,
        audio_seconds REAL DEFAULT 0,
        latency_s REAL DEFAULT 0,
        cost_usd REAL DEFAULT 0,
        ok INTEGER NOT NULL DEFAULT 1,
        error TEXT
    );
    CREATE INDEX calls_episode ON calls(episode_id);
    """,
    # 2: the publish ledger (newsroom.publishers.ledger): each newsletter, and each (newsletter, target, recipient)
    # with its state and the target's message id, so nothing is sent twice.
    """
    CREATE TABLE newsletters (
        id TEXT PRIMARY KEY,
        date TEXT NOT NULL,
        subject TEXT NOT NULL,
        data TEXT NOT NULL,
        episode_ids TEXT NOT NULL,
        backends TEXT NOT NULL DEFAULT '{}',
        run_id TEXT,
        status TEXT NOT NULL,
        review_note TEXT,
        api_url TEXT,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE publications (
        newsletter_id TEXT NOT NULL REFERENCES newsletters(id),
        target TEXT NOT NULL,
        recipient TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        message_id TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        generation INTEGER NOT NULL DEFAULT 0,
        run_id TEXT,
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        PRIMARY KEY (newsletter_id, target, recipient)
    );
    CREATE INDEX publications_status ON publications(status);
    """,
    # 3: the search index (newsroom.search): a row per transcript segment, summary section and
    # episode's notes. search_docs holds where each row is from (indexed by episode, so an episode's
    # rows are replaced without a scan); search_index the text, with the same rowid. `folded` holds
    # the spelled-out text (ö -> oe) where that differs, else ''.
    """
    CREATE TABLE search_docs (
        id INTEGER PRIMARY KEY,
        episode_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        start REAL,
        speaker TEXT
    );
    CREATE INDEX search_docs_episode ON search_docs(episode_id, kind);
    CREATE VIRTUAL TABLE search_index USING fts5(
        text,
        folded,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    """,
]


class MaskingConnection(sqlite3.Connection):
    """A connection that masks known secrets in every text value bound into a statement, so an
    upstream error echoing a key (`401 Incorrect API key provided: sk-...`) is stored masked."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return super().execute(sql, _masked(parameters))

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        return super().executemany(sql, [_masked(p) for p in parameters])


def _masked(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        return {k: redact(v) if isinstance(v, str) else v for k, v in parameters.items()}
    return tuple(redact(v) if isinstance(v, str) else v for v in parameters)


_lock = threading.Lock()
_migrated: set[tuple[str, int]] = set()  # (database path, inode) brought up to date by this process


class Store:
    """SQLite index plus episode folders under one library directory.

    Cheap to open: it holds only paths, every call opens its own connection, and the migrations
    run once per process and database file. So each task opens `Store(settings.library_dir)` itself
    (tasks take plain values, never a handle) instead of one being passed through Prefect.
    """

    def __init__(self, library: Path) -> None:
        self.root = Path(library)
        self.db_path = self.root / "newsroom.db"
        if _file_key(self.db_path) in _migrated:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with self.connect() as db:
            db.execute("PRAGMA journal_mode=WAL")  # kept in the database file: set once, not per connection
            self._migrate(db)
        if (key := _file_key(self.db_path)) is not None:
            _migrated.add(key)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection that waits up to 30 s for another writer (sqlite3's timeout is the busy timeout)."""
        db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None, factory=MaskingConnection)
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Apply the migrations this database lacks. Two commands started at once (a CLI command and
        a scheduled run) may both find a fresh file: each migration is applied under SQLite's write
        lock, taken before looking again whether it is still to do, so only one process applies it."""
        with _lock:
            db.execute("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied TEXT)")
            done = {row[0] for row in db.execute("SELECT version FROM migrations")}
            for version, sql in enumerate(MIGRATIONS, start=1):
                if version in done:
                    continue
                db.execute("BEGIN IMMEDIATE")  # waits (the busy timeout) while another process migrates
                try:
                    if db.execute("SELECT 1 FROM migrations WHERE version = ?", (version,)).fetchone():
                        db.execute("COMMIT")  # the other process applied it meanwhile
                        continue
                    for statement in filter(str.strip, sql.split(";")):
                        db.execute(statement)
                    db.execute("INSERT INTO migrations VALUES (?, ?)", (version, _now()))
                    db.execute("COMMIT")
                except Exception:
                    db.execute("ROLLBACK")
                    raise

    # Episodes -------------------------------------------------------------------------------------

    def episode_dir(self, episode_id: str) -> Path:
        path = self.root / "episodes" / episode_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def upsert_episode(self, episode: Episode) -> None:
        """Record an episode; metadata is refreshed, its processing state is kept."""
        now = _now()
        with self.connect() as db:
            db.execute(
                """INSERT INTO episodes (id, source_id, title, url, published, data, first_seen, updated)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(id) DO UPDATE SET title=excluded.title, url=excluded.url,
                     published=excluded.published, data=excluded.data, updated=excluded.updated""",
                (
                    episode.id,
                    episode.source_id,
                    episode.title,
                    episode.url,
                    _iso(episode.published),
                    episode.model_dump_json(),
                    now,
                    now,
                ),
            )
        write_json(self.episode_dir(episode.id) / "episode.json", episode)

    def get_episode(self, episode_id: str) -> Episode | None:
        with self.connect() as db:
            row = db.execute("SELECT data FROM episodes WHERE id = ?", (episode_id,)).fetchone()
        return Episode.model_validate_json(row["data"]) if row else None

    def episode_state(self, episode_id: str) -> dict[str, Any] | None:
        with self.connect() as db:
            row = db.execute(
                "SELECT status, reason, attempts, digest_id FROM episodes WHERE id = ?", (episode_id,)
            ).fetchone()
        return dict(row) if row else None

    def set_episode_status(self, episode_id: str, status: str, reason: str | None = None) -> None:
        with self.connect() as db:
            bump = 1 if status == "failed" else 0
            db.execute(
                "UPDATE episodes SET status=?, reason=?, attempts=attempts+?, updated=? WHERE id=?",
                (status, reason, bump, _now(), episode_id),
            )

    def mark_digested(self, episode_ids: list[str], digest_id: str) -> None:
        with self.connect() as db:
            db.executemany(
                "UPDATE episodes SET digest_id=?, updated=? WHERE id=?",
                [(digest_id, _now(), eid) for eid in episode_ids],
            )

    def titles(self) -> list[tuple[str, str]]:
        """(id, title) of every episode, in the order they were first seen."""
        with self.connect() as db:
            rows = db.execute("SELECT id, title FROM episodes ORDER BY first_seen, rowid").fetchall()
        return [(r["id"], r["title"]) for r in rows]

    def episodes(self, status: str | None = None) -> list[Episode]:
        query = "SELECT data FROM episodes" + (" WHERE status = ?" if status else "") + " ORDER BY published"
        with self.connect() as db:
            rows = db.execute(query, (status,) if status else ()).fetchall()
        return [Episode.model_validate_json(r["data"]) for r in rows]

    # Stages ---------------------------------------------------------------------------------------

    def stage(self, episode_id: str, stage: str) -> dict[str, Any] | None:
        with self.connect() as db:
            row = db.execute(
                "SELECT status, cache_key, detail FROM stages WHERE episode_id=? AND stage=?",
                (episode_id, stage),
            ).fetchone()
        return dict(row) if row else None

    def set_stage(
        self,
        episode_id: str,
        stage: str,
        status: str,
        cache_key: str | None = None,
        detail: str | None = None,
    ) -> None:
        with self.connect() as db:
            db.execute(
                """INSERT INTO stages (episode_id, stage, status, cache_key, detail, updated)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT(episode_id, stage) DO UPDATE SET status=excluded.status,
                     cache_key=excluded.cache_key, detail=excluded.detail, updated=excluded.updated""",
                (episode_id, stage, status, cache_key, detail, _now()),
            )

    def stage_done(self, episode_id: str, stage: str, cache_key: str) -> bool:
        """True when the stage finished with this exact key (same backend, model, prompt)."""
        row = self.stage(episode_id, stage)
        return bool(row and row["status"] == "done" and row["cache_key"] == cache_key)

    # Artifacts ------------------------------------------------------------------------------------

    def transcript_path(self, episode_id: str) -> Path:
        return self.episode_dir(episode_id) / "transcript.json"

    def summary_path(self, episode_id: str) -> Path:
        return self.episode_dir(episode_id) / "summary.json"

    def save_transcript(self, transcript: Transcript) -> Path:
        """Write transcript.json and put its segments in the search index."""
        path = write_json(self.transcript_path(transcript.episode_id), transcript)
        with self.connect() as db:
            search.index_transcript(db, transcript)
        return path

    def save_summary(self, summary: Summary) -> Path:
        """Write summary.json and put its sections in the search index."""
        path = write_json(self.summary_path(summary.episode_id), summary)
        with self.connect() as db:
            search.index_summary(db, summary)
        return path

    def save_notes(self, episode_id: str, notes: str) -> None:
        """Index the user's notes on an episode (the note file itself is written by its template)."""
        with self.connect() as db:
            search.index_notes(db, episode_id, notes)

    def load_transcript(self, episode_id: str) -> Transcript | None:
        path = self.transcript_path(episode_id)
        return Transcript.model_validate_json(path.read_text()) if path.exists() else None

    def load_summary(self, episode_id: str) -> Summary | None:
        path = self.summary_path(episode_id)
        return Summary.model_validate_json(path.read_text()) if path.exists() else None

    # Runs -----------------------------------------------------------------------------------------

    def start_run(self, run_id: str, window_start: datetime | None, window_end: datetime | None) -> None:
        with self.connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO runs (id, started, status, window_start, window_end) VALUES (?,?,?,?,?)",
                (run_id, _now(), "running", _iso(window_start), _iso(window_end)),
            )

    def finish_run(self, run_id: str, status: str, report: RunReport) -> None:
        with self.connect() as db:
            db.execute(
                "UPDATE runs SET finished=?, status=?, report=? WHERE id=?",
                (_now(), status, report.model_dump_json(), run_id),
            )

    def last_report(self) -> RunReport | None:
        """The report of the most recently started run that has one."""
        with self.connect() as db:
            row = db.execute(
                "SELECT report FROM runs WHERE report IS NOT NULL ORDER BY started DESC LIMIT 1"
            ).fetchone()
        return RunReport.model_validate_json(row[0]) if row else None

    def last_successful_window_end(self) -> datetime | None:
        """Where the last completed (not dry) run's window ended: the next window starts there."""
        with self.connect() as db:
            row = db.execute(
                "SELECT window_end FROM runs WHERE status='completed' AND window_end IS NOT NULL "
                "ORDER BY window_end DESC LIMIT 1"
            ).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    # Calls (cost log) -----------------------------------------------------------------------------

    def log_call(self, **fields: Any) -> None:
        fields.setdefault("ts", _now())
        cols = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        with self.connect() as db:
            db.execute(f"INSERT INTO calls ({cols}) VALUES ({marks})", tuple(fields.values()))

    def episode_cost(self, episode_id: str, run_id: str | None = None) -> float:
        query = "SELECT COALESCE(SUM(cost_usd), 0) FROM calls WHERE episode_id = ?"
        args: tuple[Any, ...] = (episode_id,)
        if run_id:
            query += " AND run_id = ?"
            args += (run_id,)
        with self.connect() as db:
            return float(db.execute(query, args).fetchone()[0])

    def call_count(self, run_id: str | None = None) -> int:
        with self.connect() as db:
            if run_id:
                return int(db.execute("SELECT COUNT(*) FROM calls WHERE run_id=?", (run_id,)).fetchone()[0])
            return int(db.execute("SELECT COUNT(*) FROM calls").fetchone()[0])


def write_json(path: Path, model: BaseModel) -> Path:
    """Write atomically, so a crash never leaves half a file that a later run would trust."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(redact(model.model_dump_json(indent=2)))
    tmp.replace(path)
    return path


def write_text(path: Path, text: str) -> Path:
    """Write atomically, secrets masked."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(redact(text))
    tmp.replace(path)
    return path


def _file_key(path: Path) -> tuple[str, int] | None:
    """A database file's identity: a deleted and recreated library is migrated again."""
    try:
        return str(path.resolve()), path.stat().st_ino
    except OSError:
        return None


def _now() -> str:
    return utcnow().isoformat()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)
