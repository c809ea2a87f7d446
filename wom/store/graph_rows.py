"""Whole tables as plain tuples, in one pass each: what building the graphs reads.

The dict-per-row readers in ``queries`` suit a page; a million-customer cold start
wants tuples straight from the cursor, with times already in POSIX seconds.
"""

from __future__ import annotations

from collections.abc import Iterator

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
    """When every human click happened, in POSIX seconds."""
    return [
        row[0]
        for row in db.execute(
            "SELECT at / 1e6 FROM events WHERE type = 'click' AND ua_class = 'human'"
        )
    ]
