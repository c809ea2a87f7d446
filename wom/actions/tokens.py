"""API tokens: made and shown once, revoked by name, their last use noted."""

from __future__ import annotations

import threading

from ..store import Store, accounts

__all__ = ["USE_NOTED_EVERY", "create_token", "note_token_use", "revoke_token"]

# A token's last use is written at most this often (µs): a write per request
# would put every API read behind the writer.
USE_NOTED_EVERY = 60_000_000
_noted: dict[tuple, int] = {}
_noted_lock = threading.Lock()


def create_token(store: Store, name: str, *, scope: str = "write", now: int) -> str:
    """Make a token with ``scope`` (read, write or admin); return it, once: only
    its SHA-256 is kept."""
    with store.write() as db:
        return accounts.create_token(db, name, scope=scope, now=now)


def revoke_token(store: Store, name: str, *, now: int) -> None:
    """Revoke the token ``name``: every request that carries it is refused."""
    with store.write() as db:
        accounts.revoke_token(db, name, now)


def note_token_use(store: Store, token_id: int, *, now: int) -> bool:
    """Note that the token was used now, unless it was noted less than
    ``USE_NOTED_EVERY`` ago by this process; return whether it was written."""
    key = (str(store.path), token_id)
    with _noted_lock:
        if now - _noted.get(key, -USE_NOTED_EVERY) < USE_NOTED_EVERY:
            return False
        _noted[key] = now
    with store.write() as db:
        accounts.mark_token_used(db, token_id, now)
    return True
