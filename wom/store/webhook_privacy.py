"""Erasure reaches the webhook outbox: a person leaves the messages waiting to be
sent and the delivery records kept (RELIABILITY.md, Erasure).

In every message that names them, their id becomes their pseudonym and the name
and email of the person object that is theirs become null, by structure, never
by substring: nobody else's data changes. What receivers answered to those
messages is dropped, and so is any kept answer that quotes them.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlite_utils import Database

__all__ = ["redact_from_webhooks"]


def _redacted(value: Any, external_id: str, pseudonym: str) -> Any:
    """``value`` with the person's id renamed and their identity blanked.

    >>> _redacted({"id": "c-1", "name": "Ann", "members": ["c-1", "c-2"]},
    ...           "c-1", "erased-x")
    {'id': 'erased-x', 'name': None, 'members': ['erased-x', 'c-2']}
    """
    if isinstance(value, dict):
        theirs = value.get("id") == external_id
        return {
            key: None
            if theirs and key in ("name", "email")
            else _redacted(item, external_id, pseudonym)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redacted(item, external_id, pseudonym) for item in value]
    return pseudonym if value == external_id else value


def redact_from_webhooks(
    db: Database, pid: int, external_id: str, pseudonym: str
) -> int:
    """Redact the person from every message and kept answer (inside the erasure's
    transaction, before their identity goes); return how many messages named
    them."""
    identity = db.execute(
        "SELECT name, email FROM identities WHERE person_id = ?", [pid]
    ).fetchone()
    quoted = [external_id, *(value for value in identity or () if value)]
    changed = []
    for message, data in db.execute(
        "SELECT id, data FROM webhook_messages WHERE instr(data, ?) > 0",
        [orjson.dumps(external_id).decode()],
    ):
        before = orjson.loads(data)
        after = _redacted(before, external_id, pseudonym)
        if after != before:
            changed.append((orjson.dumps(after).decode(), message))
    db.conn.executemany("UPDATE webhook_messages SET data = ? WHERE id = ?", changed)
    db.execute(
        "UPDATE webhook_attempts SET response = NULL WHERE delivery_id IN "
        "(SELECT d.id FROM json_each(?) j "
        "CROSS JOIN webhook_deliveries d ON d.message_id = j.value)",
        [orjson.dumps([message for _, message in changed])],
    )
    for text in quoted:
        db.execute(
            "UPDATE webhook_attempts SET response = NULL WHERE instr(response, ?) > 0",
            [text],
        )
    return len(changed)
