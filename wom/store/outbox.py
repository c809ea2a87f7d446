"""The webhook outbox: what a write transaction tells other systems, written by
that same transaction just before its COMMIT (``Store.write`` runs
``write_outbox``).

The derivation records facts in ``db.changes``: people who became customers,
each changed credit row as it was before, flags raised. Here each fact is checked
against what the transaction leaves (one undone by a savepoint's rollback says
nothing), rendered in the API's own shapes (``wom.contract.webhooks``), and every
event whose type an enabled endpoint subscribes to becomes one
``webhook_messages`` row, with one INSERT…SELECT. With no subscriber, or in a
quiet write (an import, a rebuild), nothing is read or written. The delivery
worker fans the messages out to their endpoints.
"""

from __future__ import annotations

import json

import orjson
from sqlite_utils import Database

from ..contract.times import iso, now_micros
from ..contract.webhooks import EVENT_TYPES

__all__ = [
    "EVENT_TYPES",
    "TEST_TYPE",
    "add_messages",
    "emit",
    "forget_subscriptions",
    "subscribed_types",
    "write_outbox",
]

# Sent to one endpoint on request; nobody subscribes to it.
TEST_TYPE = "webhook.test"


def subscribed_types(db: Database) -> frozenset[str]:
    """The event types some enabled endpoint subscribes to (kept on the writer's
    connection until ``forget_subscriptions``)."""
    found = getattr(db, "webhook_types", None)
    if found is None:
        found = frozenset(
            row[0]
            for row in db.execute(
                "SELECT DISTINCT s.type FROM webhook_subscriptions s "
                "JOIN webhook_endpoints w ON w.id = s.endpoint_id "
                "WHERE w.disabled_at IS NULL"
            )
        )
        db.webhook_types = found
    return found


def forget_subscriptions(db: Database) -> None:
    """Read the subscriptions again at the next write (an endpoint was added,
    removed, disabled or enabled, under the writer's lock)."""
    db.webhook_types = None


def emit(db: Database, type_: str, data: dict) -> None:
    """Send ``data`` as a ``type_`` event if this transaction commits (the rewards
    ledger's ``reward.approved`` and ``reward.paid``): one call, inside it."""
    db.changes.outgoing.append((type_, data))


def write_outbox(db: Database) -> None:
    """Turn what the transaction did into messages (the before-COMMIT hook)."""
    changes = db.changes
    if changes.quiet:
        return
    if not (
        changes.new_customers
        or changes.credits_before
        or changes.flags_opened
        or changes.outgoing
    ):
        return
    wanted = subscribed_types(db)
    if not wanted:
        return
    events = [event for event in _events(db, changes, wanted) if event[0] in wanted]
    changes.messages += add_messages(db, events, now_micros())


def add_messages(db: Database, events: list[tuple[str, dict]], now: int) -> int:
    """Store each ``(type, data)`` as a message envelope; return how many."""
    if not events:
        return 0
    stamp = iso(now)
    rows = [
        (
            type_,
            orjson.dumps({"type": type_, "timestamp": stamp, "data": data}).decode(),
        )
        for type_, data in events
    ]
    db.execute(
        "INSERT INTO webhook_messages(type, payload, created_at) "
        "SELECT value ->> 0, value ->> 1, ? FROM json_each(?)",
        [now, orjson.dumps(rows)],
    )
    return len(rows)


def _events(db: Database, changes, wanted: frozenset[str]) -> list[tuple[str, dict]]:
    events: list[tuple[str, dict]] = []
    if changes.new_customers and "customer.created" in wanted:
        events += [("customer.created", c) for c in _customers(db, changes)]
    if changes.credits_before and wanted & {"referral.credited", "referral.voided"}:
        events += _referrals(db, changes.credits_before)
    if changes.flags_opened and "flag.opened" in wanted:
        events += [("flag.opened", flag) for flag in _flags(db, changes.flags_opened)]
    return events + changes.outgoing


