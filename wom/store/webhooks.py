"""Webhook endpoints as the owner keeps them: add, list, remove, rotate, enable;
their deliveries, a resend, a test message.

Secrets arrive sealed (``wom.webhooks.sealing``): the store never sees one in
the clear. Every change of who subscribes tells the outbox to read the
subscriptions again (``outbox.forget_subscriptions``).
"""

from __future__ import annotations

import secrets

import orjson
from sqlite_utils import Database

from .errors import Conflict, NotFound
from .outbox import TEST_TYPE, add_messages, forget_subscriptions

__all__ = [
    "RETRY_WINDOW_US",
    "create_endpoint",
    "delete_endpoint",
    "deliveries_of",
    "enable_endpoint",
    "endpoint",
    "list_endpoints",
    "message_prefix",
    "message_public_id",
    "new_endpoint_id",
    "queue_test",
    "resend",
    "rotate_secret",
]

# A delivery is tried for a day after its message (or its resend), then given up.
RETRY_WINDOW_US = 24 * 3600 * 1_000_000

_ENDPOINT = """
    SELECT w.id, w.public_id, w.url, w.created_at, w.failing_since, w.disabled_at,
           w.disabled_reason, w.previous_until,
           (SELECT json_group_array(s.type) FROM webhook_subscriptions s
            WHERE s.endpoint_id = w.id),
           (SELECT count(*) FROM webhook_deliveries d
            WHERE d.endpoint_id = w.id AND d.state = 'pending')
    FROM webhook_endpoints w
"""
_KEYS = (
    "internal_id",
    "id",
    "url",
    "created_at",
    "failing_since",
    "disabled_at",
    "disabled_reason",
    "previous_secret_until",
    "events",
    "pending",
)


def new_endpoint_id() -> str:
    """A public id for a new endpoint (``ep_...``)."""
    return "ep_" + secrets.token_hex(8)


def message_prefix(db: Database) -> str:
    """What every webhook-id of this database starts with: ``msg_`` and the
    database's own random part (so ids are unique across databases)."""
    return "msg_" + db.execute("SELECT instance FROM webhook_state").fetchone()[0]


def message_public_id(db: Database, message_id: int) -> str:
    """The ``webhook-id`` of a message, the same on every try: the prefix and the
    message's id in hex."""
    return f"{message_prefix(db)}{message_id:x}"


def _endpoint_row(row) -> dict:
    found = dict(zip(_KEYS, row, strict=True))
    found["events"] = sorted(orjson.loads(found["events"]))
    return found


def create_endpoint(
    db: Database, public_id: str, url: str, events: list[str], sealed: bytes, now: int
) -> None:
    """Add an endpoint for ``events`` with its sealed secret; it hears of what
    happens from now on."""
    last = db.execute(
        "SELECT coalesce(max(seq), 0) FROM sqlite_sequence "
        "WHERE name = 'webhook_messages'"
    ).fetchone()[0]
    endpoint_id = db.execute(
        "INSERT INTO webhook_endpoints(public_id, url, secret, created_at, "
        "after_message) VALUES (?, ?, ?, ?, ?)",
        [public_id, url, sealed, now, last],
    ).lastrowid
    db.conn.executemany(
        "INSERT INTO webhook_subscriptions(type, endpoint_id) VALUES (?, ?)",
        [(type_, endpoint_id) for type_ in sorted(set(events))],
    )
    forget_subscriptions(db)


def list_endpoints(db: Database) -> list[dict]:
    """Every endpoint, oldest first, with its events and pending deliveries."""
    return [
        _endpoint_row(row)
        for row in db.execute(_ENDPOINT + " ORDER BY w.created_at, w.id")
    ]


def endpoint(db: Database, public_id: str) -> dict:
    """One endpoint by public id; NotFound if there is none."""
    row = db.execute(_ENDPOINT + " WHERE w.public_id = ?", [public_id]).fetchone()
    if row is None:
        raise NotFound(f"No webhook endpoint {public_id!r}; list them to see ids.")
    return _endpoint_row(row)


