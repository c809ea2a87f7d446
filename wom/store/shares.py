"""What the landing pages ask the store: links, share secrets, people by email.

Every function takes the database first. Reads work on any connection; the one
that writes (``share_secret``) runs inside the caller's ``store.write()``
transaction, so a sign-up is all or nothing.
"""

from __future__ import annotations

import json
import secrets

from sqlite_utils import Database

from ..emails import normalise_email

__all__ = [
    "held_referrals",
    "landing_link",
    "is_own_visitor",
    "person_id_of",
    "person_by_email",
    "share_secret",
    "share_secret_of",
    "person_by_share_secret",
]


def landing_link(db: Database, code: str, visitor: str | None = None) -> dict | None:
    """The enabled link with ``code`` and its owner's name; None if unknown or off.

    ``owner_visitors`` are the consented cookies the owner signed up or bought
    with, and ``opened_by_owner`` says whether ``visitor`` is one of them: one
    query for the hot path of every click.
    """
    row = db.execute(
        "SELECT l.id, l.code, l.owner_id, p.external_id, i.name, "
        "(SELECT json_group_array(d.value) FROM devices d "
        "WHERE d.person_id = l.owner_id AND d.kind = 'visitor') "
        "FROM links l JOIN people p ON p.id = l.owner_id "
        "LEFT JOIN identities i ON i.person_id = l.owner_id "
        "WHERE l.code = ? AND l.disabled = 0",
        [code],
    ).fetchone()
    if row is None:
        return None
    keys = ("id", "code", "owner_id", "owner_external_id", "owner_name")
    found = dict(zip(keys, row[:5], strict=True))
    found["owner_visitors"] = frozenset(json.loads(row[5]))
    found["opened_by_owner"] = (
        visitor is not None and visitor in found["owner_visitors"]
    )
    return found


def is_own_visitor(db: Database, person_id: int, visitor: str) -> bool:
    """Whether ``visitor`` is a cookie that ``person_id`` signed up or bought with."""
    return (
        db.execute(
            "SELECT 1 FROM devices WHERE person_id = ? AND kind = 'visitor' "
            "AND value = ?",
            [person_id, visitor],
        ).fetchone()
        is not None
    )


def person_id_of(db: Database, external_id: str) -> int | None:
    """The internal id of a person, by external id."""
    row = db.execute(
        "SELECT id FROM people WHERE external_id = ?", [external_id]
    ).fetchone()
    return row[0] if row else None


def person_by_email(db: Database, email: str) -> dict | None:
    """The earliest person whose normalised email matches ``email``; None if nobody.

    Two people can share a normalised email (a self-referral attempt makes a
    second one on purpose), so the first one known is the one recognised.
    """
    row = db.execute(
        "SELECT p.id, p.external_id, p.status, i.name FROM identities i "
        "JOIN people p ON p.id = i.person_id "
        "WHERE i.email_normalised = ? ORDER BY p.id LIMIT 1",
        [normalise_email(email)],
    ).fetchone()
    if row is None:
        return None
    return dict(zip(("id", "external_id", "status", "name"), row, strict=True))


def share_secret_of(db: Database, person_id: int) -> str | None:
    """The secret in a person's share-page address, if they have one."""
    row = db.execute(
        "SELECT secret FROM shares WHERE person_id = ?", [person_id]
    ).fetchone()
    return row[0] if row else None


def share_secret(db: Database, person_id: int, now: int) -> tuple[str, bool]:
    """The person's share secret, made now if missing: ``(secret, created)``."""
    existing = share_secret_of(db, person_id)
    if existing is not None:
        return existing, False
    while True:
        # 128 bits: the address is the only key to the page.
        secret = secrets.token_urlsafe(16)
        cursor = db.execute(
            "INSERT OR IGNORE INTO shares(person_id, secret, created_at) "
            "VALUES (?, ?, ?)",
            [person_id, secret, now],
        )
        if cursor.rowcount:
            return secret, True


def person_by_share_secret(db: Database, secret: str) -> dict | None:
    """The customer whose share page has ``secret``, with name and enabled link."""
    row = db.execute(
        """
        SELECT p.id, p.external_id, p.status, i.name,
               (SELECT code FROM links l WHERE l.owner_id = p.id AND l.disabled = 0
                ORDER BY l.channel != 'default', l.id LIMIT 1)
        FROM shares s JOIN people p ON p.id = s.person_id
        LEFT JOIN identities i ON i.person_id = p.id
        WHERE s.secret = ?
        """,
        [secret],
    ).fetchone()
    if row is None:
        return None
    keys = ("id", "external_id", "status", "name", "code")
    return dict(zip(keys, row, strict=True))


def held_referrals(db: Database, person_id: int) -> int:
    """How many of the person's referrals wait for the owner's review (held)."""
    return db.execute(
        "SELECT count(*) FROM credits WHERE referrer_id = ? AND status = 'held'",
        [person_id],
    ).fetchone()[0]
