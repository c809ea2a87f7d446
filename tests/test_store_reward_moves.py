"""Fraud, moves and rule changes: a voided or moved credit voids its unpaid
rewards and the new credit earns its own; a paid one becomes a clawback due;
rule changes apply from then on; the owner's decisions."""

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
from wom.actions import approve_due_rewards, change_setting, decide_flag, decide_rewards
from wom.contract import parse_time
from wom.store import Conflict, InvalidInput, NotFound

RULE = {"side": "both", "trigger": "signup", "amount": "5", "hold_days": 14}


def at(n: float) -> int:
    return parse_time(day(n))


def held_flag(store, customer: str) -> str:
    return (
        store.reader()
        .execute(
            "SELECT f.key FROM flags f JOIN people p ON p.id = f.customer_id "
            "WHERE f.kind = 'held' AND p.external_id = ?",
            [customer],
        )
        .fetchone()[0]
    )


def void_credit(store, customer: str, referrer: str, n: float) -> None:
    """The owner voids a credit already approved (as the Review page records
    it: a review per credit, then the customer's credit derived again)."""
    from wom.store.credits import derive_credits_of

    with store.write() as db:
        ids = dict(db.execute("SELECT external_id, id FROM people"))
        db.execute(
            "INSERT INTO reviews(customer_id, referrer_id, decision, decided_at) "
            "VALUES (?, ?, 'voided', ?) ON CONFLICT(customer_id, referrer_id) "
            "DO UPDATE SET decision = 'voided'",
            [ids[customer], ids[referrer], at(n)],
        )
        derive_credits_of(db, [ids[customer]])


@pytest.fixture
def held(store):
    """Bob signed up through Ann's link in her own browser: a held credit, with
    rewards under RULE."""
    send(store, {"type": "signup", "customer": "ann", "at": day(0), "visitor": "v1"})
    set_reward_rules(store, RULE)
    send(
        store,
        {
            "type": "signup",
            "customer": "bob",
            "at": day(1),
            "visitor": "v1",
            "link": link_of(store, "ann"),
        },
    )
    return held_flag(store, "bob")


def test_approving_a_held_credit_lets_its_rewards_approve(store, held):
    decide_flag(store, held, "approve", now=at(2))
    assert approve_due_rewards(store, now=hold_end(1, 14)) == 2


def test_a_flag_decision_voiding_a_credit_voids_its_pending_rewards(store, held):
    decide_flag(store, held, "void", now=at(2))
    for reward in ledger(store).values():
        assert (reward["state"], reward["reason"]) == ("voided", "review")
    assert approve_due_rewards(store, now=hold_end(1, 100)) == 0


def test_a_voided_credit_voids_approved_rewards_too(store, held):
    decide_flag(store, held, "approve", now=at(2))
    approve_due_rewards(store, now=hold_end(1, 14))
    void_credit(store, "bob", "ann", 20)
    assert {r["state"] for r in ledger(store).values()} == {"voided"}


@pytest.fixture
def paid(store, held):
    """Ann's and Bob's rewards for Bob's credit, approved and paid."""
    decide_flag(store, held, "approve", now=at(2))
    approve_due_rewards(store, now=hold_end(1, 14))
    ids = [reward["id"] for reward in ledger(store).values()]
    decide_rewards(store, ids, "paid", note="bank transfer", now=at(16), by="test")
    return held


def test_paying_an_approved_reward(store, paid):
    assert {r["state"] for r in ledger(store).values()} == {"paid"}


def test_a_paid_reward_whose_credit_is_voided_is_a_clawback_due(store, paid):
    void_credit(store, "bob", "ann", 20)
    reward = reward_of(store, "ann", "referrer", "bob")
    assert reward["state"] == "paid"
    assert (reward["clawback"], reward["reason"]) == (True, "review")
    totals = dict(
        store.reader().execute(
            "SELECT state, amount FROM reward_totals WHERE currency = 'EUR'"
        )
    )
    assert totals["clawback"] == 1000


def test_voiding_a_clawback_settles_it(store, paid):
    void_credit(store, "bob", "ann", 20)
    reward = reward_of(store, "ann", "referrer", "bob")
    decide_rewards(store, [reward["id"]], "void", note="repaid", now=at(21), by="t")
    reward = reward_of(store, "ann", "referrer", "bob")
    assert (reward["state"], reward["clawback"]) == ("voided", False)


