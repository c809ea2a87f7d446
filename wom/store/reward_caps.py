"""The monthly caps of the rewards ledger, read from the store.

A cap groups the rewards of one referrer, side and month (``wom.rewards.capped``
decides within a group). Only the groups a write touches are read, and each only
as far as a cap can reach.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from ..rewards import Candidate, Entry, Standing, capped

__all__ = ["left_out_by_caps"]


def _standing(candidate: Candidate, entries: list[Entry]):
    """A candidate's group and standing under its cap; None when its rule has
    no cap or the owner voided it (it takes no place)."""
    if candidate.cap is None or any(e.kind == "voided" for e in entries):
        return None
    frozen = next(
        (e for e in reversed(entries) if e.kind in ("paid", "approved")), None
    )
    month = frozen.body["month"] if frozen is not None else candidate.month
    key = (candidate.referrer, candidate.side, month)
    order = (candidate.known_at, candidate.earned_at, candidate.customer)
    return key, Standing(candidate.id, order, candidate.cap, frozen is not None)


def left_out_by_caps(db, groups, candidates, entries, skip, most):
    """The rewards the caps leave out in ``groups``, and the reason voided (by
    id) of the rewards of those groups that are neither ``candidates`` nor in
    ``skip`` (the rows being derived again, by id): their standing may change
    too. ``skip`` is None in a
    rebuild: no other row exists.

    A group is read only as far as a cap can reach: its approved and paid
    rewards (they count first), then its queue (pending, and voided by the
    cap) in order, up to the largest cap plus the rewards changing in it. A
    reward further down was past the cap and stays past it. ``most`` is the
    largest cap of any rule.
    """
    standings: dict[tuple, list[Standing]] = defaultdict(list)
    others: dict[str, dict] = {}
    if not groups:
        return set(), others
    for candidate in candidates.values():
        found = _standing(candidate, entries.get(candidate.id, []))
        if found is not None and found[0] in groups:
            standings[found[0]].append(found[1])
    leaving = Counter(_group(row) for row in (skip or {}).values())
    for key in groups if skip is not None else ():
        reach = most + len(standings[key]) + leaving[key] + 2
        for state, order in _QUEUES:
            params = [*key, state, reach] if order else [*key, state]
            for reward, known, earned, customer, cap, reason in db.execute(
                _GROUP + order, params
            ):
                if reward in candidates or reward in skip:
                    continue
                others[reward] = reason
                standings[key].append(
                    Standing(
                        reward,
                        (known, earned, customer),
                        cap,
                        state in ("approved", "paid"),
                    )
                )
    left_out = set()
    for group in standings.values():
        left_out |= capped(group)
    return left_out, others


def _group(row: dict) -> tuple:
    return (row["referrer_id"], row["side"], row["cap_month"])


# One group's rewards in one state (index rewards_cap, in its order).
_GROUP = (
    "SELECT w.id, w.known_at, w.earned_at, w.customer_id, w.cap, w.reason "
    "FROM rewards w WHERE w.referrer_id = ? AND w.side = ? AND w.cap_month = ? "
    "AND w.live = 1 AND w.cap IS NOT NULL AND w.state = ? "
)
_ORDERED = "ORDER BY w.known_at, w.earned_at, w.customer_id LIMIT ?"
_QUEUES = (
    ("approved", ""),
    ("paid", ""),
    ("pending", _ORDERED),
    ("voided", "AND w.reason = 'cap' " + _ORDERED),
)
