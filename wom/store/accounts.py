"""Owners (dashboard logins) and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from ..emails import looks_like_email
from .errors import Conflict, InvalidInput, NotFound

__all__ = [
    "PASSWORD_METHOD",
    "PASSWORD_MAX",
    "PASSWORD_MIN",
    "check_owner",
    "create_owner",
    "has_owner",
    "password_hash",
    "password_matches",
    "set_password_hash",
    "SCOPES",
    "create_token",
    "find_token",
    "list_tokens",
    "mark_token_used",
    "revoke_token",
]

# Werkzeug's default scrypt cost is below OWASP's floor; this is n=2**17, r=8, p=1.
PASSWORD_METHOD = "scrypt:131072:8:1"
# Checked against when the email is unknown, so both paths cost one scrypt.
_DUMMY_HASH = generate_password_hash("not a password", method=PASSWORD_METHOD)


# NIST SP 800-63B: at least 8 characters; wom asks for 12, and caps the length so
# that hashing stays bounded.
PASSWORD_MIN, PASSWORD_MAX = 12, 1024


def password_hash(password: str) -> str:
    """A checked password, hashed (scrypt at OWASP's cost); InvalidInput if weak.

    Hash outside the writer's lock: it takes a good part of a second on purpose.
    """
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInput.field(
            "password", f"use {PASSWORD_MIN} to {PASSWORD_MAX} characters"
        )
    return generate_password_hash(password, method=PASSWORD_METHOD)


def create_owner(db: Database, email: str, hashed: str, now: int) -> int:
    """Add a dashboard owner with a ``password_hash``; return their id."""
    email = email.strip().lower()
    if not looks_like_email(email):
        raise InvalidInput.field(
            "email", "give an email address such as owner@example.org"
        )
    if db.execute("SELECT 1 FROM owners WHERE email = ?", [email]).fetchone():
        raise Conflict(f"An owner with email {email} exists already.")
    cursor = db.execute(
        "INSERT INTO owners(email, password_hash, created_at) VALUES (?, ?, ?)",
        [email, hashed, now],
    )
    return cursor.lastrowid


def has_owner(db: Database) -> bool:
    """Whether any owner exists (until one does, the setup page is open)."""
    return db.execute("SELECT 1 FROM owners LIMIT 1").fetchone() is not None


def set_password_hash(db: Database, owner_id: int, hashed: str) -> None:
    """Replace the owner's password with ``password_hash``'s result."""
    db.execute("UPDATE owners SET password_hash = ? WHERE id = ?", [hashed, owner_id])


def password_matches(db: Database, owner_id: int, password: str) -> bool:
    """Whether ``password`` is the owner's current one."""
    row = db.execute(
        "SELECT password_hash FROM owners WHERE id = ?", [owner_id]
    ).fetchone()
    return row is not None and check_password_hash(row[0], password)


def check_owner(db: Database, email: str, password: str) -> int | None:
    """The owner's id when the password matches, else None."""
    row = db.execute(
        "SELECT id, password_hash FROM owners WHERE email = ?", [email.strip().lower()]
    ).fetchone()
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return row[0] if check_password_hash(row[1], password) else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# What a token may do, each scope including the ones before it.
SCOPES = ("read", "write", "admin")


def create_token(db: Database, name: str, *, scope: str = "write", now: int) -> str:
    """Make an API token; store only its SHA-256 and return the token, once."""
    name = name.strip()
    if not name or len(name) > 64 or not name.isprintable():
        raise InvalidInput.field("name", "give a token name of 1 to 64 characters")
    if scope not in SCOPES:
        raise InvalidInput.field("scope", f"give one of {', '.join(SCOPES)}")
    if db.execute("SELECT 1 FROM tokens WHERE name = ?", [name]).fetchone():
        raise Conflict(f"A token named {name!r} exists already; pick another name.")
    token = "wom_" + secrets.token_urlsafe(32)
    db.execute(
        "INSERT INTO tokens(name, token_sha256, read_only, scope, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [name, _digest(token), int(scope == "read"), scope, now],
    )
    return token


def revoke_token(db: Database, name: str, now: int) -> None:
    """Revoke the token ``name``: from now on it answers nothing (NotFound if no
    such token, Conflict if revoked already)."""
    row = db.execute(
        "SELECT revoked_at FROM tokens WHERE name = ?", [name.strip()]
    ).fetchone()
    if row is None:
        raise NotFound(f"No token named {name!r}; list them to see their names.")
    if row[0] is not None:
        raise Conflict(f"The token {name!r} is revoked already.")
    db.execute("UPDATE tokens SET revoked_at = ? WHERE name = ?", [now, name.strip()])


def mark_token_used(db: Database, token_id: int, now: int) -> None:
    """Record that the token was used at ``now`` (µs)."""
    db.execute("UPDATE tokens SET last_used_at = ? WHERE id = ?", [now, token_id])


def list_tokens(db: Database) -> list[dict]:
    """Every token, newest first: name, scope, when made, last used and revoked
    (times in µs, None when never)."""
    keys = ("name", "scope", "created_at", "last_used_at", "revoked_at")
    return [
        dict(zip(keys, row, strict=True))
        for row in db.execute(
            "SELECT name, scope, created_at, last_used_at, revoked_at FROM tokens "
            "ORDER BY created_at DESC, id DESC"
        )
    ]


def find_token(db: Database, token: str) -> dict | None:
    """The token's id, name and scope, or None for an unknown or revoked token."""
    row = db.execute(
        "SELECT id, name, scope FROM tokens "
        "WHERE token_sha256 = ? AND revoked_at IS NULL",
        [_digest(token)],
    ).fetchone()
    if row is None:
        return None
    return {
        "id": row[0],
        "name": row[1],
        "scope": row[2],
        "read_only": row[2] == "read",
    }
