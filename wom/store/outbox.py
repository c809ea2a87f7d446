"""The webhook outbox: what a write transaction tells other systems, written by
that same transaction just before its COMMIT (``Store.write`` runs
``write_outbox``).

The derivation records facts in ``db.changes``: people who became customers,
each changed credit row as it was before, flags raised. Here each fact is checked
against what the transaction leaves (one undone by a savepoint's rollback says
nothing), rendered in the API's own shapes (``wom.contract.webhooks``), and every
event whose type an enabled endpoint subscribes to becomes one
``webhook_messages`` row: one INSERT…SELECT per kind of fact, the JSON built by
SQLite itself (no row comes out to Python and back). A message keeps the
event's data; the envelope (type, timestamp) is put around it as it is sent.
With no subscriber, or in a quiet write (an import, a rebuild), nothing is read
or written. The delivery worker fans the messages out to their endpoints.
"""

from __future__ import annotations

import sqlite3

import orjson
from sqlite_utils import Database

from ..contract.times import iso, now_micros
from ..contract.webhooks import EVENT_TYPES
from .flags import list_flags

__all__ = [
    "EVENT_TYPES",
    "TEST_TYPE",
    "add_messages",
    "emit",
    "iso_sql",
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
        try:
            found = frozenset(
                row[0]
                for row in db.execute(
                    "SELECT DISTINCT s.type FROM webhook_subscriptions s "
                    "JOIN webhook_endpoints w ON w.id = s.endpoint_id "
                    "WHERE w.disabled_at IS NULL"
                )
            )
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise
            # A store migrated only part of the way (a migration's own write, a
            # test's): nobody can subscribe yet. Not kept: the tables may follow.
            return frozenset()
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
    now = now_micros()
    made = 0
    if changes.new_customers and "customer.created" in wanted:
        made += _customers(db, changes.new_customers, now)
    if changes.credits_before and wanted & {"referral.credited", "referral.voided"}:
        made += _referrals(db, changes.credits_before, wanted, now)
    events = []
    if changes.flags_opened and "flag.opened" in wanted:
        events += [("flag.opened", flag) for flag in _flags(db, changes.flags_opened)]
    events += [event for event in changes.outgoing if event[0] in wanted]
    changes.messages += made + add_messages(db, events, now)


def iso_sql(column: str) -> str:
    """SQL for a time in microseconds as ``contract.times.iso`` writes it (a Z,
    microseconds only when there are some), so that messages need no Python."""
    fraction = f"(({column} % 1000000) + 1000000) % 1000000"
    return (
        f"strftime('%Y-%m-%dT%H:%M:%S', ({column} - {fraction}) / 1000000, "
        f"'unixepoch') || CASE WHEN {fraction} THEN printf('.%06d', {fraction}) "
        "ELSE '' END || 'Z'"
    )


def add_messages(db: Database, events: list[tuple[str, dict]], now: int) -> int:
    """Store each ``(type, data)`` as a message; return how many."""
    if not events:
        return 0
    db.execute(
        "INSERT INTO webhook_messages(type, data, created_at) "
        "SELECT value ->> 0, value -> 1, ? FROM json_each(?)",
        [now, orjson.dumps(events)],
    )
    return len(events)


def _customers(db: Database, people: set[int], now: int) -> int:
    """customer.created, in the API's Customer shape, for each new customer who
    still is one: one INSERT…SELECT."""
    return db.execute(
        f"""
        INSERT INTO webhook_messages(type, data, created_at)
        SELECT 'customer.created',
               json_object('id', p.external_id, 'status', p.status,
                           'acquired_at', {iso_sql("p.acquired_at")},
                           'acquired_via', p.acquired_via,
                           'name', i.name, 'email', i.email), ?
        FROM json_each(?) j CROSS JOIN people p ON p.id = j.value
        LEFT JOIN identities i ON i.person_id = p.id
        WHERE p.status = 'customer' ORDER BY p.acquired_at, p.id
        """,
        [now, orjson.dumps(sorted(people))],
    ).rowcount


def _credit_sql(person: str, kind: str, at: str, status: str) -> str:
    """A credit as the API's Credit shape, in SQL."""
    return (
        f"json_object('id', {person}.external_id, 'kind', {kind}, "
        f"'at', {iso_sql(at)}, 'status', {status})"
    )


def _referrals(
    db: Database, before: dict[int, tuple | None], wanted: frozenset[str], now: int
) -> int:
    """referral.voided for each credited referral that no longer counts, and
    referral.credited for each that counts now and did not (a move is both, in
    that order): one INSERT…SELECT over the credits as they were and are."""
    # Most had no credit before (new customers): a plain list of ids for them.
    rows = [row for row in before.values() if row is not None]
    fresh = [customer for customer, row in before.items() if row is None]
    return db.execute(
        f"""
        INSERT INTO webhook_messages(type, data, created_at)
        WITH was(customer, referrer, kind, at, status) AS (
            SELECT value ->> 0, value ->> 1, value ->> 3, value ->> 4, value ->> 5
            FROM json_each(:before)
            UNION ALL
            SELECT value, NULL, NULL, NULL, NULL FROM json_each(:fresh)
        ),
        moved AS (
            SELECT w.*, c.referrer_id AS now_referrer, c.kind AS now_kind,
                   c.at AS now_at, c.status AS now_status
            FROM was w LEFT JOIN credits c ON c.customer_id = w.customer
            WHERE (CASE WHEN w.status IS 'credited' THEN w.referrer END)
               IS NOT (CASE WHEN c.status IS 'credited' THEN c.referrer_id END)
        )
        SELECT type, data, :now FROM (
            SELECT m.customer, 0 AS step, 'referral.voided' AS type,
                   json_object(
                     'customer', cp.external_id,
                     'voided', {_credit_sql("op", "m.kind", "m.at", "m.status")},
                     'reason', CASE
                       WHEN EXISTS (SELECT 1 FROM reviews v
                                    WHERE v.customer_id = m.customer
                                      AND v.referrer_id = m.referrer
                                      AND v.decision = 'voided') THEN 'review'
                       WHEN m.now_referrer IS m.referrer THEN 'held'
                       WHEN m.now_status IS 'credited' THEN 'moved'
                       ELSE 'removed' END,
                     'credited_referrer', json(CASE WHEN np.id IS NOT NULL THEN
                       {_credit_sql("np", "m.now_kind", "m.now_at", "m.now_status")}
                       END)) AS data
            FROM moved m
            JOIN people cp ON cp.id = m.customer
            JOIN people op ON op.id = m.referrer
            LEFT JOIN people np ON np.id = m.now_referrer
            WHERE m.status IS 'credited' AND :voided
            UNION ALL
            SELECT m.customer, 1, 'referral.credited',
                   json_object(
                     'customer', cp.external_id,
                     'credited_referrer',
                     {_credit_sql("np", "m.now_kind", "m.now_at", "m.now_status")})
            FROM moved m
            JOIN people cp ON cp.id = m.customer
            JOIN people np ON np.id = m.now_referrer
            WHERE m.now_status IS 'credited' AND :credited
        ) ORDER BY customer, step
        """,
        {
            "before": orjson.dumps(rows),
            "fresh": orjson.dumps(fresh),
            "now": now,
            "voided": "referral.voided" in wanted,
            "credited": "referral.credited" in wanted,
        },
    ).rowcount


def _flags(db: Database, keys: set[str]) -> list[dict]:
    """The flags still stored among ``keys``, in the API's Flag shape."""
    found = list_flags(db, keys=sorted(keys), limit=len(keys))
    return [
        flag
        | {"raised_at": iso(flag["raised_at"]), "decided_at": iso(flag["decided_at"])}
        for flag in found
    ]