@pytest.fixture
def two_referrers(store):
    """Dan heard of us from Ann first, then Bob: first touch credits Ann."""
    set_reward_rules(store, RULE)
    send(
        store,
        {"type": "signup", "customer": "ann", "at": day(0)},
        {"type": "signup", "customer": "bob", "at": day(0.5)},
        at=day(0.5),
    )
    send(
        store,
        {"type": "mention", "from": "ann", "to": "dan", "at": day(1)},
        {"type": "mention", "from": "bob", "to": "dan", "at": day(2)},
        {"type": "signup", "customer": "dan", "at": day(3)},
    )
    return store


def test_a_credit_moving_to_another_referrer_voids_and_earns_anew(two_referrers):
    store = two_referrers
    before = ledger(store)
    assert {key[0] for key in before} == {"ann", "dan"}
    change_setting(store, "attribution_rule", "last")
    after = ledger(store)
    assert after[("ann", "referrer", "dan")]["state"] == "voided"
    assert after[("ann", "referrer", "dan")]["reason"] == "moved"
    assert after[("bob", "referrer", "dan")]["state"] == "pending"
    # The friend's reward follows its credit: the old one voided, a new one.
    friend = [r for key, r in after.items() if key == ("dan", "friend", "dan")]
    assert friend[0]["referrer"] == "bob" and friend[0]["state"] == "pending"
    old = before[("dan", "friend", "dan")]["id"]
    row = store.reader().execute("SELECT state FROM rewards WHERE id = ?", [old])
    assert row.fetchone()[0] == "voided"


def test_a_reward_id_derives_from_its_credit_and_side(two_referrers):
    ids = {key: reward["id"] for key, reward in ledger(two_referrers).items()}
    ann, dan = (
        two_referrers.reader()
        .execute(
            "SELECT id FROM people WHERE external_id IN ('ann', 'dan') "
            "ORDER BY external_id"
        )
        .fetchall()
    )
    assert ids[("ann", "referrer", "dan")] == f"rw_{dan[0]}_{ann[0]}_referrer"


def test_a_credit_that_comes_back_stands_again_under_its_id(two_referrers):
    store = two_referrers
    first = reward_of(store, "ann", "referrer", "dan")
    change_setting(store, "attribution_rule", "last")
    change_setting(store, "attribution_rule", "first")
    again = reward_of(store, "ann", "referrer", "dan")
    assert (again["id"], again["state"]) == (first["id"], "pending")
    assert reward_of(store, "bob", "referrer", "dan")["reason"] == "moved"


def test_a_rule_change_leaves_earlier_rewards_as_they_were(store):
    send(store, {"type": "signup", "customer": "ann", "at": day(0)})
    set_reward_rules(store, RULE)
    send(store, {"type": "referral", "from": "ann", "to": "bob", "at": day(1)})
    set_reward_rules(store, RULE | {"amount": "8", "side": "referrer"}, at=day(2))
    send(store, {"type": "referral", "from": "ann", "to": "cat", "at": day(3)})
    found = {key: r["amount"] for key, r in ledger(store).items()}
    assert found == {
        ("ann", "referrer", "bob"): 500,
        ("bob", "friend", "bob"): 500,
        ("ann", "referrer", "cat"): 800,
    }


def test_a_credit_follows_the_rules_at_its_time_even_when_it_arrives_later(store):
    send(store, {"type": "signup", "customer": "ann", "at": day(0)})
    set_reward_rules(store, RULE)
    set_reward_rules(store, RULE | {"amount": "8"}, at=day(2))
    send(
        store, {"type": "referral", "from": "ann", "to": "bob", "at": day(1)}, at=day(3)
    )
    assert reward_of(store, "ann", "referrer", "bob")["amount"] == 500


def test_ending_the_rules_ends_rewards_from_then_on(store):
    send(store, {"type": "signup", "customer": "ann", "at": day(0)})
    set_reward_rules(store, RULE)
    send(store, {"type": "referral", "from": "ann", "to": "bob", "at": day(1)})
    set_reward_rules(store, at=day(2))
    send(store, {"type": "referral", "from": "ann", "to": "cat", "at": day(3)})
    assert {key[2] for key in ledger(store)} == {"bob"}


def test_a_rule_change_cannot_reach_into_the_past(store):
    from wom.store.reward_rules import check_rules, set_rules

    rules = check_rules([RULE], "EUR")
    with pytest.raises(InvalidInput), store.write() as db:
        set_rules(db, rules, effective_at=at(1), now=at(2), by="test")


@pytest.fixture
def pending(store):
    send(store, {"type": "signup", "customer": "ann", "at": day(0)})
    set_reward_rules(store, RULE)
    send(store, {"type": "referral", "from": "ann", "to": "bob", "at": day(1)})
    return reward_of(store, "ann", "referrer", "bob")["id"]


