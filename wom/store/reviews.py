"""The owner's review decisions: a flag closed, and a review per credit it names."""

from __future__ import annotations

from sqlite_utils import Database

from .changes import Changes
from .credits import derive_credits_of
from .errors import Conflict, InvalidInput, NotFound

__all__ = ["decide"]


def decide(db: Database, flag_key: str, decision: str, now: int) -> Changes:
    """Approve or void the credits a flag named when it was raised; close the flag.

    Call inside a write transaction. Every flag can be closed. Each credit the
    flag names gets the decision as its review, and its customer's credit is
    derived again: approving a held credit makes it count, and voiding a credit
    makes attribution look for the customer's next eligible touch. Credits the
    flag does not name are left as they are, and a flag that names none (a click
    flood, or a ring along which nothing was credited) is only closed. A
    self-referral is void for good (docs/reliability.md): approving one is a
    Conflict.
    """
    if decision not in ("approved", "voided"):
        raise InvalidInput.field("decision", "give approved or voided")
    row = db.execute("SELECT kind FROM flags WHERE key = ?", [flag_key]).fetchone()
    if row is None:
        raise NotFound(f"No flag {flag_key!r}.")
    if row[0] == "self_referral" and decision == "approved":
        raise Conflict(
            "A self-referral is void for good: the referrer and the customer share "
            "an email address. Void the flag to close it."
        )
    credits = db.execute(
        "SELECT customer_id, referrer_id FROM flag_credits WHERE flag_key = ?",
        [flag_key],
    ).fetchall()
    db.conn.executemany(
        "INSERT INTO reviews(customer_id, referrer_id, decision, decided_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT(customer_id, referrer_id) DO UPDATE SET "
        "decision = excluded.decision, decided_at = excluded.decided_at",
        [(customer, referrer, decision, now) for customer, referrer in credits],
    )
    db.execute(
        "UPDATE flags SET status = ?, decided_at = ? WHERE key = ?",
        [decision, now, flag_key],
    )
    return derive_credits_of(db, sorted({customer for customer, _ in credits}))
