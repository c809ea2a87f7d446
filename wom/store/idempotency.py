"""Stored responses of API writes sent with an ``Idempotency-Key``.

docs/reliability.md: the same key and body replays the stored response, the same
key with another body is refused, and keys are scoped to the token and kept 24
hours. The response is stored in the same transaction as the write it answers, and
the primary key (token, key) makes a second store of one key fail, rolling back its
write: idempotency rests on the constraint, not on a check in code.

Each stored response is linked to the people it names (``idempotency_people``), so
that erasing one redacts exactly the responses that name them and no other.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import orjson
from sqlite_utils import Database

from .errors import Conflict

__all__ = [
    "KEEP_US",
    "NAMING_FIELDS",
    "StoredResponse",
    "find",
    "forget_expired",
    "link_named_people",
    "link_stored_responses",
    "redact_person",
    "remember",
]

KEEP_US = 24 * 3600 * 1_000_000
#: The fields of an API response that name a person by external id: a customer's
#: ``id``, a flag's ``customer``, a credit's ``credited_referrer.id`` ...
NAMING_FIELDS = frozenset({"id", "customer", "referrer", "from", "to"})
# What an erased person's record in a response loses besides their id.
_IDENTIFYING = ("name", "email")


@dataclass(frozen=True)
class StoredResponse:
    """A response kept for replay; ``erased``: it names a person since erased."""

    request_sha256: str
    status: int
    body: bytes
    erased: bool = False


def find(db: Database, token_id: int, key: str, now: int) -> StoredResponse | None:
    """The response stored for ``key`` under this token in the last 24 hours."""
    row = db.execute(
        "SELECT request_sha256, status, response, erased FROM idempotency_keys "
        "WHERE token_id = ? AND key = ? AND created_at > ?",
        [token_id, key, now - KEEP_US],
    ).fetchone()
    if row is None:
        return None
    return StoredResponse(row[0], row[1], row[2].encode(), bool(row[3]))


def _named(value, found: set[str]) -> set[str]:
    """The strings of ``value`` (parsed JSON) held by a naming field."""
    if isinstance(value, dict):
        for field, item in value.items():
            if field in NAMING_FIELDS and isinstance(item, str):
                found.add(item)
            else:
                _named(item, found)
    elif isinstance(value, list):
        for item in value:
            _named(item, found)
    return found


def link_named_people(db: Database, token_id: int, key: str, body: bytes) -> None:
    """Record which people the stored response for ``key`` names, by reference."""
    if not body.strip():
        return
    named = _named(orjson.loads(body), set())
    if named:
        db.execute(
            "INSERT OR IGNORE INTO idempotency_people(person_id, token_id, key) "
            "SELECT id, ?, ? FROM people WHERE external_id IN "
            "(SELECT value FROM json_each(?))",
            [token_id, key, orjson.dumps(sorted(named))],
        )


def link_stored_responses(db: Database) -> None:
    """Link every stored response to the people it names (once, by migration)."""
    for token_id, key, response in db.execute(
        "SELECT token_id, key, response FROM idempotency_keys"
    ).fetchall():
        link_named_people(db, token_id, key, response.encode())


def _redacted(value, external_id: str, pseudonym: str):
    """``value`` with ``external_id`` named by its pseudonym, and the name and
    email of each record that names it left out.

    >>> _redacted({"id": "zoe", "name": "Zoë", "email": "z@x.org", "status": "c"},
    ...           "zoe", "erased-1")
    {'id': 'erased-1', 'name': None, 'email': None, 'status': 'c'}
    >>> _redacted({"customer": "bo", "credited_referrer": {"id": "zoe"}},
    ...           "zoe", "erased-1")
    {'customer': 'bo', 'credited_referrer': {'id': 'erased-1'}}
    """
    if isinstance(value, list):
        return [_redacted(item, external_id, pseudonym) for item in value]
    if not isinstance(value, dict):
        return value
    names = any(value.get(field) == external_id for field in NAMING_FIELDS)
    return {
        field: (
            pseudonym
            if field in NAMING_FIELDS and item == external_id
            else None
            if names and field in _IDENTIFYING
            else _redacted(item, external_id, pseudonym)
        )
        for field, item in value.items()
    }


def redact_person(db: Database, pid: int, external_id: str, pseudonym: str) -> int:
    """Redact person ``pid`` from the stored responses that name them, and mark
    those responses: a retry of their request answers 410. Return how many.

    Only responses linked to ``pid`` are read; every other one stays as it was.
    """
    rows = db.execute(
        "SELECT k.token_id, k.key, k.response FROM idempotency_people p "
        "JOIN idempotency_keys k ON k.token_id = p.token_id AND k.key = p.key "
        "WHERE p.person_id = ?",
        [pid],
    ).fetchall()
    db.conn.executemany(
        "UPDATE idempotency_keys SET response = ?, erased = 1 "
        "WHERE token_id = ? AND key = ?",
        [
            (
                orjson.dumps(
                    _redacted(orjson.loads(response), external_id, pseudonym)
                ).decode(),
                token_id,
                key,
            )
            for token_id, key, response in rows
        ],
    )
    return len(rows)


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
    The people the response names are linked to it.
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
    link_named_people(db, token_id, key, body)


def forget_expired(db: Database, now: int) -> int:
    """Delete responses older than 24 hours (and their links); return how many."""
    return db.execute(
        "DELETE FROM idempotency_keys WHERE created_at <= ?", [now - KEEP_US]
    ).rowcount
