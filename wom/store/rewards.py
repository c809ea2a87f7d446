"""The rewards ledger, kept consistent with the credits and the reward log.

After credits or purchases change (``derive.derive_batch``,
``credits.derive_credits_of``, in the same write transaction) ``derive_rewards``
recomputes the rewards of the customers involved: their candidates under the
rules (``wom.rewards``), folded with the reward log's entries, and the monthly
caps of the referrers they touch. A reward whose credit went is written to the
log as ``gone``, with its snapshot, so that ``rebuild_rewards``, which sees only
the credits of today and the log, gives the very same rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import orjson
from sqlite_utils import Database

from ..contract.times import now_micros
from ..rewards import Candidate, Entry, Facts, Standing, candidates_of, capped, fold
from .changes import temp_table
from .reward_rules import read_versions

__all__ = [
    "COLUMNS",
    "derive_rewards",
    "entries_of",
    "paused",
    "rebuild_rewards",
    "rows_of",
    "snapshot_of",
]

COLUMNS = (
    "id",
    "person_id",
    "side",
    "customer_id",
    "referrer_id",
    "rule_seq",
    "currency",
    "amount",
    "perk",
    "earned_at",
    "known_at",
    "due_at",
    "cap_month",
    "state",
    "state_at",
    "reason",
    "note",
    "held",
    "clawback",
    "live",
)
_SELECT = ", ".join(f"w.{c}" for c in COLUMNS)
_UPSERT = (
    f"INSERT INTO rewards({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(COLUMNS))}) ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
)


@contextmanager
def paused(db: Database) -> Iterator[None]:
    """Skip ``derive_rewards`` inside the block (a rebuild derives the ledger
    whole at its end, from the credits it has just rebuilt)."""
    db.rewards_paused = True
    try:
        yield
    finally:
        db.rewards_paused = False


def derive_rewards(
    db: Database, customers: Iterable[int] = (), *, dirty_credits: bool = True
) -> None:
    """Recompute the rewards of ``customers`` and, with ``dirty_credits``, of the
    customers the credits' step has just derived (its ``dirty_credits`` temp
    table), inside the caller's write transaction."""
    if getattr(db, "rewards_paused", False):
        return
    temp_table(db, "reward_customers", "id INTEGER PRIMARY KEY")
    if dirty_credits:
        db.execute(
            "INSERT OR IGNORE INTO reward_customers SELECT id FROM dirty_credits"
        )
    db.execute(
        "INSERT OR IGNORE INTO reward_customers SELECT value FROM json_each(?)",
        [orjson.dumps(list(customers))],
    )
    _derive(db, everything=False)


def rebuild_rewards(db: Database) -> None:
    """Recompute the whole ledger from the credits and the reward log."""
    db.execute("DELETE FROM rewards")
    temp_table(db, "reward_customers", "id INTEGER PRIMARY KEY")
    db.execute("INSERT INTO reward_customers SELECT customer_id FROM credits")
    db.execute(
        "INSERT OR IGNORE INTO reward_customers SELECT body ->> 'customer' "
        "FROM reward_log WHERE reward_id IS NOT NULL"
    )
    _derive(db, everything=True)


def _facts(db: Database) -> list[Facts]:
    """The credits of the customers in ``reward_customers``, with what the
    rules read: conversion, when wom learned of it, the first purchase."""
    return [
        Facts(
            customer,
            referrer,
            bool(held),
            at,
            known,
            purchase and (purchase, value, seen),
        )
        for customer, referrer, held, at, known, purchase, value, seen in db.execute(
            """
            SELECT r.id, c.referrer_id, c.status = 'held', p.acquired_at,
                   max(coalesce(ce.received_at, 0), coalesce(te.received_at, 0)),
                   fp.at, fp.value, fe.received_at
            FROM reward_customers r
            CROSS JOIN credits c ON c.customer_id = r.id
            CROSS JOIN people p ON p.id = r.id
            LEFT JOIN events ce ON ce.seq = p.acquired_order / 2
            LEFT JOIN events te ON te.seq = c.touch_seq
            LEFT JOIN purchases fp ON fp.seq = (
                SELECT q.seq FROM purchases q WHERE q.person_id = r.id
                ORDER BY q.at, q.seq LIMIT 1)
            LEFT JOIN events fe ON fe.seq = fp.seq
            """
        )
    ]


