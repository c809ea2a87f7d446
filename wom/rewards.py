"""The rewards ledger's rules, as pure functions (the store asks; no SQL here).

A *version* of the rules takes effect at a time and holds at most one rule per
side (the referrer, the friend). A credit follows the version in force at its
customer's conversion; each rule of it that the credit's trigger meets makes a
*candidate* reward, whose id derives from the credit (customer, referrer) and the
side. The reward log's entries about one reward (approved, paid, voided by the
owner, gone when its credit went) and the candidate, if there still is one,
*fold* into the ledger's row. A monthly cap per referrer leaves the candidates
past it voided, in the order wom learned of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

__all__ = [
    "DAY_US",
    "REASONS",
    "SIDES",
    "STATES",
    "Candidate",
    "Entry",
    "Facts",
    "Rule",
    "Version",
    "candidates_of",
    "capped",
    "fold",
    "month_of",
    "reward_id",
    "version_at",
]

DAY_US = 86_400 * 1_000_000
SIDES = ("referrer", "friend")
STATES = ("pending", "approved", "paid", "voided")
#: Why a reward is voided (or, once paid, why it is a clawback due), in words.
REASONS = {
    "owner": "voided by the owner",
    "moved": "its credit moved to another referrer",
    "review": "its credit was voided in review",
    "voided": "its credit no longer stands",
    "purchase": "the customer's first purchase no longer qualifies",
    "cap": "over the referrer's monthly cap",
}


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: whom it rewards, on what, with what, how often, after how long.

    ``amount`` and ``min_purchase`` are minor units of the currency; a rule
    gives an ``amount`` or a ``perk``, never both.
    """

    side: str  # referrer, friend or both
    trigger: str  # signup or purchase
    amount: int | None = None
    perk: str | None = None
    min_purchase: int | None = None
    cap_per_month: int | None = None
    hold_days: int = 14

    def covers(self, side: str) -> bool:
        """Whether the rule rewards ``side``."""
        return self.side in (side, "both")


@dataclass(frozen=True, slots=True)
class Version:
    """The rules in force from ``effective_at`` (the reward log's ``seq``), with
    the currency and the time zone (for the monthly cap) they were set in."""

    seq: int
    effective_at: int
    currency: str
    zone: str
    rules: tuple[Rule, ...]

    def rule_for(self, side: str) -> Rule | None:
        """The rule that rewards ``side``, if any."""
        return next((rule for rule in self.rules if rule.covers(side)), None)


def version_at(versions: list[Version], at: int) -> Version | None:
    """The version in force at ``at``: the last to take effect at or before it
    (``versions`` sorted by effective time, then log order).

    >>> v1, v2 = Version(1, 100, "EUR", "UTC", ()), Version(2, 200, "EUR", "UTC", ())
    >>> [getattr(version_at([v1, v2], t), "seq", None) for t in (99, 100, 250)]
    [None, 1, 2]
    """
    found = None
    for version in versions:
        if version.effective_at > at:
            break
        found = version
    return found


@dataclass(frozen=True, slots=True)
class Facts:
    """What the store knows about one credit: the customer's conversion time,
    when wom had learned of the credit, and their first purchase (time, value in
    minor units, when wom learned of it)."""

    customer: int
    referrer: int
    held: bool
    credited_at: int
    known_at: int
    first_purchase: tuple[int, int, int] | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A reward the rules give for a credit, before the log and the cap have
    their say. ``cap`` is its rule's cap per month; ``month`` the month of
    ``earned_at`` in the rules' time zone."""

    id: str
    person: int
    side: str
    customer: int
    referrer: int
    rule_seq: int
    currency: str
    amount: int | None
    perk: str | None
    earned_at: int
    known_at: int
    due_at: int
    month: str
    cap: int | None = None
    held: bool = False


def reward_id(customer: int, referrer: int, side: str) -> str:
    """A reward's id: its credit (customer, referrer) and side.

    >>> reward_id(812, 77, "friend")
    'rw_812_77_friend'
    """
    return f"rw_{customer}_{referrer}_{side}"


def month_of(at: int, zone: str) -> str:
    """The calendar month of ``at`` (microseconds, UTC) in ``zone``.

    >>> month_of(0, "UTC"), month_of(0, "America/New_York")
    ('1970-01', '1969-12')
    """
    moment = datetime.fromtimestamp(at / 1_000_000, UTC).astimezone(ZoneInfo(zone))
    return f"{moment.year:04d}-{moment.month:02d}"


