"""Full-text search of the library: every transcript segment, summary and note, in SQLite FTS5.

The index is the `search_index` FTS5 table in newsroom.db, with `search_docs` saying where each row
comes from (store migration 3): one row per transcript segment (episode, second, speaker, text), per summary section, and per episode's notes. The Store
updates it whenever it saves a transcript, a summary or notes, so a search never reads a file;
`rebuild` refills it from the library folder.

Folding: FTS5's `unicode61 remove_diacritics 2` tokenizer ignores case and accents, so "Gröndal"
and "Grondal" meet. Spellings that write a letter out instead ("groendal", "Strasse") are met
by a second, folded column (ö -> oe, ß -> ss, ...) filled only where folding changes the text, and
by querying the folded form of the query too.

Queries are plain words by default (each word quoted, all must occur); a query that uses FTS5
syntax itself (quotes, AND/OR/NOT/NEAR, a trailing *, parentheses, column filters) goes to FTS5 as
written, and a syntax error there is a `SearchQueryError` saying what to fix.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Protocol, TypeVar

from newsroom.models import Episode, Summary, Transcript

# Letters that other spellings write out; remove_diacritics covers the rest (é -> e, ë -> e, ...).
_SPELLED_OUT = str.maketrans(
    {
        "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa", "œ": "oe",
        "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "Æ": "Ae", "Ø": "Oe", "Å": "Aa", "Œ": "Oe", "ẞ": "SS",
    }
)  # fmt: skip
_FTS_SYNTAX = re.compile(r'["()*^:+]|\b(AND|OR|NOT|NEAR)\b')
MARK_START, MARK_END = "\x02", "\x03"  # around each match in a snippet; callers pick the markup
SEGMENT, SUMMARY, NOTE = "segment", "summary", "note"
_M = TypeVar("_M", Transcript, Summary)


class SearchQueryError(ValueError):
    """The query is not valid FTS5 syntax; the message says what to change."""


class Library(Protocol):
    """What `rebuild` needs of a `newsroom.store.Store` (which imports this module)."""

    root: Path

    def connect(self) -> AbstractContextManager[sqlite3.Connection]: ...


@dataclass(frozen=True)
class Hit:
    """One match: where it is (episode, second, speaker), a snippet and a link that opens it there."""

    episode_id: str
    title: str
    source: str
    kind: str
    seconds: float | None
    at: str | None
    speaker: str | None
    snippet: str
    text: str
    link: str | None
    score: float

    def as_dict(self, mark: tuple[str, str] = ("**", "**")) -> dict[str, object]:
        data = asdict(self)
        data["snippet"] = marked(self.snippet, *mark)
        return data


# Folding and queries -----------------------------------------------------------------------------


def spelled_out(text: str) -> str:
    """'Gröndal' -> 'Groendal': the written-out spelling of letters that have one."""
    return text.translate(_SPELLED_OUT)


def fold_key(text: str | None) -> str:
    """Lower case, accents off, letters written out: how names compare (the --speaker filter)."""
    decomposed = unicodedata.normalize("NFKD", spelled_out(text or "").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _folded_copy(text: str) -> str:
    """The folded column: empty where folding changes nothing (most text), so the index stays small."""
    folded = spelled_out(text)
    return folded if folded != text else ""


def uses_fts_syntax(query: str) -> bool:
    return bool(_FTS_SYNTAX.search(query))


def fts_query(query: str) -> str:
    """The FTS5 MATCH expression for a user's query: plain words quoted (all must occur), explicit
    FTS5 syntax kept; either way OR-ed with its spelled-out form when that differs."""
    query = query.strip()
    if not query:
        raise SearchQueryError("the query is empty: give one or more words to look for")
    if uses_fts_syntax(query):
        expression = query
    else:
        words = [w for w in re.split(r"\s+", query) if re.search(r"\w", w)]
        if not words:
            raise SearchQueryError(f"no words to look for in {query!r}")
        expression = " ".join('"' + w.replace('"', '""') + '"' for w in words)
    folded = spelled_out(expression)
    return expression if folded == expression else f"({expression}) OR ({folded})"


def marked(snippet: str, start: str, end: str) -> str:
    return snippet.replace(MARK_START, start).replace(MARK_END, end)


def hms(seconds: float) -> str:
    """3723 -> '01:02:03'."""
    h, rest = divmod(max(0, int(seconds)), 3600)
    return f"{h:02d}:{rest // 60:02d}:{rest % 60:02d}"


# Writing the index ------------------------------------------------------------------------------


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    if db.in_transaction:  # part of a larger write (rebuild)
        yield
        return
    db.execute("BEGIN IMMEDIATE")  # the write lock up front: new row ids are taken from MAX(id)
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _replace(
    db: sqlite3.Connection,
    episode_id: str,
    kind: str,
    rows: Iterable[tuple[str, float | None, str | None]],
) -> None:
    """An episode's rows of one kind, replaced as a whole: (text, second, speaker)."""
    with _transaction(db):
        old = "SELECT id FROM search_docs WHERE episode_id = ? AND kind = ?"
        db.execute(f"DELETE FROM search_index WHERE rowid IN ({old})", (episode_id, kind))
        db.execute("DELETE FROM search_docs WHERE episode_id = ? AND kind = ?", (episode_id, kind))
        kept = [row for row in rows if row[0].strip()]
        first = int(db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM search_docs").fetchone()[0])
        ids = range(first, first + len(kept))
        db.executemany(
            "INSERT INTO search_docs (id, episode_id, kind, start, speaker) VALUES (?, ?, ?, ?, ?)",
            [(i, episode_id, kind, start, speaker) for i, (_, start, speaker) in zip(ids, kept, strict=True)],
        )
        db.executemany(
            "INSERT INTO search_index (rowid, text, folded) VALUES (?, ?, ?)",
            [(i, text, _folded_copy(text)) for i, (text, _, _) in zip(ids, kept, strict=True)],
        )


def index_transcript(db: sqlite3.Connection, transcript: Transcript) -> None:
    """One row per segment, with its second and speaker."""
    rows = ((s.text.strip(), s.start, s.speaker) for s in transcript.segments)
    _replace(db, transcript.episode_id, SEGMENT, rows)


def summary_rows(summary: Summary) -> list[tuple[str, float | None, str | None]]:
    """The summary's prose as one row; each takeaway, quote and chapter as a row at its second."""
    prose = [summary.key_subjects_and_themes, summary.main_topic, summary.conclusion, *summary.ai_news]
    prose += [
        f"{item.name}: {item.description}" for item in summary.use_cases + summary.new_tools_and_workflows
    ]
    rows: list[tuple[str, float | None, str | None]] = [("\n".join(p for p in prose if p), None, None)]
    rows += [(t.text, t.timestamp, None) for t in summary.key_takeaways + summary.notable_quotes]
    rows += [(c.title, c.start, None) for c in summary.chapters]
    return list(dict.fromkeys(rows))  # a quote that is also a takeaway: one row


def index_summary(db: sqlite3.Connection, summary: Summary) -> None:
    _replace(db, summary.episode_id, SUMMARY, summary_rows(summary))


def index_notes(db: sqlite3.Connection, episode_id: str, notes: str) -> None:
    """What the user wrote under the episode note's Notes heading."""
    _replace(db, episode_id, NOTE, [(notes, None, None)])


def indexed_segments(db: sqlite3.Connection, episode_ids: Iterable[str]) -> dict[str, int]:
    """How many segment rows each of these episodes has in the index."""
    ids = list(episode_ids)
    marks = ",".join("?" * len(ids))
    rows = db.execute(
        f"SELECT episode_id, COUNT(*) FROM search_docs WHERE kind = ? AND episode_id IN ({marks}) "
        "GROUP BY episode_id",
        (SEGMENT, *ids),
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def rebuild(library: Library, notes_of: Callable[[Path], str] | None = None) -> dict[str, int]:
    """Empty the index and fill it again from every episode folder of the library (transcript.json,
    summary.json, and the Notes of transcript.md read by `notes_of`). Returns counts per kind."""
    counts = {SEGMENT: 0, SUMMARY: 0, NOTE: 0, "episodes": 0}
    with library.connect() as db, _transaction(db):
        # Dropped and made again from its own schema: far faster than deleting row by row.
        schema = db.execute("SELECT sql FROM sqlite_master WHERE name = 'search_index'").fetchone()[0]
        db.execute("DROP TABLE search_index")
        db.execute(schema)
        db.execute("DELETE FROM search_docs")
        for folder in sorted((library.root / "episodes").glob("*/")):
            counts["episodes"] += _index_folder(db, folder, notes_of, counts)
        db.execute("INSERT INTO search_index(search_index) VALUES ('optimize')")
    return counts


def _index_folder(
    db: sqlite3.Connection, folder: Path, notes_of: Callable[[Path], str] | None, counts: dict[str, int]
) -> int:
    """Index one episode folder; a file that does not parse is skipped (the rest still counts)."""
    found = 0
    if transcript := _read(folder / "transcript.json", Transcript):
        index_transcript(db, transcript)
        counts[SEGMENT] += len(transcript.segments)
        found = 1
    if summary := _read(folder / "summary.json", Summary):
        index_summary(db, summary)
        counts[SUMMARY] += 1
        found = 1
    if notes_of and (path := folder / "transcript.md").is_file() and (notes := notes_of(path).strip()):
        index_notes(db, folder.name, notes)
        counts[NOTE] += 1
    return found


def _read(path: Path, model: type[_M]) -> _M | None:
    try:
        return model.model_validate_json(path.read_text()) if path.is_file() else None
    except (OSError, ValueError):
        return None


# Reading it -------------------------------------------------------------------------------------


def search(
    db: sqlite3.Connection,
    query: str,
    *,
    source: str | None = None,
    since: date | None = None,
    speaker: str | None = None,
    episode_ids: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
    limit: int = 20,
) -> list[Hit]:
    """The best `limit` matches by bm25, with the filters applied inside the query."""
    expression = fts_query(query)
    where, args = ["search_index MATCH ?"], [expression]
    if source:
        where.append("(e.source_id = ? OR lower(json_extract(e.data, '$.source_name')) = lower(?))")
        args += [source, source]
    if since:
        where.append("COALESCE(e.published, e.first_seen) >= ?")
        args.append(since.isoformat())
    if speaker:
        db.create_function("fold_key", 1, fold_key, deterministic=True)
        where.append("instr(fold_key(d.speaker), ?) > 0")
        args.append(fold_key(speaker))
    if episode_ids is not None:
        ids = list(episode_ids)
        where.append(f"d.episode_id IN ({','.join('?' * len(ids))})")
        args += ids
    if kinds is not None:
        wanted = list(kinds)
        where.append(f"d.kind IN ({','.join('?' * len(wanted))})")
        args += wanted
    joins = (
        "FROM search_index s JOIN search_docs d ON d.id = s.rowid LEFT JOIN episodes e ON e.id = d.episode_id"
    )
    try:
        # Ranked first, snippets after: a sorter would otherwise make a snippet of every match.
        ranked = db.execute(
            f"SELECT s.rowid, s.rank {joins} WHERE {' AND '.join(where)} ORDER BY s.rank LIMIT ?",
            (*args, limit),
        ).fetchall()
        marks = f"'{MARK_START}', '{MARK_END}', '…', 14"
        rows = db.execute(
            f"""SELECT s.rowid, d.episode_id, d.kind, d.start, d.speaker,
                       snippet(search_index, 0, {marks}), snippet(search_index, 1, {marks}), e.data, s.text
                {joins} WHERE search_index MATCH ? AND s.rowid IN ({",".join("?" * len(ranked))})""",
            (expression, *(r[0] for r in ranked)),
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if "fts5" in str(exc) or "syntax" in str(exc) or "unterminated" in str(exc):
            raise SearchQueryError(_explain(query, str(exc))) from None
        raise
    by_id = {r[0]: r for r in rows}
    return [_hit(by_id[rowid], rank) for rowid, rank in ranked if rowid in by_id]


def _explain(query: str, error: str) -> str:
    hint = (
        "a quote is not closed" if query.count('"') % 2 else "check the quotes, brackets and AND/OR/NOT/NEAR"
    )
    return (
        f"cannot search for {query!r}: {hint} ({error}). Plain words need no syntax: "
        'newsroom search recorded speech; a phrase goes in double quotes: "recorded speech"'
    )


def _hit(row: sqlite3.Row, rank: float) -> Hit:
    _, episode_id, kind, start, speaker, plain, folded, data, text = row
    episode = Episode.model_validate_json(data) if data else None
    link = None
    if episode is not None:
        link = episode.link_at(start) if start is not None else episode.url
    return Hit(
        episode_id=episode_id,
        title=episode.title if episode else episode_id,
        source=episode.source_name if episode else "",
        kind=kind,
        seconds=start,
        at=hms(start) if start is not None else None,
        speaker=speaker,
        snippet=plain if MARK_START in plain else folded or plain,
        text=text,
        link=link,
        score=round(-float(rank), 6),
    )


def index_size(db: sqlite3.Connection) -> int:
    """Rows in the index."""
    return int(db.execute("SELECT COUNT(*) FROM search_docs").fetchone()[0])


def hits_json(hits: list[Hit], query: str) -> str:
    return json.dumps({"query": query, "hits": [h.as_dict() for h in hits]}, ensure_ascii=False)