def rows_of(db: Database, sql: str, params=()) -> dict[str, dict]:
    """Ledger rows by id, from a query that selects ``w.*`` columns in order."""
    return {
        row[0]: dict(zip(COLUMNS, row, strict=True))
        for row in db.execute(sql.format(columns=_SELECT), params)
    }


def entries_of(db: Database, ids: Iterable[str] | None) -> dict[str, list[Entry]]:
    """The log's entries about each reward (every reward's when ``ids`` is None)."""
    if ids is None:
        rows = db.execute(
            "SELECT reward_id, seq, kind, at, body, note FROM reward_log "
            "WHERE reward_id IS NOT NULL ORDER BY seq"
        )
    else:
        rows = db.execute(
            "SELECT l.reward_id, l.seq, l.kind, l.at, l.body, l.note "
            "FROM json_each(?) j CROSS JOIN reward_log l ON l.reward_id = j.value "
            "ORDER BY l.seq",
            [orjson.dumps(sorted(ids))],
        )
    found: dict[str, list[Entry]] = defaultdict(list)
    for reward, seq, kind, at, body, note in rows:
        found[reward].append(Entry(seq, kind, at, orjson.loads(body), note))
    return found


def _candidate_of_row(row: dict) -> Candidate:
    """A live row's candidate, as the rules gave it (for a cap to look again)."""
    return Candidate(
        id=row["id"],
        person=row["person_id"],
        side=row["side"],
        customer=row["customer_id"],
        referrer=row["referrer_id"],
        rule_seq=row["rule_seq"],
        currency=row["currency"],
        amount=row["amount"],
        perk=row["perk"],
        earned_at=row["earned_at"],
        known_at=row["known_at"],
        due_at=row["due_at"],
        month=row["cap_month"],
        held=bool(row["held"]),
    )


def _gone_reason(db: Database, row: dict) -> str:
    """Why a reward's credit went: moved, voided in review, or otherwise."""
    now = db.execute(
        "SELECT referrer_id FROM credits WHERE customer_id = ?", [row["customer_id"]]
    ).fetchone()
    if now is not None:
        return "purchase" if now[0] == row["referrer_id"] else "moved"
    reviewed = db.execute(
        "SELECT 1 FROM reviews WHERE customer_id = ? AND referrer_id = ? "
        "AND decision = 'voided'",
        [row["customer_id"], row["referrer_id"]],
    ).fetchone()
    return "review" if reviewed else "voided"


def _derive(db: Database, *, everything: bool) -> None:
    versions = read_versions(db)
    existing = rows_of(
        db,
        "SELECT {columns} FROM reward_customers r "
        "CROSS JOIN rewards w ON w.customer_id = r.id",
    )
    if not versions and not existing:
        return  # no rules were ever set: nothing is earned, nothing to lose
    caps = {
        (version.seq, side): rule.cap_per_month
        for version in versions
        for side in ("referrer", "friend")
        if (rule := version.rule_for(side)) is not None
    }
    candidates = {
        c.id: c for facts in _facts(db) for c in candidates_of(facts, versions)
    }
    entries = entries_of(db, None if everything else set(existing) | set(candidates))
    now = now_micros()
    for reward, row in existing.items():
        if row["live"] and reward not in candidates:
            _record_gone(db, row, _gone_reason(db, row), now, entries)
    # The caps: each group (referrer, side, month) a changed reward is or was in.
    groups = {
        (c.referrer, c.side, c.month) for c in candidates.values() if c.cap is not None
    } | {
        (row["referrer_id"], row["side"], row["cap_month"])
        for row in existing.values()
        if caps.get((row["rule_seq"], row["side"])) is not None
    }
    ids = set(existing) | set(candidates) | (set(entries) if everything else set())
    left_out, others = _caps(
        db, groups, candidates, entries, caps, None if everything else set(existing)
    )
    flipped = {
        reward: row
        for reward, row in others.items()
        if (row["reason"] == "cap") != (reward in left_out)
    }
    for reward, row in flipped.items():
        candidates[reward] = _candidate_of_row(row)
        existing[reward] = row
        ids.add(reward)
    entries.update(entries_of(db, flipped) if flipped else {})
    changed = []
    for reward in ids:
        row = fold(
            candidates.get(reward),
            entries.get(reward, []),
            is_capped=reward in left_out,
        )
        if row is not None and row != existing.get(reward):
            changed.append(tuple(row[c] for c in COLUMNS))
    db.conn.executemany(_UPSERT, changed)


