"""What the owner's Customers pages read about people: a bounded search, rows by
id, a person's answers, touches and share page, and who an answer may mean.

Every query here is bounded by an index or a limit, so that a page costs the
same at a million customers as at ten.
"""

from __future__ import annotations

import orjson
from sqlite_utils import Database

from ..emails import looks_like_email, normalise_email
from ..names import normalise_name
from .shares import held_referrals

__all__ = [
    "SEARCH_LIMIT",
    "answer_candidates",
    "customer_rows",
    "search_customers",
    "share_state",
    "touches_around",
    "unresolved_answers_of",
    "unresolved_count",
]

# Customers a search may match before it asks for more letters.
SEARCH_LIMIT = 1_000
# Above every code point: "t" <= text < "t" + _TOP is "text starts with t".
_TOP = "\U0010ffff"


def _starting_with(db: Database, sql: str, prefix: str, limit: int) -> list[int]:
    return [
        row[0] for row in db.execute(sql, [prefix, prefix + _TOP, limit]).fetchall()
    ]


def search_customers(
    db: Database, text: str, limit: int = SEARCH_LIMIT
) -> tuple[list[int], bool]:
    """The customers whose name, email or id starts with ``text`` (names and
    emails loosely, ids exactly): their internal ids, and whether more than
    ``limit`` match (then only ``limit`` come back).

    Each of the three is one range of an index, so no search reads every person.
    """
    text = text.strip()
    if not text:
        return [], False
    found: dict[int, None] = {}
    searches = (
        (
            "SELECT p.id FROM people p WHERE p.external_id >= ? AND "
            "p.external_id < ? AND p.status = 'customer' ORDER BY p.external_id "
            "LIMIT ?",
            text,
        ),
        (
            "SELECT i.person_id FROM identities i JOIN people p ON p.id = i.person_id "
            "WHERE i.name_normalised >= ? AND i.name_normalised < ? "
            "AND p.status = 'customer' ORDER BY i.name_normalised LIMIT ?",
            normalise_name(text),
        ),
        (
            "SELECT i.person_id FROM identities i JOIN people p ON p.id = i.person_id "
            "WHERE i.email_normalised >= ? AND i.email_normalised < ? "
            "AND p.status = 'customer' ORDER BY i.email_normalised LIMIT ?",
            # A whole address is matched as the store keeps it (gmail's dots and
            # tags folded); a beginning is matched as typed, in lower case.
            normalise_email(text) if looks_like_email(text) else text.lower(),
        ),
    )
    for sql, prefix in searches:
        if prefix:
            found.update(dict.fromkeys(_starting_with(db, sql, prefix, limit + 1)))
    ids = list(found)
    return ids[:limit], len(ids) > limit


_ROW_KEYS = (
    "person_id",
    "id",
    "status",
    "acquired_at",
    "acquired_via",
    "name",
    "email",
    "referrer",
    "credit_status",
)


def customer_rows(db: Database, person_ids) -> dict[int, dict]:
    """The people with these internal ids, by id: external ``id``, status,
    acquisition (µs), name, email and their referrer's external id with the
    credit's status (``credited`` or ``held``; None when nobody has credit)."""
    rows = db.execute(
        """
        SELECT p.id, p.external_id, p.status, p.acquired_at, p.acquired_via,
               i.name, i.email, r.external_id, c.status
        FROM json_each(?) j
        CROSS JOIN people p ON p.id = j.value
        LEFT JOIN identities i ON i.person_id = p.id
        LEFT JOIN credits c ON c.customer_id = p.id
        LEFT JOIN people r ON r.id = c.referrer_id
        """,
        [orjson.dumps(list(person_ids))],
    ).fetchall()
    return {row[0]: dict(zip(_ROW_KEYS, row, strict=True)) for row in rows}


def unresolved_answers_of(db: Database, person_id: int) -> list[dict]:
    """The person's "who told you" answers that name nobody yet, oldest first."""
    return [
        {"id": answer_id, "text": text, "created_at": created_at}
        for answer_id, text, created_at in db.execute(
            "SELECT id, text, created_at FROM answers WHERE person_id = ? "
            "AND resolved_id IS NULL AND text != '' ORDER BY id",
            [person_id],
        )
    ]


