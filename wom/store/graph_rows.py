"""Whole tables as plain tuples, in one pass each: what building the graphs reads.

The dict-per-row readers in ``queries`` suit a page; a million-customer cold start
wants tuples straight from the cursor, with times already in POSIX seconds.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
from sqlite_utils import Database

from .schema import DERIVED_TABLES

__all__ = [
    "PEOPLE_COLUMNS",
    "TOUCH_COLUMNS",
    "CREDIT_COLUMNS",
    "people_table",
    "touch_table",
    "credit_table",
    "click_seconds",
    "people_of",
    "values_of",
    "touches_of",
    "credits_of",
]

PEOPLE_COLUMNS = ("id", "external_id", "status", "acquired_at", "acquired_via", "value")
TOUCH_COLUMNS = DERIVED_TABLES["touches"]
CREDIT_COLUMNS = ("customer_id", "referrer_id", "kind", "at")


def people_table(db: Database) -> Iterator[tuple]:
    """Every person as a ``PEOPLE_COLUMNS`` tuple."""
    # Two plain scans and a dict beat a LEFT JOIN on a grouped subquery by a third.
    values = dict(
        db.execute(
            "SELECT person_id, sum(value) FROM purchases GROUP BY person_id"
        ).fetchall()
    )
    get = values.get
    for pid, external_id, status, acquired_at, via in db.execute(
        "SELECT id, external_id, status, acquired_at / 1e6, acquired_via FROM people"
    ):
        yield pid, external_id, status, acquired_at, via, get(pid, 0.0)


def touch_table(db: Database) -> Iterator[tuple]:
    """Every talker -> listener pair as a ``TOUCH_COLUMNS`` tuple."""
    return db.execute(
        "SELECT talker_id, listener_id, kinds, touches, first_at / 1e6, "
        "last_at / 1e6, converted FROM touches"
    )


def credit_table(db: Database) -> Iterator[tuple]:
    """Every counted (not held) credit as a ``CREDIT_COLUMNS`` tuple."""
    return db.execute(
        "SELECT customer_id, referrer_id, kind, at / 1e6 FROM credits "
        "WHERE status = 'credited'"
    )


def click_seconds(db: Database) -> list[float]:
    """When every human click that counts happened, in POSIX seconds: the start
    of each human run (``clicks.py``), since a visitor's repeat click on a link
    within 30 minutes does not count (as on the link). The runs lead with their
    class, so this reads them alone, in key order."""
    return [
        row[0]
        for row in db.execute(
            "SELECT start_at / 1e6 FROM click_runs WHERE ua_class = 'human'"
        )
    ]


# The readers below take the keys as one JSON parameter read by json_each: one
# statement, with no temp table to fill row by row first.


def people_of(db: Database, ids) -> Iterator[tuple]:
    """The people in ``ids`` as ``PEOPLE_COLUMNS`` tuples (unknown ids are skipped)."""
    return db.execute(
        "SELECT p.id, p.external_id, p.status, p.acquired_at / 1e6, p.acquired_via, "
        "coalesce((SELECT sum(value) FROM purchases u WHERE u.person_id = p.id), 0.0) "
        "FROM json_each(?) j CROSS JOIN people p ON p.id = j.value",
        [orjson.dumps(list(ids))],
    )


def values_of(db: Database, ids) -> Iterator[tuple]:
    """The purchase total of each of ``ids``, as ``(id, value)`` tuples."""
    return db.execute(
        "SELECT j.value, coalesce((SELECT sum(value) FROM purchases u "
        "WHERE u.person_id = j.value), 0.0) FROM json_each(?) j",
        [orjson.dumps(list(ids))],
    )


def touches_of(db: Database, pairs) -> Iterator[tuple]:
    """The (talker, listener) ``pairs`` as ``TOUCH_COLUMNS`` tuples."""
    return db.execute(
        "SELECT t.talker_id, t.listener_id, t.kinds, t.touches, t.first_at / 1e6, "
        "t.last_at / 1e6, t.converted FROM json_each(?) j CROSS JOIN touches t "
        "ON t.talker_id = j.value ->> 0 AND t.listener_id = j.value ->> 1",
        [orjson.dumps(list(pairs))],
    )


def credits_of(db: Database, customers) -> Iterator[tuple]:
    """The counted (not held) credits of ``customers`` as ``CREDIT_COLUMNS`` tuples."""
    return db.execute(
        "SELECT c.customer_id, c.referrer_id, c.kind, c.at / 1e6 FROM json_each(?) j "
        "CROSS JOIN credits c ON c.customer_id = j.value WHERE c.status = 'credited'",
        [orjson.dumps(list(customers))],
    )
