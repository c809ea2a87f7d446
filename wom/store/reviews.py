"""The owner's review decisions on held or suspect credits."""

from __future__ import annotations

from sqlite_utils import Database

from .changes import Changes
from .credits import derive_credits_of
from .errors import Conflict, InvalidInput, NotFound

__all__ = ["decide"]


def decide(db: Database, flag_key: str, decision: str, now: int) -> Changes:
    """Approve or void the credit a flag is about; re-derive that customer's credit.
    A flag about no credit (a click flood) is closed with the decision.

    Call inside a write transaction. Approving a held credit makes it count;
    voiding it makes attribution look for the next eligible touch. A
    self-referral is void for good (docs/reliability.md): approving one is a Conflict.
    """
    if decision not in ("approved", "voided"):
        raise InvalidInput.field("decision", "give approved or voided")
    row = db.execute(
        "SELECT kind, customer_id, referrer_id FROM flags WHERE key = ?", [flag_key]
    ).fetchone()
    if row is None:
        raise NotFound(f"No flag {flag_key!r}.")
    kind, customer, referrer = row
    if kind == "click_flood":
        # About a visitor's clicks, not a credit: the decision closes the flag.
        # A run counts one click however many it holds, so no count moves.
        db.execute(
            "INSERT INTO flag_reviews(key, decision, decided_at) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET decision = excluded.decision, "
            "decided_at = excluded.decided_at",
            [flag_key, decision, now],
        )
        return Changes()
    if kind == "self_referral" and decision == "approved":
        raise Conflict(
            "A self-referral is void for good: the referrer and the customer share "
            "an email address. Void the flag to close it."
        )
    if customer is None or referrer is None:
        raise InvalidInput.field(
            "flag", "this flag names no single credit; review its members"
        )
    db.execute(
        "INSERT INTO reviews(customer_id, referrer_id, decision, decided_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT(customer_id, referrer_id) DO UPDATE SET "
        "decision = excluded.decision, decided_at = excluded.decided_at",
        [customer, referrer, decision, now],
    )
    return derive_credits_of(db, [customer])
