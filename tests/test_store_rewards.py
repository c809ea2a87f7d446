"""The ledger under its rules: each trigger, amounts and perks, sides, the monthly
cap, and the hold before approval."""

from __future__ import annotations

import pytest

from tests.rewards_helpers import (
    day,
    hold_end,
    ledger,
    link_of,
    reward_of,
    send,
    set_reward_rules,
)
from wom.actions import approve_due_rewards
from wom.contract import parse_time
from wom.store import InvalidInput
from wom.store.settings import write_setting

SIGNUP_BOTH = {"side": "both", "trigger": "signup", "amount": "5", "hold_days": 14}


def referral(talker: str, listener: str, n: float) -> dict:
    return {"type": "referral", "from": talker, "to": listener, "at": day(n)}


def purchase(customer: str, value, n: float) -> dict:
    return {"type": "purchase", "customer": customer, "value": value, "at": day(n)}


@pytest.fixture
def ann(store):
    """Ann, a customer from day 0."""
    send(store, {"type": "signup", "customer": "ann", "at": day(0)})
    return "ann"


def test_no_rules_no_rewards(store, ann):
    send(store, referral("ann", "bob", 1))
    assert ledger(store) == {}


def test_a_credited_signup_rewards_both_sides(store, ann):
    set_reward_rules(store, SIGNUP_BOTH)
    send(store, referral("ann", "bob", 1))
    found = ledger(store)
    assert set(found) == {("ann", "referrer", "bob"), ("bob", "friend", "bob")}
    for reward in found.values():
        assert reward["amount"] == 500 and reward["perk"] is None
        assert reward["state"] == "pending"
        assert reward["earned_at"] == "2026-03-03T09:00:00Z"
        assert reward["due_at"] == "2026-03-17T09:00:00Z"


@pytest.mark.parametrize("side", ["referrer", "friend"])
def test_a_rule_for_one_side_rewards_that_side_alone(store, ann, side):
    set_reward_rules(store, SIGNUP_BOTH | {"side": side})
    send(store, referral("ann", "bob", 1))
    assert [key[1] for key in ledger(store)] == [side]


def test_each_side_may_have_its_own_rule(store, ann):
    set_reward_rules(
        store,
        SIGNUP_BOTH | {"side": "referrer", "amount": "10"},
        {"side": "friend", "trigger": "signup", "perk": "a free bag"},
    )
    send(store, referral("ann", "bob", 1))
    assert reward_of(store, "ann", "referrer", "bob")["amount"] == 1000
    friend = reward_of(store, "bob", "friend", "bob")
    assert (friend["amount"], friend["perk"]) == (None, "a free bag")


def test_a_customer_without_a_referrer_earns_nothing(store, ann):
    set_reward_rules(store, SIGNUP_BOTH)
    send(store, {"type": "signup", "customer": "cat", "at": day(1)})
    assert ledger(store) == {}


PURCHASE_RULE = SIGNUP_BOTH | {"trigger": "purchase", "min_purchase": "20"}


def test_the_purchase_trigger_waits_for_the_first_purchase(store, ann):
    set_reward_rules(store, PURCHASE_RULE)
    send(store, referral("ann", "bob", 1))
    assert ledger(store) == {}
    send(store, purchase("bob", 25, 3))
    reward = reward_of(store, "ann", "referrer", "bob")
    assert reward["earned_at"] == "2026-03-05T09:00:00Z"
    assert reward["due_at"] == "2026-03-19T09:00:00Z"


@pytest.mark.parametrize(("first", "earns"), [(19.99, False), (20, True)])
def test_the_first_purchase_must_reach_the_minimum(store, ann, first, earns):
    set_reward_rules(store, PURCHASE_RULE)
    send(store, referral("ann", "bob", 1), purchase("bob", first, 2))
    assert bool(ledger(store)) is earns


def test_a_later_larger_purchase_is_not_the_first(store, ann):
    set_reward_rules(store, PURCHASE_RULE)
    send(store, referral("ann", "bob", 1), purchase("bob", 5, 2))
    send(store, purchase("bob", 500, 3))
    assert ledger(store) == {}


def test_a_late_smaller_first_purchase_withdraws_the_reward(store, ann):
    set_reward_rules(store, PURCHASE_RULE)
    send(store, referral("ann", "bob", 1), purchase("bob", 50, 3))
    send(store, purchase("bob", 5, 2), at=day(4))
    reward = reward_of(store, "ann", "referrer", "bob")
    assert (reward["state"], reward["reason"]) == ("voided", "purchase")


CAPPED = SIGNUP_BOTH | {"side": "referrer", "cap_per_month": 2}


def test_the_cap_voids_rewards_past_it_in_a_month(store, ann):
    set_reward_rules(store, CAPPED)
    for n, friend in enumerate(["bob", "cat", "dan"], start=1):
        send(store, referral("ann", friend, n))
    states = {key[2]: (r["state"], r["reason"]) for key, r in ledger(store).items()}
    assert states == {
        "bob": ("pending", None),
        "cat": ("pending", None),
        "dan": ("voided", "cap"),
    }


def test_the_cap_starts_again_each_month(store, ann):
    set_reward_rules(store, CAPPED | {"cap_per_month": 1})
    send(store, referral("ann", "bob", 1))
    send(store, referral("ann", "cat", 30))  # 2026-04-01
    assert {r["state"] for r in ledger(store).values()} == {"pending"}


