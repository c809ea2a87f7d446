"""What the store raises. The web layer maps each to one error shape (wom.errors).

``InvalidInput`` is the contract's: bad input, found by the contract or the store.
"""

from __future__ import annotations

from ..contract.problems import InvalidInput

__all__ = ["StoreError", "StoreLocked", "InvalidInput", "NotFound", "Conflict"]


class StoreError(Exception):
    """Base class for every error the store raises on purpose."""


class StoreLocked(StoreError):
    """Another process holds the database's writer lock file."""


class NotFound(StoreError):
    """The thing asked for does not exist."""


class Conflict(StoreError):
    """The request clashes with what is stored."""
