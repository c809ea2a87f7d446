"""Stored responses of API writes sent with an ``Idempotency-Key``.

RELIABILITY.md: the same key and body replays the stored response, the same key
with another body is refused, and keys are scoped to the token and kept 24 hours.
The response is stored in the same transaction as the write it answers, and the
primary key (token, key) makes a second store of one key fail, rolling back its
write: idempotency rests on the constraint, not on a check in code.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from sqlite_utils import Database

from .errors import Conflict

__all__ = ["KEEP_US", "StoredResponse", "find", "remember", "forget_expired"]

KEEP_US = 24 * 3600 * 1_000_000


@dataclass(frozen=True)
class StoredResponse:
    """A response kept for replay."""

    request_sha256: str
    status: int
    body: bytes


def find(db: Database, token_id: int, key: str, now: int) -> StoredResponse | None:
    """The response stored for ``key`` under this token in the last 24 hours."""
    row = db.execute(
        "SELECT request_sha256, status, response FROM idempotency_keys "
        "WHERE token_id = ? AND key = ? AND created_at > ?",
        [token_id, key, now - KEEP_US],
    ).fetchone()
    if row is None:
        return None
    return StoredResponse(row[0], row[1], row[2].encode())


def remember(
    db: Database,
    token_id: int,
    key: str,
    request_sha256: str,
    status: int,
    body: bytes,
    now: int,
) -> None:
    """Store a response inside the write transaction that produced it.

    Raises Conflict when the key is stored already (the write then rolls back).
    Expired responses go on the way (the index on ``created_at`` keeps it cheap).
    """
    forget_expired(db, now)
    try:
        db.execute(
            "INSERT INTO idempotency_keys"
            "(token_id, key, request_sha256, status, response, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [token_id, key, request_sha256, status, body.decode(), now],
        )
    except sqlite3.IntegrityError:
        raise Conflict(
            "A request with this Idempotency-Key was stored a moment ago; "
            "retry to get its response."
        ) from None


def forget_expired(db: Database, now: int) -> int:
    """Delete responses older than 24 hours; return how many went."""
    return db.execute(
        "DELETE FROM idempotency_keys WHERE created_at <= ?", [now - KEEP_US]
    ).rowcount
