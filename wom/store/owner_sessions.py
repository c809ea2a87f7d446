"""Owners' dashboard sessions and the first-run setup codes, kept server-side.

A session is a random id that the browser's signed cookie carries; only its
SHA-256 is stored, with when it began and was last seen. It ends at logout, at a
password change, after ``idle`` without a request, and ``absolute`` after it
began, whatever happens. A setup code is a one-time secret the CLI prints, so
that the first owner can be made from another machine.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlite_utils import Database

__all__ = [
    "SETUP_CODE_LIFETIME_US",
    "end_owner_sessions",
    "end_session",
    "needs_seen",
    "new_setup_code",
    "seen",
    "session_owner",
    "start_session",
    "use_setup_code",
]

# A setup code opens the setup page for an hour, once.
SETUP_CODE_LIFETIME_US = 3600 * 1_000_000
# A session's last-seen time is written at most this often (a write per page
# view would be a commit per click around the dashboard).
_SEEN_EVERY_US = 60 * 1_000_000


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(db: Database, owner_id: int, now: int) -> str:
    """Begin a session for the owner; return its id (kept only as a hash)."""
    session_id = secrets.token_urlsafe(32)
    db.execute(
        "INSERT INTO owner_sessions(id_sha256, owner_id, created_at, seen_at) "
        "VALUES (?, ?, ?, ?)",
        [_digest(session_id), owner_id, now, now],
    )
    return session_id


def session_owner(
    db: Database, session_id: str, *, now: int, idle: int, absolute: int
) -> dict | None:
    """The owner of a live session (``id``, ``email``, ``seen_at``), or None when
    the id is unknown, ended, idle longer than ``idle`` or older than ``absolute``
    (µs)."""
    row = db.execute(
        "SELECT o.id, o.email, s.seen_at FROM owner_sessions s "
        "JOIN owners o ON o.id = s.owner_id "
        "WHERE s.id_sha256 = ? AND s.ended_at IS NULL "
        "AND s.seen_at > ? AND s.created_at > ?",
        [_digest(session_id), now - idle, now - absolute],
    ).fetchone()
    if row is None:
        return None
    return dict(zip(("id", "email", "seen_at"), row, strict=True))


def needs_seen(seen_at: int, now: int) -> bool:
    """Whether the session's last-seen time is old enough to be written again."""
    return now - seen_at >= _SEEN_EVERY_US


def seen(db: Database, session_id: str, now: int) -> None:
    """Record that the session was used now (inside a write transaction)."""
    db.execute(
        "UPDATE owner_sessions SET seen_at = ? WHERE id_sha256 = ?",
        [now, _digest(session_id)],
    )


def end_session(db: Database, session_id: str, now: int) -> None:
    """End one session (logout)."""
    db.execute(
        "UPDATE owner_sessions SET ended_at = ? "
        "WHERE id_sha256 = ? AND ended_at IS NULL",
        [now, _digest(session_id)],
    )


def end_owner_sessions(db: Database, owner_id: int, now: int) -> int:
    """End every session of the owner (a password change); return how many."""
    return db.execute(
        "UPDATE owner_sessions SET ended_at = ? "
        "WHERE owner_id = ? AND ended_at IS NULL",
        [now, owner_id],
    ).rowcount


def new_setup_code(db: Database, now: int) -> str:
    """A one-time code that opens the setup page for an hour (kept as a hash)."""
    code = secrets.token_urlsafe(12)
    db.execute(
        "INSERT INTO setup_codes(code_sha256, created_at) VALUES (?, ?)",
        [_digest(code), now],
    )
    return code


def use_setup_code(db: Database, code: str, now: int) -> bool:
    """Spend a setup code: True once for a code made in the last hour, then never."""
    return bool(
        db.execute(
            "UPDATE setup_codes SET used_at = ? WHERE code_sha256 = ? "
            "AND used_at IS NULL AND created_at > ?",
            [now, _digest(code), now - SETUP_CODE_LIFETIME_US],
        ).rowcount
    )
