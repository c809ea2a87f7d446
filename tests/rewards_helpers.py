"""What the rewards tests share: rules set at a time, events received at a time,
and the ledger read by external ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wom.contract import iso, parse_time
from wom.rewards import DAY_US
from wom.store import ingest
from wom.store.reward_rules import check_rules, set_rules

__all__ = [
    "DAY_US",
    "START",
    "day",
    "ledger",
    "link_of",
    "reward_of",
    "send",
    "set_reward_rules",
]

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def day(n: float) -> str:
    """The ISO time ``n`` days after START."""
    return (START + timedelta(days=n)).isoformat()


def set_reward_rules(store, *drafts: dict, at: str = day(0)):
    """Record rules (drafts as the API takes them, amounts as text) from ``at``."""
    moment = parse_time(at)
    with store.write() as db:
        rules = check_rules(list(drafts), "EUR")
        return set_rules(db, rules, effective_at=moment, now=moment, by="test")


def send(store, *events: dict, at: str | None = None):
    """Ingest ``events`` as received at ``at`` (the last event's time if None)."""
    received = parse_time(at or max(event["at"] for event in events))
    return ingest(store, list(events), source="test", now=received)


def link_of(store, owner: str) -> str:
    """The referral link code of ``owner``."""
    return (
        store.reader()
        .execute(
            "SELECT l.code FROM links l JOIN people p ON p.id = l.owner_id "
            "WHERE p.external_id = ?",
            [owner],
        )
        .fetchone()[0]
    )


def ledger(store) -> dict[tuple[str, str, str], dict]:
    """Every reward by (whom it rewards, side, credit's customer), with its
    amount, perk, state, reason, held, clawback and times as ISO."""
    rows = store.reader().execute(
        """
        SELECT p.external_id, w.side, c.external_id, r.external_id, w.amount,
               w.perk, w.state, w.reason, w.held, w.clawback, w.earned_at,
               w.due_at, w.id
        FROM rewards w JOIN people p ON p.id = w.person_id
        JOIN people c ON c.id = w.customer_id JOIN people r ON r.id = w.referrer_id
        """
    )
    return {
        (person, side, customer): {
            "referrer": referrer,
            "amount": amount,
            "perk": perk,
            "state": state,
            "reason": reason,
            "held": bool(held),
            "clawback": bool(clawback),
            "earned_at": iso(earned),
            "due_at": iso(due),
            "id": reward_id,
        }
        for (
            person,
            side,
            customer,
            referrer,
            amount,
            perk,
            state,
            reason,
            held,
            clawback,
            earned,
            due,
            reward_id,
        ) in rows
    }


def reward_of(store, person: str, side: str, customer: str) -> dict:
    """One reward of the ledger (KeyError when there is none)."""
    return ledger(store)[(person, side, customer)]


def hold_end(days_after_start: float, hold_days: int) -> int:
    """Microseconds at which a hold of ``hold_days`` from that day ends."""
    return parse_time(day(days_after_start)) + hold_days * DAY_US
