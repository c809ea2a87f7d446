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

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import orjson
from sqlite_utils import Database

from ..contract.times import now_micros
from ..rewards import Candidate, Entry, Facts, candidates_of, fold
from .changes import temp_table
from .reward_caps import left_out_by_caps
from .reward_rules import read_versions

__all__ = [
    "COLUMNS",
    "derive_rewards",
    "entries_of",
    "paused",
    "rebuild_rewards",
    "rows_by_id",
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
    "cap",
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
    if getattr(db, "rewards_paused", False) or not _ledger_made(db):
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


def _ledger_made(db: Database) -> bool:
    """Whether the ledger's migration has run (earlier migrations derive
    credits too); remembered on the connection once it has."""
    if getattr(db, "reward_ledger", False):
        return True
    made = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reward_log'"
    ).fetchone()
    db.reward_ledger = made is not None
    return db.reward_ledger


def rebuild_rewards(db: Database) -> None:
    """Recompute the whole ledger from the credits and the reward log."""
    db.execute("DELETE FROM rewards")
    db.execute("DELETE FROM reward_totals")
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


def rows_by_id(db: Database, ids: Iterable[str]) -> dict[str, dict]:
    """The ledger rows of ``ids`` (those that exist), by id."""
    return rows_of(
        db,
        "SELECT {columns} FROM json_each(?) j CROSS JOIN rewards w ON w.id = j.value",
        [orjson.dumps(list(ids))],
    )


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
        cap=row["cap"],
        held=bool(row["held"]),
    )


def _gone_reason(db: Database, row: dict) -> str:
    """Why a reward's credit went: voided in review (whether or not the credit
    went on to another referrer), moved, or otherwise."""
    reviewed = db.execute(
        "SELECT 1 FROM reviews WHERE customer_id = ? AND referrer_id = ? "
        "AND decision = 'voided'",
        [row["customer_id"], row["referrer_id"]],
    ).fetchone()
    if reviewed:
        return "review"
    now = db.execute(
        "SELECT referrer_id FROM credits WHERE customer_id = ?", [row["customer_id"]]
    ).fetchone()
    if now is not None:
        return "purchase" if now[0] == row["referrer_id"] else "moved"
    return "voided"


def _derive(db: Database, *, everything: bool) -> None:
    versions = read_versions(db)
    existing = rows_of(
        db,
        "SELECT {columns} FROM reward_customers r CROSS JOIN rewards w "
        "ON w.id > 'rw_' || r.id || '_' AND w.id < 'rw_' || r.id || '`'",
    )
    if not versions and not existing:
        return  # no rules were ever set: nothing is earned, nothing to lose
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
        if row["cap"] is not None
    }
    ids = set(existing) | set(candidates) | (set(entries) if everything else set())
    left_out, others = left_out_by_caps(
        db,
        groups,
        candidates,
        entries,
        None if everything else dict(existing),
        max((r.cap_per_month or 0 for v in versions for r in v.rules), default=0),
    )
    flipped = [
        reward
        for reward, reason in others.items()
        if (reason == "cap") != (reward in left_out)
    ]
    flipped = rows_by_id(db, flipped) if flipped else {}
    for reward, row in flipped.items():
        candidates[reward] = _candidate_of_row(row)
        existing[reward] = row
        ids.add(reward)
    entries.update(entries_of(db, flipped) if flipped else {})
    changed, totals = [], Counter()
    for reward in ids:
        row = fold(
            candidates.get(reward),
            entries.get(reward, []),
            is_capped=reward in left_out,
        )
        if row is not None and row != (old := existing.get(reward)):
            changed.append(tuple(row[c] for c in COLUMNS))
            _count(totals, old, -1)
            _count(totals, row, +1)
    db.conn.executemany(_UPSERT, changed)
    _add_totals(db, totals)


def _count(totals: Counter, row: dict | None, sign: int) -> None:
    """Add (or take away) a row from the totals being gathered."""
    if row is None:
        return
    keys = [row["state"]] + (["clawback"] if row["clawback"] else [])
    for state in keys:
        key = (state, row["currency"])
        totals[key + ("rewards",)] += sign
        totals[key + ("amount",)] += sign * (row["amount"] or 0)
        totals[key + ("perks",)] += sign * (row["perk"] is not None)


def _add_totals(db: Database, totals: Counter) -> None:
    """Add what a write changed to ``reward_totals``; drop emptied rows."""
    keys = {key[:2] for key in totals}
    db.conn.executemany(
        "INSERT INTO reward_totals(state, currency, rewards, amount, perks) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(state, currency) DO UPDATE SET "
        "rewards = rewards + excluded.rewards, amount = amount + excluded.amount, "
        "perks = perks + excluded.perks",
        [
            (
                *key,
                totals[key + ("rewards",)],
                totals[key + ("amount",)],
                totals[key + ("perks",)],
            )
            for key in sorted(keys)
        ],
    )
    if keys:
        db.execute("DELETE FROM reward_totals WHERE rewards = 0")


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
        "cap": row["cap"],
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
