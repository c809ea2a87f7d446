"""Reading the rewards ledger: pages of rewards, totals, one person's earnings,
and the rows of a payout file. Every list is bounded and keyset-paged."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
from sqlite_utils import Database

from ..rewards import REASONS, STATES

__all__ = [
    "FILTERS",
    "earned_by",
    "list_rewards",
    "payout_rows",
    "reward",
    "rewards_by_id",
    "totals",
]

#: What a list may be filtered by besides a person: a state, or clawbacks due.
FILTERS = (*STATES, "clawback")
_ROW = """
    SELECT w.id, w.side, w.currency, w.amount, w.perk, w.state, w.state_at,
           w.earned_at, w.due_at, w.reason, w.note, w.held, w.clawback,
           p.external_id, c.external_id, r.external_id, i.name
    FROM rewards w
    JOIN people p ON p.id = w.person_id
    JOIN people c ON c.id = w.customer_id
    JOIN people r ON r.id = w.referrer_id
    LEFT JOIN identities i ON i.person_id = w.person_id
"""
_KEYS = (
    "id",
    "side",
    "currency",
    "amount",
    "perk",
    "state",
    "at",
    "earned_at",
    "due_at",
    "reason",
    "note",
    "held",
    "clawback_due",
    "customer",
    "credit",
    "referrer",
    "name",
)


def _shaped(row: tuple) -> dict:
    found = dict(zip(_KEYS, row, strict=True))
    found["held"] = bool(found["held"])
    found["clawback_due"] = bool(found["clawback_due"])
    found["reason"] = REASONS.get(found["reason"]) if found["reason"] else None
    return found


def reward(db: Database, reward_id: str) -> dict | None:
    """One reward with the external ids of its people (None if there is none)."""
    row = db.execute(_ROW + " WHERE w.id = ?", [reward_id]).fetchone()
    return None if row is None else _shaped(row)


def rewards_by_id(db: Database, ids: list[str]) -> list[dict]:
    """The rewards of ``ids`` that exist, in that order."""
    found = {
        row[0]: _shaped(row)
        for row in db.execute(
            _ROW + " WHERE w.id IN (SELECT value FROM json_each(?))",
            [orjson.dumps(ids)],
        )
    }
    return [found[reward_id] for reward_id in ids if reward_id in found]


def list_rewards(
    db: Database,
    *,
    state: str | None = None,
    person: int | None = None,
    limit: int = 50,
    after: tuple[int, str] | None = None,
) -> list[dict]:
    """Rewards newest first (by when they were earned), ``limit`` at a time
    after the ``(earned_at, id)`` of the last one shown. ``state`` is one of
    FILTERS; ``person`` the internal id of whom they reward."""
    where, params = [], []
    if state == "clawback":
        where.append("w.clawback = 1")
    elif state is not None:
        where.append("w.state = ?")
        params.append(state)
    if person is not None:
        where.append("w.person_id = ?")
        params.append(person)
    if after is not None:
        where.append("(w.earned_at, w.id) < (?, ?)")
        params += list(after)
    sql = _ROW + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY w.earned_at DESC, w.id DESC LIMIT ?"
    return [_shaped(row) for row in db.execute(sql, [*params, limit])]


def totals(db: Database, currency: str) -> dict:
    """Rewards, amount (minor units) and perks per state, and clawbacks due, in
    ``currency`` (kept by trigger: a handful of rows)."""
    found = {
        key: {"rewards": 0, "amount": 0, "perks": 0} for key in (*STATES, "clawback")
    }
    for state, rewards, amount, perks in db.execute(
        "SELECT state, rewards, amount, perks FROM reward_totals WHERE currency = ?",
        [currency],
    ):
        found[state] = {"rewards": rewards, "amount": amount, "perks": perks}
    return found


def earned_by(db: Database, person: int) -> dict:
    """What one person has earned: per state (pending, approved, paid), the sum
    of amounts by currency and each perk with its count."""
    found = {state: {"amounts": {}, "perks": {}} for state in STATES[:3]}
    for state, currency, amount, perk, count in db.execute(
        "SELECT state, currency, sum(amount), perk, count(*) FROM rewards "
        "WHERE person_id = ? AND state IN ('pending', 'approved', 'paid') "
        "GROUP BY state, currency, perk ORDER BY perk",
        [person],
    ):
        if perk is None:
            found[state]["amounts"][currency] = amount
        else:
            found[state]["perks"][perk] = count
    return found


def payout_rows(
    db: Database, state: str = "approved", chunk: int = 1000
) -> Iterator[dict]:
    """Every reward in ``state`` (approved: owed and not yet paid) with the
    name and email to pay them by, oldest first, read ``chunk`` at a time."""
    last = (-1, "")
    while True:
        rows = db.execute(
            """
            SELECT w.earned_at, w.id, p.external_id, i.name, i.email, w.side,
                   c.external_id, w.currency, w.amount, w.perk, w.state_at
            FROM rewards w
            JOIN people p ON p.id = w.person_id
            JOIN people c ON c.id = w.customer_id
            LEFT JOIN identities i ON i.person_id = w.person_id
            WHERE w.state = ? AND (w.earned_at, w.id) > (?, ?)
            ORDER BY w.earned_at, w.id LIMIT ?
            """,
            [state, *last, chunk],
        ).fetchall()
        for earned, *rest in rows:
            yield dict(
                zip(
                    (
                        "id",
                        "customer",
                        "name",
                        "email",
                        "side",
                        "credit",
                        "currency",
                        "amount",
                        "perk",
                        "at",
                    ),
                    rest,
                    strict=True,
                )
            ) | {"earned_at": earned}
        if len(rows) < chunk:
            return
        last = (rows[-1][0], rows[-1][1])
