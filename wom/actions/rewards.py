"""The rewards ledger's use cases: set the rules, decide rewards (paid, void),
and approve those whose hold has ended (the scheduled job's one step)."""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from ..store import Store
from ..store.reward_decisions import approve_due, decide
from ..store.reward_queries import reward
from ..store.reward_rules import check_rules, rules_view, set_rules, version_view
from ..store.settings import read_settings

__all__ = [
    "approve_due_rewards",
    "decide_rewards",
    "set_reward_rules",
    "set_side_rules",
]

#: Rewards approved per transaction: the job never holds the writer for long.
APPROVALS_PER_WRITE = 500


def set_reward_rules(
    store: Store,
    drafts: list[dict],
    *,
    now: int,
    by: str,
    effective_at: int | None = None,
    within: Callable[[Database, dict], None] | None = None,
) -> dict:
    """Check ``drafts`` (amounts as decimal text in major units) and record them
    as the rules from ``effective_at`` (now when None) on; return the version
    as plain data (``reward_rules.version_view``). InvalidInput names each
    problem; nothing is stored then."""
    with store.write() as db:
        rules = check_rules(drafts, read_settings(db)["currency"])
        version = set_rules(
            db,
            rules,
            effective_at=now if effective_at is None else effective_at,
            now=now,
            by=by,
        )
        found = version_view(version)
        if within is not None:
            within(db, found)
    return found


def _drafts_in_force(db, now: int) -> dict[str, dict]:
    """The rules in force, one draft per side they reward (amounts as text)."""
    found = {}
    for rule in rules_view(db, now)["in_force"]["rules"]:
        draft = {
            key: (None if value is None else _plain(value))
            if key in ("amount", "min_purchase")
            else value
            for key, value in rule.items()
        }
        for side in ("referrer", "friend"):
            if rule["side"] in (side, "both"):
                found[side] = draft | {"side": side}
    return found


def _plain(number: float) -> str:
    """A major-units amount as the text it was set from (5.0 -> "5.0")."""
    return repr(number)


def set_side_rules(
    store: Store, side: str, draft: dict | None, *, now: int, by: str
) -> dict:
    """Give ``side`` (referrer, friend or both) the rule ``draft`` (None: no
    rule), keeping the other side's rule in force; return the new version."""
    with store.write() as db:  # one transaction: read, then write, the rules
        drafts = _drafts_in_force(db, now)
        for covered in ("referrer", "friend"):
            if side in (covered, "both"):
                drafts.pop(covered, None)
                if draft is not None:
                    drafts[covered] = draft | {"side": covered}
        rules = list(drafts.values())
        if len(rules) == 2 and rules[0] | {"side": ""} == rules[1] | {"side": ""}:
            rules = [rules[0] | {"side": "both"}]
        return set_reward_rules(store, rules, now=now, by=by)


def decide_rewards(
    store: Store,
    ids: list[str],
    decision: str,
    *,
    now: int,
    by: str,
    note: str | None = None,
    within: Callable[[Database, list[dict]], None] | None = None,
) -> list[dict]:
    """Mark rewards paid (the owner paid them elsewhere) or void them, all or
    none; return them as they stand after (``reward_queries.reward``)."""
    with store.write() as db:
        decide(db, ids, decision, note=note, now=now, by=by)
        found = [reward(db, reward_id) for reward_id in ids]
        if within is not None:
            within(db, found)
    return found


def approve_due_rewards(store: Store, *, now: int) -> int:
    """Approve every pending reward whose hold has ended by ``now`` and whose
    credit is not held, a few hundred per write transaction; return how many."""
    approved = 0
    while True:
        with store.write() as db:
            done = approve_due(db, now, APPROVALS_PER_WRITE)
        approved += len(done)
        if len(done) < APPROVALS_PER_WRITE:
            return approved