def unresolved_count(db: Database) -> int:
    """How many answers wait for the owner to say whom they meant."""
    return db.execute(
        "SELECT count(*) FROM answers WHERE resolved_id IS NULL AND text != ''"
    ).fetchone()[0]


def answer_candidates(
    db: Database, text: str, *, exclude: int | None = None, limit: int = 20
) -> list[dict]:
    """Customers an answer may mean: by its email, or whose name is the answer
    or starts with it (a first name alone), the exact names first."""
    text = text.strip()
    if looks_like_email(text):
        sql = (
            "SELECT p.id, p.external_id, i.name FROM identities i "
            "JOIN people p ON p.id = i.person_id WHERE i.email_normalised = ? "
            "AND p.status = 'customer' LIMIT ?"
        )
        rows = db.execute(sql, [normalise_email(text), limit + 1]).fetchall()
    else:
        wanted = normalise_name(text)
        if not wanted:
            return []
        named = (
            "SELECT p.id, p.external_id, i.name FROM identities i "
            "JOIN people p ON p.id = i.person_id WHERE {} AND p.status = 'customer' "
            "ORDER BY i.name_normalised, p.external_id LIMIT ?"
        )
        exact = named.format("i.name_normalised = ?")
        starting = named.format("i.name_normalised > ? AND i.name_normalised < ?")
        rows = db.execute(exact, [wanted, limit + 1]).fetchall()
        rows += db.execute(starting, [wanted, wanted + _TOP, limit + 1]).fetchall()
    return [
        {"id": external_id, "name": name}
        for pid, external_id, name in rows
        if pid != exclude
    ][:limit]


def share_state(db: Database, person_id: int) -> dict:
    """The person's share page: since when they have one (µs, None: never
    opened) and how many of their referrals wait for review."""
    row = db.execute(
        "SELECT created_at FROM shares WHERE person_id = ?", [person_id]
    ).fetchone()
    return {
        "since": row[0] if row else None,
        "held_referrals": held_referrals(db, person_id),
    }


_TOUCH_KEYS = ("id", "kinds", "touches", "first_at", "last_at", "converted", "credited")


def _touch(row: tuple) -> dict:
    found = dict(zip(_TOUCH_KEYS, row, strict=True))
    found["kinds"] = found["kinds"].split(",")
    found["converted"] = bool(found["converted"])
    found["credited"] = bool(found["credited"])
    return found


def touches_around(db: Database, person_id: int, limit: int = 100) -> dict:
    """The person's conversations, oldest first (times in µs): who told them
    (``heard_from``) and whom they told (``told``, the first ``limit``, with
    ``told_count`` of them all); ``credited`` marks the talker who holds the
    listener's counted credit."""
    columns = (
        "p.external_id, t.kinds, t.touches, t.first_at, t.last_at, t.converted, "
        "EXISTS (SELECT 1 FROM credits c WHERE c.customer_id = t.listener_id "
        "AND c.referrer_id = t.talker_id AND c.status = 'credited')"
    )
    heard = db.execute(
        f"SELECT {columns} FROM touches t JOIN people p ON p.id = t.talker_id "
        "WHERE t.listener_id = ? ORDER BY t.first_at, p.external_id LIMIT ?",
        [person_id, limit],
    ).fetchall()
    told = db.execute(
        f"SELECT {columns} FROM touches t JOIN people p ON p.id = t.listener_id "
        "WHERE t.talker_id = ? ORDER BY t.first_at, p.external_id LIMIT ?",
        [person_id, limit],
    ).fetchall()
    count = db.execute(
        "SELECT count(*) FROM touches WHERE talker_id = ?", [person_id]
    ).fetchone()[0]
    return {
        "heard_from": [_touch(row) for row in heard],
        "told": [_touch(row) for row in told],
        "told_count": count,
    }
