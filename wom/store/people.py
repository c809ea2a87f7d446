"""People as the API sees them: list, create or update, their touches and credit.

A customer posted with ``acquired_at`` is recorded as a ``signup`` event at that
time, through the same append-and-derive path as every other event. Their links
are ``links.py``; erasing them is ``erasure.py``.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

import msgspec
import orjson
from sqlite_utils import Database

from ..contract import CustomerInput
from .changes import Changes
from .derive import derive_batch
from .errors import NotFound
from .ingest import append_events, upsert_identities
from .settings import event_rules

__all__ = [
    "has_purchases",
    "names_of",
    "CUSTOMER_SORTS",
    "SavedCustomer",
    "credit_of",
    "purchase_value",
    "customer_page",
    "person_id",
    "flag_customer",
    "new_external_id",
    "save_customer",
    "touches_of",
]

log = logging.getLogger(__name__)

# ?sort= name -> (column, descending). The internal id breaks ties.
CUSTOMER_SORTS = {
    "acquired_at": ("p.acquired_at", False),
    "-acquired_at": ("p.acquired_at", True),
    "id": ("p.external_id", False),
    "-id": ("p.external_id", True),
}


def new_external_id() -> str:
    """A short, unique, stable id for a person created without one (``p-...``)."""
    return "p-" + secrets.token_urlsafe(8)[:10].replace("_", "x").replace("-", "y")


def person_id(db: Database, external_id: str) -> int:
    """The internal id of the person with ``external_id``; NotFound if unknown."""
    row = db.execute(
        "SELECT id FROM people WHERE external_id = ?", [external_id]
    ).fetchone()
    if row is None:
        raise NotFound(f"No customer with id {external_id!r}; check the id.")
    return row[0]


def customer_page(
    db: Database,
    *,
    sort: str = "acquired_at",
    acquired_via: str | None = None,
    start: int | None = None,
    end: int | None = None,
    after: tuple | None = None,
    limit: int = 100,
    person_ids: bool = False,
) -> tuple[list[dict], tuple | None]:
    """One page of customers and the key to pass as ``after`` for the next one.

    ``sort`` is a key of ``CUSTOMER_SORTS``; ``start`` and ``end`` bound
    ``acquired_at`` (microseconds, half-open). The key is ``(sort value, id)``;
    it is None on the last page. With ``person_ids`` each row also carries its
    internal ``person_id``.
    """
    column, descending = CUSTOMER_SORTS[sort]
    where = ["p.status = 'customer'"]
    params: list = []
    if acquired_via is not None:
        where.append("p.acquired_via = ?")
        params.append(acquired_via)
    if start is not None:
        where.append("p.acquired_at >= ?")
        params.append(start)
    if end is not None:
        where.append("p.acquired_at < ?")
        params.append(end)
    if after is not None:
        where.append(f"({column}, p.id) {'<' if descending else '>'} (?, ?)")
        params.extend(after)
    direction = "DESC" if descending else "ASC"
    rows = db.execute(
        f"""
        SELECT p.id, p.external_id, p.status, p.acquired_at, p.acquired_via,
               i.name, i.email, r.external_id, c.status, {column}
        FROM people p
        LEFT JOIN identities i ON i.person_id = p.id
        LEFT JOIN credits c ON c.customer_id = p.id
        LEFT JOIN people r ON r.id = c.referrer_id
        WHERE {" AND ".join(where)}
        ORDER BY {column} {direction}, p.id {direction}
        LIMIT ?
        """,
        [*params, limit + 1],
    ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    keys = ("id", "status", "acquired_at", "acquired_via", "name", "email")
    page = []
    for row in rows:
        found = dict(zip(keys, row[1:7], strict=True))
        found["credited_referrer"] = row[7] if row[8] == "credited" else None
        if person_ids:
            found["person_id"] = row[0]
        page.append(found)
    following = (rows[-1][9], rows[-1][0]) if more else None
    return page, following


@dataclass
class SavedCustomer:
    """What ``save_customer`` did."""

    person_id: int
    created: bool
    changes: Changes


def save_customer(
    db: Database, customer: CustomerInput, *, source: str, now: int
) -> SavedCustomer:
    """Create or update a customer by external id, inside a write transaction.

    With ``acquired_at`` the customer signs up at that time (a replay of the same
    time adds nothing); without it the person is kept, a prospect until they sign
    up or buy. Raises InvalidInput naming the field (``acquired_at`` out of range).
    """
    event = customer.signup(event_rules(db, now), now)
    external_id = event.listener
    found = db.execute(
        "SELECT id FROM people WHERE external_id = ?", [external_id]
    ).fetchone()
    created = found is None
    if created:
        pid = db.execute(
            "INSERT INTO people(external_id, created_at) VALUES (?, ?)",
            [external_id, now],
        ).lastrowid
    else:
        pid = found[0]
    dated = customer.acquired_at is not msgspec.UNSET
    if dated and not _signed_up_at(db, pid, event.at):
        changes = append_events(db, [event], source=source, now=now).changes
    else:
        changed = upsert_identities(db, [(pid, event.name, event.email)])
        changes = _derive_nothing_new(db, changed)
    if created:
        changes.people.add(pid)
        db.changes.people.add(pid)
    return SavedCustomer(pid, created, changes)


def _signed_up_at(db: Database, pid: int, at: int) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM events WHERE listener_id = ? AND at = ? AND type = 'signup'",
            [pid, at],
        ).fetchone()
        is not None
    )


def _derive_nothing_new(db: Database, identities: set[int]) -> Changes:
    """Derive after a change of identities alone (an empty range of events)."""
    last = db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    return derive_batch(db, last + 1, last, identities=identities)


def touches_of(db: Database, pid: int) -> list[dict]:
    """Every conversation ``pid`` is in, either way, oldest first (times in µs)."""
    rows = db.execute(
        """
        SELECT a.external_id, b.external_id, t.kinds, t.touches, t.first_at,
               t.last_at, t.converted
        FROM touches t
        JOIN people a ON a.id = t.talker_id
        JOIN people b ON b.id = t.listener_id
        WHERE t.talker_id = :pid OR t.listener_id = :pid
        ORDER BY t.first_at, a.external_id, b.external_id
        """,
        {"pid": pid},
    )
    return [
        {
            "from": talker,
            "to": listener,
            "kinds": kinds.split(","),
            "touches": count,
            "first_at": first,
            "last_at": last,
            "converted": bool(converted),
        }
        for talker, listener, kinds, count, first, last, converted in rows
    ]


def names_of(db: Database, external_ids) -> dict[str, str]:
    """The names of the people with these external ids (those who gave one)."""
    return dict(
        db.execute(
            "SELECT p.external_id, i.name FROM json_each(?) j "
            "CROSS JOIN people p ON p.external_id = j.value "
            "JOIN identities i ON i.person_id = p.id WHERE i.name IS NOT NULL",
            [orjson.dumps(list(external_ids))],
        ).fetchall()
    )


def has_customers(db: Database) -> bool:
    """Whether anybody is a customer yet."""
    row = db.execute("SELECT 1 FROM people WHERE status = 'customer' LIMIT 1")
    return row.fetchone() is not None


def has_purchases(db: Database) -> bool:
    """Whether any purchase is stored."""
    return db.execute("SELECT 1 FROM purchases LIMIT 1").fetchone() is not None


def purchase_value(db: Database, pid: int) -> int:
    """The total of the person's purchases, in minor units (0 if none)."""
    return db.execute(
        "SELECT coalesce(sum(value), 0) FROM purchases WHERE person_id = ?", [pid]
    ).fetchone()[0]


def credit_of(db: Database, pid: int) -> dict | None:
    """The customer's credited (or held) referrer, by external id, or None."""
    row = db.execute(
        """
        SELECT r.external_id, c.kind, c.at, c.status FROM credits c
        JOIN people r ON r.id = c.referrer_id WHERE c.customer_id = ?
        """,
        [pid],
    ).fetchone()
    if row is None:
        return None
    return dict(zip(("referrer", "kind", "at", "status"), row, strict=True))


def flag_customer(db: Database, flag_key: str) -> tuple[int | None, str | None]:
    """The internal and external id of the customer a flag is about (None, None
    for a flag about no single customer); NotFound for an unknown flag."""
    row = db.execute(
        "SELECT p.id, p.external_id FROM flags f "
        "LEFT JOIN people p ON p.id = f.customer_id WHERE f.key = ?",
        [flag_key],
    ).fetchone()
    if row is None:
        raise NotFound(f"No flag {flag_key!r}; list them at /api/v1/flags.")
    return row[0], row[1]