def candidates_of(facts: Facts, versions: list[Version]) -> list[Candidate]:
    """The rewards the version in force at the credit's time gives for it.

    A sign-up rule earns at the conversion; a purchase rule at the customer's
    first purchase, if it is at least the rule's minimum. The hold runs from the
    later of when it was earned and when wom learned of it, so that an imported
    history is held for review like a live one.

    >>> rule = Rule("both", "purchase", amount=500, min_purchase=2000, hold_days=1)
    >>> v = Version(1, 0, "EUR", "UTC", (rule,))
    >>> small = Facts(3, 2, False, 10, 10, first_purchase=(20, 1999, 20))
    >>> candidates_of(small, [v])
    []
    >>> big = Facts(3, 2, False, 10, 10, first_purchase=(20, 2000, 30))
    >>> found = candidates_of(big, [v])
    >>> [(c.id, c.person, c.earned_at, c.due_at - DAY_US) for c in found]
    [('rw_3_2_referrer', 2, 20, 30), ('rw_3_2_friend', 3, 20, 30)]
    """
    version = version_at(versions, facts.credited_at)
    if version is None:
        return []
    found = []
    for side in SIDES:
        rule = version.rule_for(side)
        if rule is None:
            continue
        earned, known = facts.credited_at, facts.known_at
        if rule.trigger == "purchase":
            purchase = facts.first_purchase
            if purchase is None or purchase[1] < (rule.min_purchase or 0):
                continue
            earned, known = purchase[0], max(known, purchase[2])
        found.append(
            Candidate(
                id=reward_id(facts.customer, facts.referrer, side),
                person=facts.referrer if side == "referrer" else facts.customer,
                side=side,
                customer=facts.customer,
                referrer=facts.referrer,
                rule_seq=version.seq,
                currency=version.currency,
                amount=rule.amount,
                perk=rule.perk,
                earned_at=earned,
                known_at=known,
                due_at=max(earned, known) + rule.hold_days * DAY_US,
                month=month_of(earned, version.zone),
                cap=rule.cap_per_month,
                held=facts.held,
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of the reward log about a reward: ``approved``, ``paid``,
    ``voided`` (the owner's) or ``gone`` (its credit went; ``body`` holds the
    reward as it was, and ``reason``)."""

    seq: int
    kind: str
    at: int
    body: dict
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Standing:
    """How one reward counts toward its referrer's cap in its month."""

    id: str
    order: tuple  # (known_at, earned_at, customer): first come, first served
    cap: int
    frozen: bool  # approved or paid: it keeps its place whatever comes later


def capped(group: Iterable[Standing]) -> set[str]:
    """The rewards of one referrer, side and month that the cap leaves out
    (only rewards of rules with a cap stand in a group).

    Approved and paid rewards count first and are never left out; the others
    follow in the order wom learned of them. A rule change within a month may
    bring another cap: each reward is held to its own rule's.

    >>> s = [Standing("a", (5,), 2, False), Standing("b", (1,), 2, False),
    ...      Standing("c", (9,), 2, True), Standing("d", (7,), 4, False)]
    >>> sorted(capped(s))
    ['a']
    """
    group = list(group)
    count = sum(1 for s in group if s.frozen)
    out = set()
    for standing in sorted((s for s in group if not s.frozen), key=lambda s: s.order):
        count += 1
        if count > standing.cap:
            out.add(standing.id)
    return out


_CANDIDATE_FIELDS = tuple(f.name for f in fields(Candidate))


def snapshot(candidate: Candidate) -> dict:
    """A candidate as the log keeps it (a plain dict; ``asdict`` deep-copies
    every field, ten times slower on the write path)."""
    return {name: getattr(candidate, name) for name in _CANDIDATE_FIELDS}


def fold(
    candidate: Candidate | None,
    entries: list[Entry],
    *,
    is_capped: bool = False,
) -> dict | None:
    """The ledger's row of one reward: its candidate (None when its credit went)
    and its log entries in order. None when neither knows of it.

    The owner's void is final; a paid reward stays paid, and is a clawback due
    once its credit went; an approved or pending one is voided while its credit
    is gone (and stands again if the credit comes back); approval and payment
    keep the amount they were made for.

    >>> c = Candidate("rw_3_2_friend", 3, "friend", 3, 2, 1, "EUR", 500, None,
    ...               earned_at=10, known_at=10, due_at=20, month="1970-01")
    >>> fold(c, [])["state"]
    'pending'
    >>> paid = Entry(7, "paid", 40, snapshot(c) | {"amount": 450})
    >>> row = fold(None, [paid])
    >>> row["state"], row["amount"], row["clawback"], row["live"]
    ('paid', 450, 1, 0)
    """
    approved = paid = voided = gone = None
    for entry in entries:
        if entry.kind == "approved":
            approved = entry
        elif entry.kind == "paid":
            paid = entry
        elif entry.kind == "voided":
            voided = entry
        elif entry.kind == "gone":
            gone = entry
    frozen = paid or approved
    if frozen is not None:
        base = frozen.body
    elif candidate is not None:
        base = snapshot(candidate)
    elif gone is not None:
        base = gone.body
    else:
        return None
    live = candidate is not None
    lost = None if live else (gone.body.get("reason") if gone else "voided")
    state, state_at, reason, note = "pending", base["earned_at"], None, None
    if voided is not None:
        state, state_at, reason, note = "voided", voided.at, "owner", voided.note
    elif paid is not None:
        state, state_at, reason, note = "paid", paid.at, lost, paid.note
    elif not live:
        state, state_at, reason = "voided", gone.at if gone else base["earned_at"], lost
    elif approved is not None:
        state, state_at = "approved", approved.at
    elif is_capped:
        state, reason = "voided", "cap"
    return {
        "id": base["id"],
        "person_id": base["person"],
        "side": base["side"],
        "customer_id": base["customer"],
        "referrer_id": base["referrer"],
        "rule_seq": base["rule_seq"],
        "currency": base["currency"],
        "amount": base["amount"],
        "perk": base["perk"],
        "earned_at": base["earned_at"],
        "known_at": base["known_at"],
        "due_at": base["due_at"],
        "cap_month": base["month"],
        "cap": base["cap"],
        "state": state,
        "state_at": state_at,
        "reason": reason,
        "note": note,
        "held": int(bool(candidate.held)) if live else 0,
        "clawback": int(state == "paid" and not live),
        "live": int(live),
    }
