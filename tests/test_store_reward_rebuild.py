"""A rebuild from the event log and the reward log gives the very same ledger."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rewards_helpers import DAY_US, day, link_of, send, set_reward_rules
from tests.wom_events import events, moment, resolve_links
from wom.actions import approve_due_rewards, change_setting, decide_rewards
from wom.contract import now_micros, parse_time
from wom.store import Conflict, Store, ingest, rebuild


def ledger_rows(store) -> dict[str, list[tuple]]:
    """Every row of the ledger and of its totals, sorted."""
    db = store.reader()
    return {
        table: [
            tuple(row) for row in db.execute(f"SELECT * FROM {table} ORDER BY 1, 2")
        ]
        for table in ("rewards", "reward_totals")
    }


def assert_rebuild_keeps(store) -> None:
    before = ledger_rows(store)
    with store.write() as db:
        rebuild(db)
    assert ledger_rows(store) == before


def test_rebuild_gives_the_same_ledger_after_moves_payments_and_caps(store):
    set_reward_rules(
        store,
        {"side": "referrer", "trigger": "signup", "amount": "5", "cap_per_month": 2},
        {
            "side": "friend",
            "trigger": "purchase",
            "min_purchase": "10",
            "perk": "a bag",
        },
    )
    send(store, {"type": "signup", "customer": "ann", "at": day(0), "visitor": "v"})
    send(store, {"type": "signup", "customer": "bob", "at": day(0.5)})
    for n, friend in enumerate(["cat", "dan", "eve"], start=1):
        send(store, {"type": "mention", "from": "ann", "to": friend, "at": day(n)})
        send(
            store, {"type": "mention", "from": "bob", "to": friend, "at": day(n + 0.1)}
        )
        send(store, {"type": "signup", "customer": friend, "at": day(n + 0.2)})
    send(store, {"type": "purchase", "customer": "cat", "value": 12, "at": day(5)})
    held = {"visitor": "v", "link": link_of(store, "ann")}
    send(store, {"type": "signup", "customer": "fay", "at": day(6)} | held)
    approve_due_rewards(store, now=parse_time(day(40)))
    approved = [
        row[0]
        for row in store.reader().execute(
            "SELECT id FROM rewards WHERE state = 'approved' ORDER BY id LIMIT 1"
        )
    ]
    decide_rewards(store, approved, "paid", now=parse_time(day(41)), by="test")
    change_setting(store, "attribution_rule", "last")  # moves, and a clawback
    states = {row[0] for row in store.reader().execute("SELECT state FROM rewards")}
    assert states >= {"paid", "voided", "pending"}
    assert_rebuild_keeps(store)


RULES = st.fixed_dictionaries(
    {
        "side": st.sampled_from(["referrer", "friend", "both"]),
        "trigger": st.sampled_from(["signup", "purchase"]),
        "amount": st.sampled_from(["5", "0.5"]),
        "cap_per_month": st.sampled_from([None, 1, 2]),
        "hold_days": st.sampled_from([0, 3]),
    }
).map(lambda r: r | ({"min_purchase": "5"} if r["trigger"] == "purchase" else {}))
TALKERS = st.sampled_from(["ann", "bob", "cat"])
LISTENERS = st.sampled_from(["dan", "eve", "fay", "gus"])


@st.composite
def reward_events(draw):
    """Events that mostly credit someone: talkers who are customers early on,
    listeners who are not yet, their sign-ups (some in a talker's browser) and
    purchases."""
    kind = draw(st.sampled_from(["referral", "mention", "signup", "purchase"]))
    listener, at = draw(LISTENERS), draw(moment)
    if kind in ("referral", "mention"):
        return {"type": kind, "from": draw(TALKERS), "to": listener, "at": at}
    if kind == "purchase":
        value = draw(st.sampled_from([2, 5, 12.5]))
        return {"type": "purchase", "customer": listener, "at": at, "value": value}
    event = {"type": "signup", "customer": listener, "at": at}
    if draw(st.booleans()):
        event["link_of"] = draw(TALKERS)
    if draw(st.booleans()):
        event["visitor"] = draw(st.sampled_from(["v1", "v2"]))
    return event


STEPS = st.lists(
    st.one_of(
        st.lists(events(), min_size=1, max_size=4).map(lambda b: ("events", b)),
        st.lists(reward_events(), min_size=2, max_size=8).map(lambda b: ("events", b)),
        st.lists(reward_events(), min_size=2, max_size=8).map(lambda b: ("events", b)),
        st.just(("approve", None)),
        st.sampled_from(["paid", "void"]).map(lambda d: ("decide", d)),
        st.sampled_from(["first", "last"]).map(lambda r: ("switch", r)),
        RULES.map(lambda r: ("rules", r)),
    ),
    min_size=3,
    max_size=12,
)
# Everyone a customer early on, so that most histories credit someone.
EARLY = [
    {"type": "signup", "customer": name, "at": f"2026-01-01T0{hour}:00:00Z", **device}
    for hour, (name, device) in enumerate(
        [("ann", {"visitor": "v1"}), ("bob", {}), ("cat", {"visitor": "v2"})]
    )
]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RULES, STEPS)
def test_incremental_ledger_equals_rebuild(first_rules, steps):
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "wom.db")
        store.migrate()
        set_reward_rules(store, first_rules, at="2025-12-01T00:00:00Z")
        clock = now_micros()
        ingest(store, EARLY, source="test")
        for kind, step in steps:
            clock += DAY_US
            if kind == "events":
                ingest(store, resolve_links(store, step), source="test")
            elif kind == "approve":
                approve_due_rewards(store, now=clock)
            elif kind == "decide":
                _decide_one(store, step, clock)
            elif kind == "switch":
                change_setting(store, "attribution_rule", step)
            else:
                with store.write() as db:
                    from wom.store.reward_rules import check_rules, set_rules

                    set_rules(
                        db,
                        check_rules([step], "EUR"),
                        effective_at=clock,
                        now=clock,
                        by="test",
                    )
        assert_rebuild_keeps(store)
        store.close()


def _decide_one(store, decision: str, now: int) -> None:
    state = "approved" if decision == "paid" else "pending"
    row = (
        store.reader()
        .execute("SELECT id FROM rewards WHERE state = ? ORDER BY id LIMIT 1", [state])
        .fetchone()
    )
    if row is not None:
        try:
            decide_rewards(store, [row[0]], decision, now=now, by="test")
        except Conflict:
            pass  # a held credit's reward cannot be paid yet