def test_a_pending_reward_cannot_be_paid_before_its_hold_ends(store, pending):
    with pytest.raises(Conflict, match="pending until 2026-03-17T09:00:00Z"):
        decide_rewards(store, [pending], "paid", now=at(2), by="test")


def test_a_paid_reward_whose_credit_stands_cannot_be_voided(store, pending):
    approve_due_rewards(store, now=hold_end(1, 14))
    decide_rewards(store, [pending], "paid", now=at(16), by="test")
    with pytest.raises(Conflict, match="paid and its credit stands"):
        decide_rewards(store, [pending], "void", now=at(17), by="test")


def test_a_voided_reward_is_never_paid(store, pending):
    decide_rewards(store, [pending], "void", note="duplicate", now=at(2), by="t")
    with pytest.raises(Conflict, match="voided"):
        decide_rewards(store, [pending], "paid", now=at(20), by="test")
    reward = reward_of(store, "ann", "referrer", "bob")
    assert (reward["state"], reward["reason"]) == ("voided", "owner")


def test_deciding_again_changes_nothing(store, pending):
    approve_due_rewards(store, now=hold_end(1, 14))
    decide_rewards(store, [pending], "paid", now=at(16), by="test")
    decide_rewards(store, [pending], "paid", now=at(17), by="test")
    entries = store.reader().execute(
        "SELECT count(*) FROM reward_log WHERE kind = 'paid'"
    )
    assert entries.fetchone()[0] == 1


def test_a_batch_of_decisions_is_all_or_nothing(store, pending):
    friend = reward_of(store, "bob", "friend", "bob")["id"]
    approve_due_rewards(store, now=hold_end(1, 14))
    decide_rewards(store, [friend], "void", now=at(15), by="test")
    with pytest.raises(Conflict):
        decide_rewards(store, [pending, friend], "paid", now=at(16), by="test")
    assert reward_of(store, "ann", "referrer", "bob")["state"] == "approved"


def test_an_unknown_reward_is_not_found(store, pending):
    with pytest.raises(NotFound):
        decide_rewards(store, ["rw_9_9_friend"], "void", now=at(2), by="test")


def test_the_reward_log_is_append_only_but_for_erasing_a_note(store, pending):
    decide_rewards(store, [pending], "void", note="Ann asked", now=at(2), by="t")
    with store.write() as db:
        db.execute("UPDATE reward_log SET note = NULL WHERE kind = 'voided'")
    for sql in (
        "UPDATE reward_log SET body = '{}' WHERE kind = 'voided'",
        "DELETE FROM reward_log",
    ):
        with pytest.raises(Exception, match="append-only"), store.write() as db:
            db.execute(sql)


def test_erasing_a_person_blanks_the_notes_on_their_rewards(store, pending):
    from wom.store.erasure import erase

    decide_rewards(store, [pending], "void", note="Bob asked", now=at(2), by="t")
    erase(store, "bob")
    db = store.reader()
    assert (
        db.execute("SELECT count(*) FROM reward_log WHERE note IS NOT NULL").fetchone()[
            0
        ]
        == 0
    )
    assert db.execute(
        "SELECT note, state FROM rewards WHERE id = ?", [pending]
    ).fetchone() == (None, "voided")


def test_a_flag_decision_moves_a_credit_and_the_new_credit_earns(store):
    """Ann (in Dan's browser) told Dan first, Bob after: Ann's credit is held;
    voiding it in review moves the credit to Bob."""
    send(store, {"type": "signup", "customer": "ann", "at": day(0), "visitor": "v1"})
    send(store, {"type": "signup", "customer": "bob", "at": day(0.5)})
    set_reward_rules(store, RULE)
    send(
        store,
        {"type": "mention", "from": "ann", "to": "dan", "at": day(1)},
        {"type": "mention", "from": "bob", "to": "dan", "at": day(1.5)},
        {"type": "signup", "customer": "dan", "at": day(2), "visitor": "v1"},
    )
    assert reward_of(store, "ann", "referrer", "dan")["held"] is True
    decide_flag(store, held_flag(store, "dan"), "void", now=at(3))
    found = ledger(store)
    ann = found[("ann", "referrer", "dan")]
    assert (ann["state"], ann["reason"]) == ("voided", "review")
    assert found[("bob", "referrer", "dan")]["state"] == "pending"
    assert found[("bob", "referrer", "dan")]["held"] is False
