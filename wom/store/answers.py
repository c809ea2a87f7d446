""" "Who told you about us?" answers: kept as typed, resolved to a customer when
they name exactly one, and left for the owner to resolve when they don't.

Every function takes the database first; the ones that write run inside the
caller's ``store.write()`` transaction.
"""

from __future__ import annotations

from sqlite_utils import Database

from ..emails import looks_like_email
from ..names import normalise_name
from .errors import Conflict, NotFound
from .shares import person_by_email

__all__ = [
    "answer_of",
    "customer_named",
    "mark_resolved",
    "record_answer",
    "resolve_answer",
    "unresolved_answers",
]


def customer_named(db: Database, text: str) -> dict | None:
    """The one customer whose full name matches ``text`` loosely; None if none or
    several (an ambiguous answer stays for the owner to resolve)."""
    wanted = normalise_name(text)
    if not wanted:
        return None
    found = [
        {"id": pid, "external_id": external_id}
        for pid, external_id in db.execute(
            "SELECT p.id, p.external_id FROM identities i "
            "JOIN people p ON p.id = i.person_id "
            "WHERE i.name_normalised = ? AND p.status = 'customer' LIMIT 2",
            [wanted],
        )
    ]
    return found[0] if len(found) == 1 else None


def resolve_answer(db: Database, text: str) -> dict | None:
    """The customer a "who told you about us?" answer names, by email or by an
    unambiguous full name; None when it matches nobody (or several)."""
    text = text.strip()
    if looks_like_email(text):
        person = person_by_email(db, text)
        if person is not None and person["status"] == "customer":
            return {"id": person["id"], "external_id": person["external_id"]}
        return None
    return customer_named(db, text)


def record_answer(
    db: Database, person_id: int, text: str, resolved_id: int | None, now: int
) -> int:
    """Keep an answer as typed, resolved to a person or not; return its id."""
    cursor = db.execute(
        "INSERT INTO answers(person_id, text, resolved_id, created_at) "
        "VALUES (?, ?, ?, ?)",
        [person_id, text, resolved_id, now],
    )
    return cursor.lastrowid


def answer_of(db: Database, answer_id: int) -> dict:
    """One answer: who gave it, its text, to whom it resolved, when (NotFound)."""
    row = db.execute(
        "SELECT a.id, a.person_id, p.external_id, a.text, a.resolved_id, "
        "a.created_at FROM answers a JOIN people p ON p.id = a.person_id "
        "WHERE a.id = ?",
        [answer_id],
    ).fetchone()
    if row is None:
        raise NotFound(f"No answer {answer_id}.")
    keys = ("id", "person_id", "external_id", "text", "resolved_id", "created_at")
    return dict(zip(keys, row, strict=True))


def unresolved_answers(db: Database, *, limit: int = 100, after: int = 0) -> list:
    """Answers that name nobody yet (ambiguous names, unknown text), oldest first,
    ``limit`` at a time after the answer id ``after``."""
    keys = ("id", "person_id", "external_id", "text", "created_at")
    return [
        dict(zip(keys, row, strict=True))
        for row in db.execute(
            "SELECT a.id, a.person_id, p.external_id, a.text, a.created_at "
            "FROM answers a JOIN people p ON p.id = a.person_id "
            "WHERE a.resolved_id IS NULL AND a.text != '' AND a.id > ? "
            "ORDER BY a.id LIMIT ?",
            [after, limit],
        )
    ]


def mark_resolved(db: Database, answer_id: int, resolved_id: int) -> None:
    """Record that the answer names ``resolved_id`` (Conflict if it already does
    name somebody: an owner's second thought is a new touch, not a rewrite)."""
    cursor = db.execute(
        "UPDATE answers SET resolved_id = ? WHERE id = ? AND resolved_id IS NULL",
        [resolved_id, answer_id],
    )
    if not cursor.rowcount:
        raise Conflict(f"Answer {answer_id} is resolved already.")
