"""What happens to rewards: the job's approvals and the owner's payments and
voids, each an entry of the reward log, after which the ledger's rows are folded
again (``rewards.derive_rewards``). An approval sends ``reward.approved`` and a
payment ``reward.paid`` to the webhook outbox in the same transaction, in the
API's shape of a reward, when an endpoint subscribes to them."""

from __future__ import annotations

import orjson
from sqlite_utils import Database

from ..contract.rewards import reward_body
from ..contract.times import iso
from .errors import Conflict, InvalidInput, NotFound
from .outbox import emit, subscribed_types
from .reward_queries import rewards_by_id
from .rewards import derive_rewards, rows_by_id, rows_of, snapshot_of

__all__ = [
    "DECISIONS",
    "NOTE_MAX",
    "approve_due",
    "decide",
    "forget_reward_notes",
]

#: What the owner says -> the log's entry.
DECISIONS = {"paid": "paid", "void": "voided"}
NOTE_MAX = 500


#: The webhook each entry sends, in the transaction that writes it.
WEBHOOKS = {"approved": "reward.approved", "paid": "reward.paid"}


def _append(db: Database, kind: str, rows: list[dict], at: int, note, by: str) -> None:
    db.conn.executemany(
        "INSERT INTO reward_log(kind, at, reward_id, body, note, by, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (kind, at, row["id"], orjson.dumps(snapshot_of(row)).decode(), note, by, at)
            for row in rows
        ],
    )
    derive_rewards(db, {row["customer_id"] for row in rows}, dirty_credits=False)
    event = WEBHOOKS.get(kind)
    if event is not None and rows and event in subscribed_types(db):
        for found in rewards_by_id(db, [row["id"] for row in rows]):
            emit(db, event, reward_body(found))


def _refusal(row: dict, decision: str) -> str | None:
    """Why ``decision`` cannot apply to ``row``; None when it can (or is done)."""
    state, reward = row["state"], row["id"]
    if decision == "paid":
        if state == "pending":
            return (
                f"{reward} is pending until {iso(row['due_at'])}: its hold gives "
                "review time first. Mark it paid once it is approved."
            )
        if state == "voided":
            return f"{reward} is voided; a voided reward is not owed."
        if row["held"] and state == "approved":
            return (
                f"{reward}'s credit is held for review; approve or void its flag "
                "on the Review page first."
            )
        return None
    if state == "paid" and not row["clawback"]:
        return (
            f"{reward} is paid and its credit stands; there is nothing to void. "
            "(A paid reward whose credit goes shows as a clawback due; void it "
            "once the money is settled.)"
        )
    return None


def decide(
    db: Database,
    ids: list[str],
    decision: str,
    *,
    note: str | None,
    now: int,
    by: str,
) -> list[str]:
    """Mark rewards paid or void them (inside the caller's write transaction):
    all of them, or none (NotFound, Conflict). Rewards already so are left as
    they are. Returns the ids whose state changed."""
    if decision not in DECISIONS:
        raise InvalidInput.field("decision", "give paid or void")
    if note is not None and (len(note) > NOTE_MAX or not note.strip()):
        raise InvalidInput.field("note", f"give 1 to {NOTE_MAX} characters, or none")
    rows = rows_by_id(db, ids)
    missing = [reward for reward in ids if reward not in rows]
    if missing:
        raise NotFound(f"No reward {missing[0]!r}.")
    kind = DECISIONS[decision]
    refusals = [r for row in rows.values() if (r := _refusal(row, decision))]
    if refusals:
        raise Conflict(" ".join(refusals[:3]))
    todo = [row for row in rows.values() if row["state"] != kind]
    if kind == "voided":
        # A paid reward whose credit went is settled by its void: recorded.
        todo = [row for row in rows.values() if row["state"] != "voided"]
    _append(db, kind, todo, now, note and note.strip(), by)
    return [row["id"] for row in todo]


def approve_due(db: Database, now: int, limit: int = 500) -> list[str]:
    """Approve up to ``limit`` pending rewards whose hold has ended by ``now`` and
    whose credit is not held (inside the caller's write transaction)."""
    rows = rows_of(
        db,
        # The planner, without statistics, would walk every pending reward.
        "SELECT {columns} FROM rewards w INDEXED BY rewards_due "
        "WHERE w.state = 'pending' AND w.held = 0 AND w.due_at <= ? "
        "ORDER BY w.due_at LIMIT ?",
        [now, limit],
    )
    _append(db, "approved", list(rows.values()), now, None, "job")
    return list(rows)


def forget_reward_notes(db: Database, person: int) -> None:
    """Blank the owner's notes on the rewards of a person, or for their credit
    (erasure: a note is free text, and may name them). The log allows this one
    change."""
    about = "SELECT id FROM rewards WHERE person_id = :person OR customer_id = :person"
    db.execute(
        f"UPDATE reward_log SET note = NULL WHERE note IS NOT NULL "
        f"AND reward_id IN ({about})",
        {"person": person},
    )
    db.execute(
        "UPDATE rewards SET note = NULL WHERE note IS NOT NULL "
        "AND (person_id = :person OR customer_id = :person)",
        {"person": person},
    )
