"""API tokens: made and shown once, revoked by name."""

from __future__ import annotations

from ..store import Store, accounts

__all__ = ["create_token", "revoke_token"]


def create_token(store: Store, name: str, *, scope: str = "write", now: int) -> str:
    """Make a token with ``scope`` (read, write or admin); return it, once: only
    its SHA-256 is kept."""
    with store.write() as db:
        return accounts.create_token(db, name, scope=scope, now=now)


def revoke_token(store: Store, name: str, *, now: int) -> None:
    """Revoke the token ``name``: every request that carries it is refused."""
    with store.write() as db:
        accounts.revoke_token(db, name, now)
