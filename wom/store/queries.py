"""Read-only questions to the store. Every SELECT the web layer needs lives here."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sqlite_utils import Database

from .errors import NotFound

__all__ = [
    "overview",
    "people_rows",
    "touch_rows",
    "credit_rows",
    "person",
    "person_by_link",
    "busiest_link",
    "derived_snapshot",
    "credit_evidence",
    "people_arrays",
    "touch_arrays",
    "credit_arrays",
    "credit_evidence_arrays",
]

_US = 1_000_000.0


def overview(db: Database) -> dict:
    """Headline counts for the home page and the API (money in minor units)."""
    row = db.execute(
        """
        SELECT
          (SELECT count(*) FROM people WHERE status = 'customer'),
          (SELECT count(*) FROM people WHERE status = 'prospect'),
          (SELECT count(*) FROM people WHERE acquired_via IN ('referred', 'mention')),
          (SELECT count(*) FROM touches),
          (SELECT coalesce(sum(clicks), 0) FROM links),
          (SELECT coalesce(sum(bot_clicks), 0) FROM links),
          (SELECT count(*) FROM purchases),
          (SELECT coalesce(sum(value), 0) FROM purchases),
          (SELECT count(*) FROM events),
          (SELECT count(*) FROM flags WHERE status = 'open')
        """
    ).fetchone()
    (
        customers,
        prospects,
        by_wom,
        edges,
        clicks,
        bots,
        purchases,
        value,
        events,
        flags,
    ) = row
    return {
        "customers": customers,
        "prospects": prospects,
        "customers_by_word_of_mouth": by_wom,
        "wom_share": by_wom / customers if customers else None,
        "conversations": edges,
        "human_clicks": clicks,
        "bot_clicks": bots,
        "purchases": purchases,
        "purchase_value": value,  # minor units of the business's currency
        "events": events,
        "open_flags": flags,
    }


def people_rows(db: Database) -> Iterator[dict]:
    """Every person with the graph's node attributes (times in POSIX seconds)."""
    cursor = db.execute(
        """
        SELECT p.id, p.external_id, p.status, p.acquired_at, p.acquired_via,
               coalesce((SELECT sum(value) FROM purchases u
                         WHERE u.person_id = p.id), 0.0)
        FROM people p
        """
    )
    for pid, external_id, status, acquired_at, via, value in cursor:
        yield {
            "id": pid,
            "external_id": external_id,
            "status": status,
            "acquired_at": acquired_at / _US if acquired_at is not None else None,
            "acquired_via": via,
            "value": value,
        }


def touch_rows(db: Database) -> Iterator[dict]:
    """Every talker -> listener pair (times in POSIX seconds)."""
    cursor = db.execute(
        "SELECT talker_id, listener_id, kinds, touches, first_at, last_at, converted "
        "FROM touches"
    )
    for talker, listener, kinds, count, first, last, converted in cursor:
        yield {
            "talker_id": talker,
            "listener_id": listener,
            "kinds": kinds,
            "touches": count,
            "first_at": first / _US,
            "last_at": last / _US,
            "converted": converted,
        }


def credit_rows(db: Database, *, held: bool = False) -> Iterator[dict]:
    """Every credited referrer (held ones too when ``held``)."""
    statuses = "('credited', 'held')" if held else "('credited')"
    cursor = db.execute(
        "SELECT customer_id, referrer_id, kind, at, status FROM credits "
        f"WHERE status IN {statuses}"
    )
    for customer, referrer, kind, at, status in cursor:
        yield {
            "customer_id": customer,
            "referrer_id": referrer,
            "kind": kind,
            "at": at / _US,
            "status": status,
        }


def person(db: Database, external_id: str) -> dict:
    """One person by external id, with identity and link; NotFound if unknown."""
    row = db.execute(
        """
        SELECT p.id, p.external_id, p.status, p.acquired_at, p.acquired_via,
               i.name, i.email
        FROM people p LEFT JOIN identities i ON i.person_id = p.id
        WHERE p.external_id = ?
        """,
        [external_id],
    ).fetchone()
    if row is None:
        raise NotFound(f"No customer with id {external_id!r}.")
    keys = (
        "id",
        "external_id",
        "status",
        "acquired_at",
        "acquired_via",
        "name",
        "email",
    )
    found = dict(zip(keys, row, strict=True))
    found["links"] = [
        dict(zip(("code", "channel", "clicks", "signups"), link, strict=True))
        for link in db.execute(
            "SELECT code, channel, clicks, signups FROM links WHERE owner_id = ? "
            "ORDER BY id",
            [found["id"]],
        )
    ]
    return found


def person_by_link(db: Database, code: str) -> dict:
    """The owner of an enabled link; NotFound for an unknown or disabled code."""
    row = db.execute(
        "SELECT p.external_id FROM links l JOIN people p ON p.id = l.owner_id "
        "WHERE l.code = ? AND l.disabled = 0",
        [code],
    ).fetchone()
    if row is None:
        raise NotFound(f"No referral link {code!r}.")
    return person(db, row[0])


def busiest_link(db: Database) -> str | None:
    """The code of the link with the most sign-ups (the home page's example)."""
    row = db.execute(
        "SELECT code FROM links WHERE disabled = 0 ORDER BY signups DESC, clicks DESC, "
        "id LIMIT 1"
    ).fetchone()
    return row[0] if row else None