def _standing(candidate: Candidate, entries: list[Entry]):
    """A candidate's group and standing under its cap; None when the owner
    voided it (it takes no place)."""
    kinds = {entry.kind for entry in entries}
    if "voided" in kinds:
        return None
    frozen = next(
        (e for e in reversed(entries) if e.kind in ("paid", "approved")), None
    )
    month = frozen.body["month"] if frozen is not None else candidate.month
    key = (candidate.referrer, candidate.side, month)
    order = (candidate.known_at, candidate.earned_at, candidate.customer)
    return key, Standing(candidate.id, order, candidate.cap, frozen is not None)


def _caps(db, groups, candidates, entries, caps, skip):
    """The rewards the caps leave out in ``groups``, and the rows of those groups
    that are neither ``candidates`` nor in ``skip`` (the rows being derived
    again), whose standing may change too. ``skip`` is None in a rebuild: no
    other row exists."""
    standings: dict[tuple, list[Standing]] = defaultdict(list)
    others: dict[str, dict] = {}
    if not groups:
        return set(), others
    for candidate in candidates.values():
        found = _standing(candidate, entries.get(candidate.id, []))
        if found is not None and found[0] in groups:
            standings[found[0]].append(found[1])
    for key in groups if skip is not None else ():
        rows = rows_of(
            db,
            "SELECT {columns} FROM rewards w WHERE w.referrer_id = ? "
            "AND w.side = ? AND w.cap_month = ? AND w.live = 1",
            key,
        )
        for reward, row in rows.items():
            if reward in candidates or reward in skip or row["reason"] == "owner":
                continue
            others[reward] = row
            standings[key].append(
                Standing(
                    reward,
                    (row["known_at"], row["earned_at"], row["customer_id"]),
                    caps.get((row["rule_seq"], row["side"])),
                    row["state"] in ("approved", "paid"),
                )
            )
    left_out = set()
    for group in standings.values():
        left_out |= capped(group)
    return left_out, others


def snapshot_of(row: dict) -> dict:
    """A ledger row as the log keeps a reward (``wom.rewards.snapshot``'s keys)."""
    return {
        "id": row["id"],
        "person": row["person_id"],
        "side": row["side"],
        "customer": row["customer_id"],
        "referrer": row["referrer_id"],
        "rule_seq": row["rule_seq"],
        "currency": row["currency"],
        "amount": row["amount"],
        "perk": row["perk"],
        "earned_at": row["earned_at"],
        "known_at": row["known_at"],
        "due_at": row["due_at"],
        "month": row["cap_month"],
        "cap": None,
        "held": bool(row["held"]),
    }


def _record_gone(db, row: dict, reason: str, now: int, entries: dict) -> None:
    """Log that a reward's credit went, with the reward as it was."""
    body = snapshot_of(row) | {"reason": reason}
    seq = db.execute(
        "INSERT INTO reward_log(kind, at, reward_id, body, by, recorded_at) "
        "VALUES ('gone', ?, ?, ?, 'credits', ?) RETURNING seq",
        [now, row["id"], orjson.dumps(body).decode(), now],
    ).fetchone()[0]
    entries.setdefault(row["id"], []).append(Entry(seq, "gone", now, body))