def _customers(db: Database, changes) -> list[dict]:
    """The new customers who still are, in the API's Customer shape."""
    rows = db.execute(
        "SELECT p.external_id, p.status, p.acquired_at, p.acquired_via, i.name, "
        "i.email FROM json_each(?) j CROSS JOIN people p ON p.id = j.value "
        "LEFT JOIN identities i ON i.person_id = p.id "
        "WHERE p.status = 'customer' ORDER BY p.acquired_at, p.id",
        [orjson.dumps(sorted(changes.new_customers))],
    )
    keys = ("id", "status", "acquired_at", "acquired_via", "name", "email")
    return [
        dict(zip(keys, row, strict=True)) | {"acquired_at": iso(row[2])} for row in rows
    ]


def _referrals(db: Database, before: dict[int, tuple | None]) -> list[tuple[str, dict]]:
    """referral.voided for each credited referral that no longer counts, and
    referral.credited for each that counts now and did not (a move is both)."""
    now = {
        row[0]: row
        for row in db.execute(
            "SELECT c.customer_id, c.referrer_id, c.touch_seq, c.kind, c.at, c.status "
            "FROM json_each(?) j CROSS JOIN credits c ON c.customer_id = j.value",
            [orjson.dumps(sorted(before))],
        )
    }
    pairs = [(customer, old, now.get(customer)) for customer, old in before.items()]
    pairs = [
        (customer, old, new)
        for customer, old, new in pairs
        if _credited(old) != _credited(new)
    ]
    if not pairs:
        return []
    ids = {customer for customer, _, _ in pairs}
    ids |= {row[1] for _, old, new in pairs for row in (old, new) if row}
    names = dict(
        db.execute(
            "SELECT p.id, p.external_id FROM json_each(?) j "
            "CROSS JOIN people p ON p.id = j.value",
            [orjson.dumps(sorted(ids))],
        ).fetchall()
    )
    voided_by_review = {
        (row[0], row[1])
        for row in db.execute(
            "SELECT r.customer_id, r.referrer_id FROM json_each(?) j "
            "CROSS JOIN reviews r ON r.customer_id = j.value "
            "WHERE r.decision = 'voided'",
            [orjson.dumps(sorted(ids))],
        )
    }

    def credit(row: tuple | None) -> dict | None:
        if row is None:
            return None
        return {
            "id": names[row[1]],
            "kind": row[3],
            "at": iso(row[4]),
            "status": row[5],
        }

    events = []
    for customer, old, new in sorted(pairs, key=lambda pair: pair[0]):
        data = {"customer": names[customer], "credited_referrer": credit(new)}
        if _credited(old) is not None:
            if (customer, old[1]) in voided_by_review:
                reason = "review"
            elif new is not None and new[1] == old[1]:
                reason = "held"
            elif _credited(new) is not None:
                reason = "moved"
            else:
                reason = "removed"
            events.append(
                ("referral.voided", data | {"voided": credit(old), "reason": reason})
            )
        if _credited(new) is not None:
            events.append(("referral.credited", data))
    return events


def _credited(row: tuple | None) -> int | None:
    """The referrer a credit row credits, or None (no row, or held)."""
    return row[1] if row is not None and row[5] == "credited" else None


def _flags(db: Database, keys: set[str]) -> list[dict]:
    """The flags still stored among ``keys``, in the API's Flag shape."""
    rows = db.execute(
        """
        SELECT f.key, f.kind, c.external_id, r.external_id, f.members, f.reason,
               f.raised_at, coalesce(v.decision, 'open')
        FROM json_each(?) j CROSS JOIN flags f ON f.key = j.value
        LEFT JOIN people c ON c.id = f.customer_id
        LEFT JOIN people r ON r.id = f.referrer_id
        LEFT JOIN reviews v ON v.customer_id = f.customer_id
                           AND v.referrer_id = f.referrer_id
        ORDER BY f.key
        """,
        [orjson.dumps(sorted(keys))],
    ).fetchall()
    members = {m for row in rows for m in json.loads(row[4] or "[]")}
    names = dict(
        db.execute(
            "SELECT p.id, p.external_id FROM json_each(?) j "
            "CROSS JOIN people p ON p.id = j.value",
            [orjson.dumps(sorted(members))],
        ).fetchall()
    )
    keys_ = ("id", "kind", "customer", "referrer", "members", "reason")
    return [
        dict(zip(keys_, row[:6], strict=True))
        | {
            "members": [names.get(m, str(m)) for m in json.loads(row[4] or "[]")],
            "raised_at": iso(row[6]),
            "status": row[7],
        }
        for row in rows
    ]