def derived_snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every derived row, sorted: what a rebuild must reproduce exactly."""
    from .schema import DERIVED_TABLES

    snapshot = {}
    for table, columns in DERIVED_TABLES.items():
        where = " WHERE kind IN ('self_referral', 'held')" if table == "flags" else ""
        snapshot[table] = [
            tuple(row)
            for row in db.execute(
                f"SELECT {', '.join(columns)} FROM {table}{where} "
                f"ORDER BY {', '.join(columns)}"
            )
        ]
    return snapshot


# What the burst rule (docs/metrics.md) reads: each counted credit, at its customer's
# conversion; a credit earned by a sign-up through the link carries that sign-up's
# visitor cookie and IP hash (the event the credit names), others none.
_CREDIT_EVIDENCE = (
    "SELECT c.customer_id, c.referrer_id, p.acquired_at, e.ip_hmac, e.visitor "
    "FROM credits c CROSS JOIN people p ON p.id = c.customer_id "
    "LEFT JOIN events e ON e.seq = c.touch_seq AND c.kind = 'link' "
    "WHERE c.status = 'credited'"
)


def credit_evidence(db: Database) -> Iterator[dict]:
    """Every credited sign-up, at its conversion, with its device facts: what the
    burst and shared-device checks look at."""
    for customer, referrer, at, ip_hmac, visitor in db.execute(_CREDIT_EVIDENCE):
        yield {
            "customer_id": customer,
            "referrer_id": referrer,
            "at": at / _US,
            "ip_hmac": ip_hmac,
            "visitor": visitor,
        }


# -- column arrays for the background worker ---------------------------------------
# A million rows as dicts cost seconds and gigabytes; these read the same rows as
# numpy columns, chunk by chunk, with the string columns decoded in SQL.

_KIND_BITS = {"link": 1, "mention": 2, "heard_from": 4, "referral": 8}
_VIA_CODES = {"root": 1, "referred": 2, "mention": 3}


def _columns(cursor, dtypes: tuple, chunk: int = 200_000) -> list:
    """The rows of ``cursor`` as one array per column (dtype None: a list)."""
    parts: list[list] = [[] for _ in dtypes]
    while rows := cursor.fetchmany(chunk):
        for part, column, dtype in zip(
            parts, zip(*rows, strict=True), dtypes, strict=True
        ):
            part.append(list(column) if dtype is None else np.array(column, dtype))
    return [
        [x for p in part for x in p]
        if dtype is None
        else (np.concatenate(part) if part else np.zeros(0, dtype))
        for part, dtype in zip(parts, dtypes, strict=True)
    ]


def people_arrays(db: Database) -> dict:
    """Every person by ascending id, as columns.

    ``id`` (int64), ``customer`` (bool), ``acquired_via`` (int8: 0 for none, then
    ``VIA_CODES``) and ``external_id`` (a list of str).
    """
    via = " ".join(f"WHEN '{k}' THEN {v}" for k, v in _VIA_CODES.items())
    cursor = db.execute(
        f"SELECT id, status = 'customer', CASE acquired_via {via} ELSE 0 END, "
        "external_id FROM people ORDER BY id"
    )
    ids, customer, acquired_via, external_id = _columns(
        cursor, (np.int64, np.bool_, np.int8, None)
    )
    return {
        "id": ids,
        "customer": customer,
        "acquired_via": acquired_via,
        "external_id": external_id,
    }


def touch_arrays(db: Database) -> dict:
    """Every talker -> listener pair, in key order, as columns.

    ``talker_id``, ``listener_id`` (int64), ``kinds`` (uint8 bits, ``KIND_BITS``)
    and ``converted`` (bool).
    """
    bits = " + ".join(
        f"{bit} * (instr(kinds, '{kind}') > 0)" for kind, bit in _KIND_BITS.items()
    )
    cursor = db.execute(
        f"SELECT talker_id, listener_id, {bits}, converted != 0 FROM touches "
        "ORDER BY talker_id, listener_id"
    )
    talker, listener, kinds, converted = _columns(
        cursor, (np.int64, np.int64, np.uint8, np.bool_)
    )
    return {
        "talker_id": talker,
        "listener_id": listener,
        "kinds": kinds,
        "converted": converted,
    }


def credit_arrays(db: Database) -> dict:
    """Credited (not held) referrers: ``customer_id`` and ``referrer_id`` columns."""
    cursor = db.execute(
        "SELECT customer_id, referrer_id FROM credits WHERE status = 'credited'"
    )
    customer, referrer = _columns(cursor, (np.int64, np.int64))
    return {"customer_id": customer, "referrer_id": referrer}


def credit_evidence_arrays(db: Database) -> dict:
    """:func:`credit_evidence` as columns: ids (int64), ``at`` (float seconds) and
    ``ip_hmac``/``visitor`` (lists, None where unknown), in the same order."""
    cursor = db.execute(_CREDIT_EVIDENCE)
    customer, referrer, at, ip_hmac, visitor = _columns(
        cursor, (np.int64, np.int64, np.int64, None, None)
    )
    return {
        "customer_id": customer,
        "referrer_id": referrer,
        "at": at / _US,
        "ip_hmac": ip_hmac,
        "visitor": visitor,
    }
