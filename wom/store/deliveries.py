"""The delivery worker's SQL: fan messages out to endpoints, pick the deliveries
that are due, record each try, give up, disable, prune, redact.

The worker sends outside any transaction and records a whole batch of tries in
one: a crash between sending and recording sends again (at least once, with the
same webhook-id).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlite_utils import Database

from .outbox import forget_subscriptions, iso_sql
from .webhooks import RETRY_WINDOW_US, message_prefix

__all__ = [
    "DISABLE_AFTER_US",
    "ENVELOPE",
    "KEEP_US",
    "Due",
    "Outcome",
    "due",
    "fan_out",
    "prune",
    "record",
]

# An endpoint that has failed every try for a day is disabled.
DISABLE_AFTER_US = 24 * 3600 * 1_000_000
# Messages whose deliveries are all done are kept this long.
KEEP_US = 30 * 24 * 3600 * 1_000_000


# What is sent: the message's data in its envelope (the same bytes every try).
ENVELOPE = (
    f"json_object('type', m.type, 'timestamp', {iso_sql('m.created_at')}, "
    "'data', json(m.data))"
)


@dataclass(frozen=True)
class Due:
    """A delivery to try now: its message and its endpoint's sealed secrets."""

    delivery: int
    message_id: str
    payload: bytes
    endpoint: int
    public_id: str
    url: str
    secret: bytes
    previous_secret: bytes | None
    attempts: int
    give_up_at: int


@dataclass(frozen=True)
class Outcome:
    """One try: when, what came back (status None: nothing), how long it took.
    ``next_at`` is when to try again if it failed."""

    delivery: int
    endpoint: int
    tried_at: int
    status: int | None
    latency_ms: int
    error: str | None
    response: str | None
    next_at: int

    @property
    def delivered(self) -> bool:
        """Whether the receiver took it (any 2xx)."""
        return self.status is not None and 200 <= self.status < 300


def fan_out(db: Database) -> int:
    """Give every message not yet fanned out a delivery per endpoint subscribed
    to its type (enabled, and made before the message); return how many."""
    upto, last = db.execute(
        "SELECT fanned_upto, (SELECT coalesce(max(id), 0) FROM webhook_messages) "
        "FROM webhook_state"
    ).fetchone()
    if last <= upto:
        return 0
    made = db.execute(
        """
        INSERT INTO webhook_deliveries(message_id, endpoint_id, next_at, give_up_at)
        SELECT m.id, w.id, m.created_at, m.created_at + :window
        FROM webhook_messages m
        CROSS JOIN webhook_subscriptions s ON s.type = m.type
        CROSS JOIN webhook_endpoints w ON w.id = s.endpoint_id
        WHERE m.id > :upto AND m.id <= :last AND w.disabled_at IS NULL
          AND w.after_message < m.id
        ORDER BY m.id, w.id
        """,
        {"upto": upto, "last": last, "window": RETRY_WINDOW_US},
    ).rowcount
    db.execute("UPDATE webhook_state SET fanned_upto = ?", [last])
    return made


def due(db: Database, now: int, limit: int) -> list[Due]:
    """Up to ``limit`` pending deliveries whose time has come, oldest first, to
    enabled endpoints."""
    rows = db.execute(
        f"""
        SELECT d.id, d.message_id, {ENVELOPE}, w.id, w.public_id, w.url, w.secret,
               CASE WHEN w.previous_until > :now THEN w.previous_secret END,
               d.attempts, d.give_up_at
        FROM webhook_deliveries d
        CROSS JOIN webhook_endpoints w ON w.id = d.endpoint_id
        CROSS JOIN webhook_messages m ON m.id = d.message_id
        WHERE d.state = 'pending' AND d.next_at <= :now AND w.disabled_at IS NULL
        ORDER BY d.next_at, d.id LIMIT :limit
        """,
        {"now": now, "limit": limit},
    ).fetchall()
    prefix = message_prefix(db)
    return [
        Due(
            row[0],
            f"{prefix}{row[1]:x}",
            row[2].encode(),
            *row[3:],
        )
        for row in rows
    ]


def record(db: Database, outcomes: list[Outcome], now: int) -> list[str]:
    """Store each try, mark deliveries done or due again (or given up after their
    day), and disable each endpoint failing for a day; return the public ids of
    the endpoints disabled now. Deliveries deleted meanwhile are skipped."""
    if not outcomes:
        return []
    db.execute(
        "INSERT INTO webhook_attempts(delivery_id, tried_at, status, latency_ms, "
        "error, response) SELECT value ->> 0, value ->> 1, value ->> 2, "
        "value ->> 3, value ->> 4, value ->> 5 FROM json_each(?) "
        "WHERE EXISTS (SELECT 1 FROM webhook_deliveries d "
        "WHERE d.id = value ->> 0)",
        [
            orjson.dumps(
                [
                    (o.delivery, o.tried_at, o.status, o.latency_ms, o.error)
                    + (o.response,)
                    for o in outcomes
                ]
            )
        ],
    )
    db.conn.executemany(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, "
        "state = CASE WHEN :ok THEN 'delivered' "
        "WHEN :at >= give_up_at THEN 'failed' ELSE 'pending' END, "
        "done_at = CASE WHEN :ok OR :at >= give_up_at THEN :at END, "
        "next_at = :next WHERE id = :id AND state = 'pending'",
        [
            {"ok": o.delivered, "at": o.tried_at, "next": o.next_at, "id": o.delivery}
            for o in outcomes
        ],
    )
    good = {o.endpoint for o in outcomes if o.delivered}
    bad = {
        o.endpoint: o for o in outcomes if not o.delivered and o.endpoint not in good
    }
    db.conn.executemany(
        "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?",
        [(e,) for e in good],
    )
    db.conn.executemany(
        "UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, ?) "
        "WHERE id = ?",
        [(o.tried_at, e) for e, o in bad.items()],
    )
    disabled = []
    for endpoint_id, outcome in bad.items():
        row = db.execute(
            "UPDATE webhook_endpoints SET disabled_at = :now, disabled_reason = "
            "'every try failed for 24 hours; the last: ' || "
            "coalesce(:error, 'HTTP ' || :status) "
            "WHERE id = :id AND disabled_at IS NULL AND failing_since <= :since "
            "RETURNING public_id",
            {"now": now, "error": outcome.error, "status": outcome.status}
            | {"id": endpoint_id, "since": now - DISABLE_AFTER_US},
        ).fetchone()
        if row is not None:
            disabled.append(row[0])
    if disabled:
        forget_subscriptions(db)
    return disabled


def prune(db: Database, now: int) -> int:
    """Delete the messages older than 30 days with nothing left to deliver (and
    their delivery records); return how many."""
    # The first message young enough to keep, read from the oldest id up (ids
    # grow with time): everything before it is old enough to go.
    first_kept = db.execute(
        "SELECT id FROM webhook_messages WHERE created_at >= ? ORDER BY id LIMIT 1",
        [now - KEEP_US],
    ).fetchone()
    return db.execute(
        "DELETE FROM webhook_messages WHERE id < ? AND id NOT IN "
        "(SELECT message_id FROM webhook_deliveries WHERE state = 'pending') "
        "AND id <= (SELECT fanned_upto FROM webhook_state)",
        [first_kept[0] if first_kept else 2**62],
    ).rowcount
