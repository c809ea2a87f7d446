"""People as the API sees them: list, create or update, their touches, erasure.

A customer posted with ``acquired_at`` is recorded as a ``signup`` event at that
time, through the same append-and-derive path as every other event. Erasure
follows RELIABILITY.md: the identifying fields and free text go, the node keeps its
place in both graphs under a random pseudonym (no mapping is kept), and the file
and its WAL are scrubbed so that the bytes are gone too.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from .changes import Changes
from .checks import check_events
from .connection import BUSY_TIMEOUT_MS, Store
from .derive import derive_batch
from .errors import Conflict, InvalidInput, NotFound
from .ingest import append_events, upsert_identities
from .link_codes import new_link_code
from .settings import read_settings

__all__ = [
    "CUSTOMER_SORTS",
    "SavedCustomer",
    "create_link",
    "credit_of",
    "purchase_value",
    "customer_page",
    "erase",
    "links_of",
    "person_id",
    "flag_customer",
    "save_customer",
    "scrub",
    "touches_of",
]

log = logging.getLogger(__name__)

# How long the checkpoint after an erasure waits for readers, and how often it is
# tried again in the background when one still holds old frames.
CHECKPOINT_WAIT_MS = 2_000
SCRUB_RETRY_SECONDS = 5.0

# ?sort= name -> (column, descending). The internal id breaks ties.
CUSTOMER_SORTS = {
    "acquired_at": ("p.acquired_at", False),
    "-acquired_at": ("p.acquired_at", True),
    "id": ("p.external_id", False),
    "-id": ("p.external_id", True),
}
_CUSTOMER_FIELDS = {"id": "customer", "name": "name", "email": "email"}


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
) -> tuple[list[dict], tuple | None]:
    """One page of customers and the key to pass as ``after`` for the next one.

    ``sort`` is a key of ``CUSTOMER_SORTS``; ``start`` and ``end`` bound
    ``acquired_at`` (microseconds, half-open). The key is ``(sort value, id)``;
    it is None on the last page.
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
    db: Database, customer: dict, *, source: str, now: int
) -> SavedCustomer:
    """Create or update a customer by external id, inside a write transaction.

    ``customer`` is ``{"id", "name"?, "email"?, "acquired_at"?}``. With
    ``acquired_at`` the customer signs up at that time (a replay of the same time
    adds nothing); without it the person is kept, a prospect until they sign up or
    buy. Raises InvalidInput naming the field.
    """
    if not isinstance(customer, dict):
        raise InvalidInput(
            [{"index": None, "field": "(body)", "message": "give a JSON object"}]
        )
    problems = [
        {"index": None, "field": key, "message": "not a customer field; remove it"}
        for key in sorted(set(customer) - {*_CUSTOMER_FIELDS, "acquired_at"})
    ]
    signup = {"type": "signup", "at": customer.get("acquired_at")}
    for key, field in _CUSTOMER_FIELDS.items():
        if customer.get(key) is not None:
            signup[field] = customer[key]
    if customer.get("id") is None:
        problems.append({"index": None, "field": "id", "message": "required"})
    if signup["at"] is None:
        signup["at"] = _iso_now(now)
    currency = read_settings(db)["currency"]
    try:
        (event,) = check_events([signup], currency=currency, now=now)
    except InvalidInput as exc:
        renamed = {"customer": "id", "at": "acquired_at"}
        problems += [
            {
                "index": None,
                "field": renamed.get(p["field"], p["field"]),
                "message": p["message"],
            }
            for p in exc.errors
            if not (p["field"] == "customer" and customer.get("id") is None)
        ]
    if problems:
        raise InvalidInput(problems)
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
    if customer.get("acquired_at") is not None and not _signed_up_at(db, pid, event.at):
        changes = append_events(db, [event], source=source, now=now).changes
    else:
        changed = upsert_identities(db, [(pid, event.name, event.email)])
        changes = _derive_nothing_new(db, changed)
    if created:
        changes.people.add(pid)
    return SavedCustomer(pid, created, changes)