def test_months_follow_the_time_zone_the_rules_were_set_in(store, ann):
    with store.write() as db:
        write_setting(db, "time_zone", "America/New_York")
    set_reward_rules(store, CAPPED | {"cap_per_month": 1})
    send(store, referral("ann", "bob", 1))
    # 02:00 on 1 April in UTC is still 31 March in New York.
    send(
        store,
        {"type": "referral", "from": "ann", "to": "cat", "at": "2026-04-01T02:00:00Z"},
    )
    assert reward_of(store, "ann", "referrer", "cat")["reason"] == "cap"


def test_the_cap_counts_per_referrer(store, ann):
    set_reward_rules(store, CAPPED | {"cap_per_month": 1})
    send(store, {"type": "signup", "customer": "eve", "at": day(0)})
    send(store, referral("ann", "bob", 1), referral("eve", "cat", 1))
    assert {r["state"] for r in ledger(store).values()} == {"pending"}


def test_a_late_arrival_takes_no_place_from_rewards_known_before(store, ann):
    set_reward_rules(store, CAPPED | {"cap_per_month": 1})
    send(store, referral("ann", "bob", 5))
    # Earlier in the month, but known later: first come, first served.
    send(store, referral("ann", "cat", 2), at=day(6))
    assert reward_of(store, "ann", "referrer", "bob")["state"] == "pending"
    assert reward_of(store, "ann", "referrer", "cat")["reason"] == "cap"


def test_a_reward_voided_elsewhere_frees_its_place(store, ann):
    from wom.actions import decide_rewards

    set_reward_rules(store, CAPPED | {"cap_per_month": 1})
    send(store, referral("ann", "bob", 1))
    send(store, referral("ann", "cat", 2))
    bob = reward_of(store, "ann", "referrer", "bob")
    decide_rewards(store, [bob["id"]], "void", now=parse_time(day(3)), by="test")
    assert reward_of(store, "ann", "referrer", "cat")["state"] == "pending"


def test_the_hold_runs_from_when_wom_learned_of_the_credit(store, ann):
    set_reward_rules(store, SIGNUP_BOTH)
    # An import of last week's referral: held for 14 days from its arrival.
    send(store, referral("ann", "bob", 1), at=day(8))
    assert reward_of(store, "ann", "referrer", "bob")["due_at"] == day(22)[:19] + "Z"


def test_rewards_stay_pending_until_the_hold_ends(store, ann):
    set_reward_rules(store, SIGNUP_BOTH)
    send(store, referral("ann", "bob", 1))
    due = hold_end(1, 14)
    assert approve_due_rewards(store, now=due - 1) == 0
    assert reward_of(store, "ann", "referrer", "bob")["state"] == "pending"
    assert approve_due_rewards(store, now=due) == 2
    assert {r["state"] for r in ledger(store).values()} == {"approved"}


def test_a_hold_of_zero_days_approves_at_the_next_run(store, ann):
    set_reward_rules(store, SIGNUP_BOTH | {"hold_days": 0})
    send(store, referral("ann", "bob", 1))
    assert approve_due_rewards(store, now=parse_time(day(1))) == 2


def test_a_held_credit_never_approves_a_reward(store):
    send(store, {"type": "signup", "customer": "ann", "at": day(0), "visitor": "v1"})
    set_reward_rules(store, SIGNUP_BOTH)
    shared_cookie = {"visitor": "v1", "link": link_of(store, "ann")}
    send(store, {"type": "signup", "customer": "bob", "at": day(1)} | shared_cookie)
    assert reward_of(store, "ann", "referrer", "bob")["held"] is True
    assert approve_due_rewards(store, now=hold_end(1, 100)) == 0
    assert reward_of(store, "ann", "referrer", "bob")["state"] == "pending"


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        ({"amount": None}, "rules[0].amount"),
        ({"perk": "a bag"}, "rules[0].amount"),
        ({"amount": "0.001"}, "rules[0].amount"),
        ({"amount": "0"}, "rules[0].amount"),
        ({"trigger": "purchase"}, "rules[0].min_purchase"),
        ({"min_purchase": "10"}, "rules[0].min_purchase"),
        ({"cap_per_month": 0}, "rules[0].cap_per_month"),
        ({"hold_days": 400}, "rules[0].hold_days"),
        ({"side": "everyone"}, "rules[0].side"),
    ],
)
def test_a_bad_rule_is_refused_naming_its_field(store, draft, field):
    with pytest.raises(InvalidInput) as refused:
        set_reward_rules(store, SIGNUP_BOTH | draft)
    assert field in [problem["field"] for problem in refused.value.errors]
    assert store.reader().execute("SELECT count(*) FROM reward_log").fetchone()[0] == 0


def test_two_rules_for_one_side_are_refused(store):
    with pytest.raises(InvalidInput) as refused:
        set_reward_rules(store, SIGNUP_BOTH, SIGNUP_BOTH | {"side": "friend"})
    assert refused.value.errors[0]["field"] == "rules[1].side"


def test_amounts_are_read_from_their_digits(store, ann):
    set_reward_rules(store, SIGNUP_BOTH | {"amount": "0.29", "side": "referrer"})
    send(store, referral("ann", "bob", 1))
    assert reward_of(store, "ann", "referrer", "bob")["amount"] == 29
