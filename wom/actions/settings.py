"""The owner changes a setting of the business."""

from __future__ import annotations

from typing import Any

from ..store import Conflict, Store, rederive_credits
from ..store.people import has_purchases
from ..store.settings import (
    ATTRIBUTION_KEYS,
    parse_setting,
    read_settings,
    write_setting,
)

__all__ = ["change_setting"]


def change_setting(store: Store, key: str, value: str) -> Any:
    """Check a typed-in ``value`` for ``key``, store it, and return it as parsed.

    A new attribution rule or window re-derives every credit in the same
    transaction. The currency cannot change once purchases exist: their values
    are kept in its minor units. InvalidInput or Conflict say what to do instead.
    """
    parsed = parse_setting(key, value)
    with store.write() as db:
        current = read_settings(db)[key]
        if parsed == current:
            return parsed
        if key == "currency" and has_purchases(db):
            raise Conflict(
                f"Purchases are kept in {current}; the currency cannot change once "
                "there are purchases. Start a new database for another currency."
            )
        write_setting(db, key, parsed)
        if key in ATTRIBUTION_KEYS:
            rederive_credits(db)
    return parsed