def delete_endpoint(db: Database, public_id: str) -> None:
    """Remove an endpoint, its pending deliveries and its delivery records."""
    found = endpoint(db, public_id)
    db.execute("DELETE FROM webhook_endpoints WHERE id = ?", [found["internal_id"]])
    forget_subscriptions(db)


def rotate_secret(
    db: Database, public_id: str, sealed: bytes, previous_until: int
) -> None:
    """Make ``sealed`` the endpoint's secret; the one it replaces still signs
    (beside it) until ``previous_until``."""
    found = endpoint(db, public_id)
    db.execute(
        "UPDATE webhook_endpoints SET previous_secret = secret, secret = ?, "
        "previous_until = ? WHERE id = ?",
        [sealed, previous_until, found["internal_id"]],
    )


def enable_endpoint(db: Database, public_id: str) -> None:
    """Enable a disabled endpoint again: its pending deliveries are tried anew."""
    found = endpoint(db, public_id)
    if found["disabled_at"] is None:
        raise Conflict(f"The webhook endpoint {public_id!r} is enabled already.")
    db.execute(
        "UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, "
        "failing_since = NULL WHERE id = ?",
        [found["internal_id"]],
    )
    forget_subscriptions(db)


def deliveries_of(
    db: Database, public_id: str, *, limit: int = 50, before: int | None = None
) -> list[dict]:
    """The endpoint's tries, newest first, ``limit`` at a time before the try
    ``before``: each with its message, event type, status and latency."""
    found = endpoint(db, public_id)
    rows = db.execute(
        """
        SELECT a.id, d.id, d.message_id, m.type, d.state, a.tried_at, a.status,
               a.latency_ms, a.error, a.response
        FROM webhook_attempts a
        JOIN webhook_deliveries d ON d.id = a.delivery_id
        JOIN webhook_messages m ON m.id = d.message_id
        WHERE d.endpoint_id = :endpoint AND (:before IS NULL OR a.id < :before)
        ORDER BY a.id DESC LIMIT :limit
        """,
        {"endpoint": found["internal_id"], "before": before, "limit": limit},
    ).fetchall()
    keys = ("attempt", "delivery", "message_id", "type", "state", "tried_at")
    keys += ("status", "latency_ms", "error", "response")
    prefix = message_prefix(db)
    return [
        dict(zip(keys, row, strict=True)) | {"message_id": f"{prefix}{row[2]:x}"}
        for row in rows
    ]


def resend(db: Database, public_id: str, delivery_id: int, now: int) -> None:
    """Try one delivery of the endpoint again now (with its webhook-id), and for a
    day more if it fails."""
    found = endpoint(db, public_id)
    changed = db.execute(
        "UPDATE webhook_deliveries SET state = 'pending', next_at = ?, "
        "give_up_at = ?, done_at = NULL WHERE id = ? AND endpoint_id = ?",
        [now, now + RETRY_WINDOW_US, delivery_id, found["internal_id"]],
    ).rowcount
    if not changed:
        raise NotFound(f"The endpoint {public_id!r} has no delivery {delivery_id}.")
    db.changes.messages += 1


def queue_test(db: Database, public_id: str, now: int) -> str:
    """Queue a ``webhook.test`` message for this endpoint alone; its webhook-id."""
    found = endpoint(db, public_id)
    add_messages(db, [(TEST_TYPE, {"endpoint": found["id"]})], now)
    message = db.execute("SELECT last_insert_rowid()").fetchone()[0]
    db.execute(
        "INSERT INTO webhook_deliveries(message_id, endpoint_id, next_at, "
        "give_up_at) VALUES (?, ?, ?, ?)",
        [message, found["internal_id"], now, now + RETRY_WINDOW_US],
    )
    db.changes.messages += 1
    return message_public_id(db, message)
