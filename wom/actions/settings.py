"""The owner changes a setting of the business."""

from __future__ import annotations

from typing import Any

from ..store import Conflict, Store, now_micros
from ..store.people import has_purchases
from ..store.rederivation import begin_switch
from ..store.settings import (
    ATTRIBUTION_KEYS,
    parse_setting,
    read_settings,
    write_setting,
)
from .switching import continue_in_background, run_switch

__all__ = ["change_setting"]


def change_setting(store: Store, key: str, value: str, *, background: bool = False):
    """Check a typed-in ``value`` for ``key``, store it, and return it as parsed.

    A new attribution rule or window re-derives every credit in chunks, each
    its own short write transaction, so that sign-ups and clicks keep flowing:
    in a thread of its own with ``background`` (a server), else here before
    returning (the CLI). The new rule applies at once to every credit derived
    from then on. The currency cannot change once purchases exist: their values
    are kept in its minor units. InvalidInput or Conflict say what to do instead.
    """
    parsed: Any = parse_setting(key, value)
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
            begin_switch(db, now_micros())
    if key in ATTRIBUTION_KEYS:
        if background:
            continue_in_background(store)
        else:
            run_switch(store)
    return parsed
