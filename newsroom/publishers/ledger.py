"""The publish ledger: which newsletter went to which target (and recipient), with the target's id.

Every delivery records its intent (`begin`, status 'sending') before it talks to the target and its
confirmation (`confirm`, status 'sent' plus the message id) after. So a retry, a re-run or a crash
in between never sends twice: 'sent' is skipped, and a 'sending' left by a crash means "it may have
gone out" — re-sent only where the target can tell us it did not (an idempotency key, a lookup).
`--republish` starts a new generation of a target on purpose, with new idempotency keys; a run that
dies half-way through one is finished by the next run like any other interrupted delivery.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from newsroom.models import Newsletter, utcnow
from newsroom.store import Store

EntryStatus = Literal["sending", "sent", "failed", "unknown"]
NewsletterStatus = Literal["awaiting-review", "approved", "rejected", "expired"]


@dataclass(frozen=True)
class Entry:
    """One (newsletter, target, recipient) row; recipient is '' for targets without recipients."""

    newsletter_id: str
    target: str
    recipient: str
    status: EntryStatus
    key: str
    message_id: str | None
    error: str | None
    attempts: int
    generation: int
    run_id: str | None
    updated: str


@dataclass(frozen=True)
class StoredNewsletter:
    newsletter: Newsletter
    subject: str
    episode_ids: list[str]
    backends: dict[str, str]
    run_id: str | None
    status: NewsletterStatus
    review_note: str | None
    api_url: str | None
    created: str


def _now() -> str:
    return utcnow().isoformat()


def idempotency_key(newsletter_id: str, target: str, recipient: str, generation: int) -> str:
    """Stable for one delivery: a retry after a crash sends the same key (and Message-ID) again."""
    digest = hashlib.sha256(f"{newsletter_id}\x1f{target}\x1f{recipient}\x1f{generation}".encode())
    return f"nr-{digest.hexdigest()[:32]}"


class Ledger:
    def __init__(self, store: Store) -> None:
        self.store = store

    # Newsletters ----------------------------------------------------------------------------------

    def save_newsletter(
        self,
        newsletter: Newsletter,
        subject: str,
        episode_ids: list[str],
        backends: dict[str, str],
        run_id: str | None,
        status: NewsletterStatus,
        api_url: str | None = None,
    ) -> None:
        """Record (or refresh) a newsletter; its deliveries are kept."""
        now = _now()
        with self.store.connect() as db:
            db.execute(
                """INSERT INTO newsletters (id, date, subject, data, episode_ids, backends, run_id, status,
                     api_url, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(id) DO UPDATE SET subject=excluded.subject, data=excluded.data,
                     episode_ids=excluded.episode_ids, backends=excluded.backends, run_id=excluded.run_id,
                     status=excluded.status, api_url=excluded.api_url, updated=excluded.updated""",
                (
                    newsletter.id,
                    newsletter.date,
                    subject,
                    newsletter.model_dump_json(),
                    json.dumps(episode_ids),
                    json.dumps(backends),
                    run_id,
                    status,
                    api_url,
                    now,
                    now,
                ),
            )

    def set_status(
        self,
        newsletter_id: str,
        status: NewsletterStatus,
        note: str | None = None,
        subject: str | None = None,
        only_if: NewsletterStatus | None = None,
    ) -> bool:
        """Change a newsletter's status (only from `only_if`, when given); True if it changed."""
        query = "UPDATE newsletters SET status=?, review_note=?, subject=COALESCE(?, subject), updated=? WHERE id=?"
        args: tuple[Any, ...] = (status, note, subject, _now(), newsletter_id)
        if only_if:
            query, args = query + " AND status=?", (*args, only_if)
        with self.store.connect() as db:
            return db.execute(query, args).rowcount > 0

    def newsletter(self, newsletter_id: str) -> StoredNewsletter | None:
        with self.store.connect() as db:
            row = db.execute("SELECT * FROM newsletters WHERE id=?", (newsletter_id,)).fetchone()
        return _stored(row) if row else None

    def newsletters(self, status: NewsletterStatus | None = None) -> list[StoredNewsletter]:
        """Newest first."""
        query = "SELECT * FROM newsletters" + (" WHERE status=?" if status else "") + " ORDER BY created DESC"
        with self.store.connect() as db:
            rows = db.execute(query, (status,) if status else ()).fetchall()
        return [_stored(r) for r in rows]

    def find(self, ref: str | None) -> StoredNewsletter | None:
        """By id, by date (the newest of that day), or the newest of all when ref is None/'latest'."""
        every = self.newsletters()
        if ref in (None, "", "latest"):
            return every[0] if every else None
        for stored in every:
            if ref in (stored.newsletter.id, stored.newsletter.date):
                return stored
        return None

    # Deliveries -----------------------------------------------------------------------------------

    def entries(self, newsletter_id: str, target: str) -> dict[str, Entry]:
        with self.store.connect() as db:
            rows = db.execute(
                "SELECT * FROM publications WHERE newsletter_id=? AND target=?", (newsletter_id, target)
            ).fetchall()
        return {r["recipient"]: _entry(r) for r in rows}

    def begin(
        self, newsletter_id: str, target: str, recipient: str, run_id: str | None, generation: int = 0
    ) -> str:
        """Record the intent to send (in `generation`) and return the idempotency key to send with."""
        now = _now()
        key = idempotency_key(newsletter_id, target, recipient, generation)
        with self.store.connect() as db:
            db.execute(
                """INSERT INTO publications (newsletter_id, target, recipient, status, idempotency_key,
                     attempts, generation, run_id, created, updated) VALUES (?, ?, ?, 'sending', ?, 1, ?, ?, ?, ?)
                   ON CONFLICT(newsletter_id, target, recipient) DO UPDATE SET status='sending',
                     idempotency_key=excluded.idempotency_key, generation=excluded.generation,
                     attempts=attempts+1, error=NULL, run_id=excluded.run_id, updated=excluded.updated""",
                (newsletter_id, target, recipient, key, generation, run_id, now, now),
            )
        return key

    def confirm(self, newsletter_id: str, target: str, recipient: str, message_id: str) -> None:
        with self.store.connect() as db:
            db.execute(
                "UPDATE publications SET status='sent', message_id=COALESCE(?, message_id), error=NULL, "
                "updated=? WHERE newsletter_id=? AND target=? AND recipient=?",
                (message_id, _now(), newsletter_id, target, recipient),
            )

    def fail(
        self,
        newsletter_id: str,
        target: str,
        recipient: str,
        error: str,
        unknown: bool = False,
        run_id: str | None = None,
    ) -> None:
        """A failure: 'failed' when nothing went out (retried later), 'unknown' when it may have.
        Without a `begin` (the connection never opened) the row is created and the attempt counted."""
        status = "unknown" if unknown else "failed"
        now = _now()
        key = idempotency_key(newsletter_id, target, recipient, 0)
        with self.store.connect() as db:
            db.execute(
                """INSERT INTO publications (newsletter_id, target, recipient, status, idempotency_key, error,
                     attempts, run_id, created, updated) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)
                   ON CONFLICT(newsletter_id, target, recipient) DO UPDATE SET status=excluded.status,
                     error=excluded.error, updated=excluded.updated,
                     attempts=attempts + (publications.status != 'sending'),
                     run_id=COALESCE(excluded.run_id, publications.run_id)""",
                (newsletter_id, target, recipient, status, key, error, run_id, now, now),
            )

    def drop(self, newsletter_id: str, target: str, recipient: str) -> None:
        with self.store.connect() as db:
            db.execute(
                "DELETE FROM publications WHERE newsletter_id=? AND target=? AND recipient=?",
                (newsletter_id, target, recipient),
            )

    def to_retry(self, max_attempts: int, resendable: set[str]) -> list[tuple[str, str]]:
        """(newsletter, target) pairs of approved newsletters with a delivery still due: failed ones
        (up to max_attempts), interrupted ones, and 'unknown' ones where the target can be asked."""
        with self.store.connect() as db:
            rows = db.execute(
                """SELECT DISTINCT p.newsletter_id, p.target, p.status FROM publications p
                   JOIN newsletters n ON n.id = p.newsletter_id
                   WHERE n.status = 'approved' AND ((p.status = 'failed' AND p.attempts < ?)
                     OR p.status IN ('sending', 'unknown'))
                   ORDER BY n.created, p.target""",
                (max_attempts,),
            ).fetchall()
        pairs = [(r[0], r[1]) for r in rows if r[2] != "unknown" or r[1] in resendable]
        return list(dict.fromkeys(pairs))


def _entry(row: Any) -> Entry:
    return Entry(
        newsletter_id=row["newsletter_id"],
        target=row["target"],
        recipient=row["recipient"],
        status=row["status"],
        key=row["idempotency_key"],
        message_id=row["message_id"],
        error=row["error"],
        attempts=row["attempts"],
        generation=row["generation"],
        run_id=row["run_id"],
        updated=row["updated"],
    )


def _stored(row: Any) -> StoredNewsletter:
    return StoredNewsletter(
        newsletter=Newsletter.model_validate_json(row["data"]),
        subject=row["subject"],
        episode_ids=json.loads(row["episode_ids"]),
        backends=json.loads(row["backends"]),
        run_id=row["run_id"],
        status=row["status"],
        review_note=row["review_note"],
        api_url=row["api_url"],
        created=row["created"],
    )
