"""The owner's decision on a review flag."""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from ..store import Store, people
from ..store.reviews import decide

__all__ = ["DECISIONS", "decide_flag"]

# What the owner says -> what is stored.
DECISIONS = {"approve": "approved", "void": "voided"}


def decide_flag(
    store: Store,
    flag_id: str,
    decision: str,
    *,
    now: int,
    within: Callable[[Database, dict], None] | None = None,
) -> dict:
    """Approve or void the credit a flag is about; return the flag's outcome:
    ``id``, ``status``, ``customer`` (external id) and the customer's ``credit``
    as it stands after the decision (None when they have none)."""
    with store.write() as db:
        pid, customer = people.flag_customer(db, flag_id)
        decide(db, flag_id, DECISIONS[decision], now)
        outcome = {
            "id": flag_id,
            "status": DECISIONS[decision],
            "customer": customer,
            "credit": people.credit_of(db, pid) if pid is not None else None,
        }
        if within is not None:
            within(db, outcome)
    return outcome
