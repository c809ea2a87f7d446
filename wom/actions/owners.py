"""Owners of the dashboard: the first one's setup, logging in and out, passwords.

Passwords are hashed (and checked) before the writer is taken: scrypt takes a
good part of a second on purpose, and no other write should wait for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..store import Conflict, InvalidInput, Store, accounts
from ..store import owner_sessions as sessions

__all__ = [
    "LoggedIn",
    "change_password",
    "create_owner",
    "log_in",
    "log_out",
    "make_setup_code",
    "set_up_first_owner",
]


@dataclass(frozen=True)
class LoggedIn:
    """A new session: its id goes in the browser's cookie."""

    owner_id: int
    email: str
    session_id: str


def create_owner(store: Store, email: str, password: str, *, now: int) -> int:
    """Add an owner (the CLI's create-owner); return their id."""
    hashed = accounts.password_hash(password)
    with store.write() as db:
        return accounts.create_owner(db, email, hashed, now)


def set_up_first_owner(
    store: Store, email: str, password: str, *, code: str | None, now: int
) -> LoggedIn:
    """Make the first owner and log them in; only while no owner exists, and,
    when ``code`` is given, only with a live one-time setup code."""
    hashed = accounts.password_hash(password)
    with store.write() as db:
        if accounts.has_owner(db):
            raise Conflict("wom has an owner already; log in instead.")
        if code is not None and not sessions.use_setup_code(db, code, now):
            raise InvalidInput.field(
                "code",
                "this setup code is wrong, used or over an hour old; print a new "
                "one with `flask --app wom setup-code`",
            )
        owner_id = accounts.create_owner(db, email, hashed, now)
        session_id = sessions.start_session(db, owner_id, now)
    return LoggedIn(owner_id, email.strip().lower(), session_id)


def make_setup_code(store: Store, *, now: int) -> str:
    """A one-time code that opens the setup page from another machine for an
    hour; refused once an owner exists."""
    with store.write() as db:
        if accounts.has_owner(db):
            raise Conflict("wom has an owner already; add more with create-owner.")
        return sessions.new_setup_code(db, now)


def log_in(store: Store, email: str, password: str, *, now: int) -> LoggedIn | None:
    """A new session when the email and password match an owner, else None."""
    owner_id = accounts.check_owner(store.reader(), email, password)
    if owner_id is None:
        return None
    with store.write() as db:
        session_id = sessions.start_session(db, owner_id, now)
    return LoggedIn(owner_id, email.strip().lower(), session_id)


def log_out(store: Store, session_id: str, *, now: int) -> None:
    """End the session."""
    with store.write() as db:
        sessions.end_session(db, session_id, now)


def change_password(
    store: Store, owner: dict, current: str, new: str, *, now: int
) -> LoggedIn:
    """Set a new password after checking the current one; every session of the
    owner ends, and a new one begins for the browser that asked."""
    if not accounts.password_matches(store.reader(), owner["id"], current):
        raise InvalidInput.field("current_password", "that is not your password")
    hashed = accounts.password_hash(new)
    with store.write() as db:
        accounts.set_password_hash(db, owner["id"], hashed)
        sessions.end_owner_sessions(db, owner["id"], now)
        session_id = sessions.start_session(db, owner["id"], now)
    return LoggedIn(owner["id"], owner["email"], session_id)