def _iso_now(now: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now // 1_000_000))


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


def purchase_value(db: Database, pid: int) -> float:
    """The total of the person's purchases (0.0 if none)."""
    return db.execute(
        "SELECT coalesce(sum(value), 0.0) FROM purchases WHERE person_id = ?", [pid]
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


def links_of(db: Database, pid: int) -> list[dict]:
    """The person's referral links, oldest first."""
    keys = ("code", "channel", "disabled", "created_at", "clicks", "bot_clicks")
    rows = db.execute(
        "SELECT code, channel, disabled, created_at, clicks, bot_clicks, signups "
        "FROM links WHERE owner_id = ? ORDER BY id",
        [pid],
    )
    return [
        dict(zip((*keys, "signups"), row, strict=True)) | {"disabled": bool(row[2])}
        for row in rows
    ]


def create_link(
    db: Database,
    pid: int,
    *,
    code: str | None = None,
    channel: str | None = None,
    now: int,
) -> dict:
    """Give ``pid`` a new referral link (a random code unless one is asked for)."""
    channel = "default" if channel is None else channel
    if not isinstance(channel, str) or not 1 <= len(channel.strip()) <= 40:
        raise InvalidInput(
            [
                {
                    "index": None,
                    "field": "channel",
                    "message": "give a channel name of 1 to 40 characters",
                }
            ]
        )
    if code is not None:
        if not isinstance(code, str) or not _valid_code(code):
            raise InvalidInput(
                [
                    {
                        "index": None,
                        "field": "code",
                        "message": "give 4 to 64 lower-case letters, digits or -",
                    }
                ]
            )
        if db.execute("SELECT 1 FROM links WHERE code = ?", [code]).fetchone():
            raise Conflict(f"The code {code!r} is taken; pick another or omit it.")
    while code is None:
        code = new_link_code()
        if db.execute("SELECT 1 FROM links WHERE code = ?", [code]).fetchone():
            code = None
    db.execute(
        "INSERT INTO links(code, owner_id, channel, created_at) VALUES (?, ?, ?, ?)",
        [code, pid, channel.strip(), now],
    )
    return next(link for link in links_of(db, pid) if link["code"] == code)


def _valid_code(code: str) -> bool:
    return 4 <= len(code) <= 64 and all(
        c.isascii() and (c.islower() or c.isdigit() or c == "-") for c in code
    )


def erase(
    store: Store,
    external_id: str,
    *,
    within: Callable[[Database], None] | None = None,
) -> str:
    """Erase a person (RELIABILITY.md, Erasure); return the random pseudonym.

    Names, emails, free-text answers and share secrets are deleted, answers that
    name the person are blanked, stored API responses that quote them are dropped,
    and the node is renamed with no mapping kept. Every count, edge and credit
    stays, so aggregate figures do not change. Then ``scrub`` removes the old bytes
    from the file and the WAL. ``within(db)`` runs before COMMIT.
    """
    pseudonym = "erased-" + secrets.token_hex(8)
    with store.write() as db:
        # Zero freed cells as they go; VACUUM below rewrites whatever is left.
        db.execute("PRAGMA secure_delete = ON")
        pid = person_id(db, external_id)
        identity = db.execute(
            "SELECT name, email FROM identities WHERE person_id = ?", [pid]
        ).fetchone()
        quoted = [external_id, *(value for value in identity or () if value)]
        db.execute("DELETE FROM identities WHERE person_id = ?", [pid])
        db.execute("DELETE FROM answers WHERE person_id = ?", [pid])
        db.execute("UPDATE answers SET text = '' WHERE resolved_id = ?", [pid])
        db.execute("DELETE FROM shares WHERE person_id = ?", [pid])
        for text in quoted:
            db.execute(
                "DELETE FROM idempotency_keys WHERE instr(response, ?) > 0", [text]
            )
        db.execute("UPDATE people SET external_id = ? WHERE id = ?", [pseudonym, pid])
        if within is not None:
            within(db)
    store.notify(Changes(people={pid}))
    if not scrub(store):
        _scrub_later(store)
    return pseudonym


def scrub(store: Store) -> bool:
    """Rewrite the database and empty its WAL, so deleted bytes leave the disk.

    VACUUM copies only live rows into fresh pages, and a TRUNCATE checkpoint
    copies them into the file and empties the WAL. A reader still using old frames
    keeps the WAL: then this returns False, having waited ``CHECKPOINT_WAIT_MS``.
    """
    with store.write() as db:
        # The writer lock is held for the whole scrub; leave the open transaction
        # for VACUUM, which cannot run inside one, and begin again at the end.
        db.execute("COMMIT")
        try:
            db.execute("VACUUM")
            db.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
            busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA secure_delete = OFF")
            db.execute("BEGIN IMMEDIATE")
    return not busy


def _scrub_later(store: Store) -> None:
    """Retry the scrub in the background until no reader holds old frames."""

    def retry() -> None:
        while True:
            time.sleep(SCRUB_RETRY_SECONDS)
            try:
                if scrub(store):
                    return
            except Exception:  # a closed store, a full disk: log and give up
                log.exception("scrubbing %s after an erasure failed", store.path)
                return
            log.warning("a reader still holds old WAL frames of %s", store.path)

    threading.Thread(target=retry, name="wom-scrub", daemon=True).start()
