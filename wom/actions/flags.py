"""The owner's decision on a review flag."""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from ..store import Store, people
from ..store.flags import flag_credits
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
    """Approve or void the credits a flag named when it was raised; return the
    flag's outcome: ``id``, ``status``, the ``credits`` it applied to (external
    ids), and, for a flag about one customer, that ``customer`` and their
    ``credit`` as it stands after the decision (None when they have none)."""
    with store.write() as db:
        pid, customer = people.flag_customer(db, flag_id)
        decide(db, flag_id, DECISIONS[decision], now)
        outcome = {
            "id": flag_id,
            "status": DECISIONS[decision],
            "customer": customer,
            "credit": people.credit_of(db, pid) if pid is not None else None,
            "credits": [
                {side: credit[side]["external_id"] for side in credit}
                for credit in flag_credits(db, [flag_id]).get(flag_id, [])
            ],
        }
        if within is not None:
            within(db, outcome)
    return outcome
