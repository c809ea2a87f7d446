"""First touch against last touch, computed in the background on one snapshot."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from wom import actions
from wom.attribution import credits_by_rule
from wom.service.background import compute
from wom.store import now_micros
from wom.store.attribution_rows import attribution_touches
from wom.store.flags import list_flags

START = datetime(2026, 1, 1, tzinfo=UTC)


def day(n: float) -> str:
    return (START + timedelta(days=n)).isoformat()


@pytest.fixture
def shop(record):
    """ann and bob from the start; cat heard of ann, then bob; dan of ann alone;
    eve of bob, then cat."""
    record(
        {"type": "signup", "customer": "ann", "at": day(0)},
        {"type": "signup", "customer": "bob", "at": day(0)},
        {"type": "mention", "from": "ann", "to": "cat", "at": day(1)},
        {"type": "mention", "from": "bob", "to": "cat", "at": day(3)},
        {"type": "signup", "customer": "cat", "at": day(5)},
        {"type": "mention", "from": "ann", "to": "dan", "at": day(2)},
        {"type": "signup", "customer": "dan", "at": day(6)},
        {"type": "mention", "from": "bob", "to": "eve", "at": day(2)},
        {"type": "mention", "from": "cat", "to": "eve", "at": day(7)},
        {"type": "signup", "customer": "eve", "at": day(8)},
    )


@pytest.fixture
def compared(store, shop):
    return compute(str(store.path))["attribution"]


def test_it_counts_the_customers_whose_referrer_differs(compared):
    assert compared["different_referrer"] == 2
    assert compared["examples"] == [
        {"customer": "cat", "first": "ann", "last": "bob"},
        {"customer": "eve", "first": "bob", "last": "cat"},
    ]


def test_it_ranks_the_starters_under_each_rule(compared):
    def reach(rule):
        return [
            (row["external_id"], row["reach"][rule])
            for row in compared["top_starters"][rule][:2]
        ]

    assert reach("first") == [("ann", 2), ("bob", 1)]  # cat and dan; eve
    assert reach("last") == [("bob", 2), ("ann", 1)]  # cat and eve; dan


def test_it_names_the_live_rule_and_its_window(compared):
    assert (compared["rule"], compared["window_days"]) == ("first", 90)
    assert compared["customers"] == 5
    assert compared["first"] == compared["last"] == {"credited": 3, "held": 0}


def test_a_switch_leaves_the_comparison_as_it_was(store, compared):
    actions.change_setting(store, "attribution_rule", "last")
    again = compute(str(store.path))["attribution"]
    assert again.pop("rule") == "last"
    compared.pop("rule")
    assert again == compared


# -- the array rule equals the store's ------------------------------------------


def world(rng: random.Random, n: int = 60) -> list[dict]:
    """Sign-ups on a few shared cookies and gmail variants, told by earlier
    customers through every kind of touch, some outside a 30-day window."""
    people = [f"p{i:02}" for i in range(n)]
    events = []
    for i, person in enumerate(people):
        joined = 100 + i
        for talker in rng.sample(people[:i], min(i, rng.randint(1, 4))):
            kind = rng.choice(["mention", "heard_from", "referral"])
            at = day(joined - rng.uniform(0, 60))
            events.append({"type": kind, "from": talker, "to": person, "at": at})
        own = [f"{person}@x.org"] * 8
        email = rng.choice(["kim@gmail.com", "k.im@gmail.com", *own])
        visitor = rng.choice(["v-a", "v-b", "v-c", f"v-{person}"])
        events.append(
            {
                "type": "signup",
                "customer": person,
                "email": email,
                "visitor": visitor,
                "at": day(joined),
            }
        )
    rng.shuffle(events)
    return events


def stored_credits(db) -> dict:
    return {
        customer: (referrer, status == "held")
        for customer, referrer, status in db.execute(
            "SELECT customer_id, referrer_id, status FROM credits"
        )
    }


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("rule", ["first", "last"])
def test_the_array_rule_equals_the_stored_credits(store, record, seed, rule):
    rng = random.Random(seed)
    record(*world(rng))
    actions.change_setting(store, "attribution_window_days", "30")
    actions.change_setting(store, "attribution_rule", rule)
    # Some held credits approved, and some credits voided, by the owner.
    for flag in list_flags(store.reader(), kind="held")[:2]:
        actions.decide_flag(store, flag["id"], "approve", now=now_micros())
    for flag in list_flags(store.reader(), kind="held", status="open")[:2]:
        actions.decide_flag(store, flag["id"], "void", now=now_micros())
    db = store.reader()
    chosen = credits_by_rule(attribution_touches(db), 30)
    found = dict(
        zip(
            chosen["customer"].tolist(),
            zip(
                chosen[rule]["referrer"].tolist(),
                chosen[rule]["held"].tolist(),
                strict=True,
            ),
            strict=True,
        )
    )
    stored = stored_credits(db)
    assert sum(held for _, held in stored.values()) > 0
    assert found == stored
