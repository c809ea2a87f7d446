"""reward.approved and reward.paid: written to the webhook outbox in the very
transaction that approves or pays, in the API's shape of a reward; nothing for
a rebuild, for a refused decision, or without a subscriber."""

from __future__ import annotations

import msgspec
import pytest

from tests.rewards_helpers import day, hold_end, ledger, send, set_reward_rules
from wom.actions import approve_due_rewards, decide_rewards
from wom.contract import parse_time
from wom.contract.webhooks import WEBHOOK_EVENTS
from wom.store import Conflict, now_micros, rebuild
from wom.store import webhooks as endpoints
from wom.store.deliveries import ENVELOPE


@pytest.fixture
def subscribe(store):
    def subscribe(events=("reward.approved", "reward.paid")):
        with store.write() as db:
            endpoints.create_endpoint(
                db,
                endpoints.new_endpoint_id(),
                "https://hooks.example/wom",
                list(events),
                b"x",
                now_micros(),
            )

    return subscribe


def sent(store) -> list[dict]:
    rows = store.reader().execute(
        f"SELECT {ENVELOPE} FROM webhook_messages m ORDER BY m.id"
    )
    return [msgspec.json.decode(body) for (body,) in rows]


@pytest.fixture
def earned(store):
    send(store, {"type": "signup", "customer": "ann", "at": day(0)})
    set_reward_rules(
        store, {"side": "referrer", "trigger": "signup", "amount": "5", "hold_days": 14}
    )
    send(store, {"type": "referral", "from": "ann", "to": "bob", "at": day(1)})
    return ledger(store)[("ann", "referrer", "bob")]["id"]


def test_the_job_s_approval_sends_reward_approved(store, earned, subscribe):
    subscribe()
    approve_due_rewards(store, now=hold_end(1, 14))
    (event,) = sent(store)
    assert event["type"] == "reward.approved"
    assert event["data"] | {"at": None} == {
        "id": earned,
        "customer": "ann",
        "side": "referrer",
        "credit": "bob",
        "referrer": "ann",
        "amount": 5.0,
        "currency": "EUR",
        "perk": None,
        "state": "approved",
        "at": None,
        "earned_at": "2026-03-03T09:00:00Z",
        "due_at": "2026-03-17T09:00:00Z",
        "reason": None,
        "note": None,
        "held": False,
        "clawback_due": False,
    }
    msgspec.convert(event, WEBHOOK_EVENTS["reward.approved"])  # the documented shape


def test_marking_paid_sends_reward_paid_with_the_note(store, earned, subscribe):
    approve_due_rewards(store, now=hold_end(1, 14))
    subscribe()
    decide_rewards(
        store, [earned], "paid", note="gift card", now=parse_time(day(16)), by="t"
    )
    (event,) = sent(store)
    assert event["type"] == "reward.paid"
    assert (event["data"]["state"], event["data"]["note"]) == ("paid", "gift card")
    msgspec.convert(event, WEBHOOK_EVENTS["reward.paid"])


def test_a_refused_decision_sends_nothing(store, earned, subscribe):
    subscribe()
    with pytest.raises(Conflict):
        decide_rewards(store, [earned], "paid", now=parse_time(day(2)), by="t")
    assert sent(store) == []


def test_a_void_and_a_rebuild_send_nothing(store, earned, subscribe):
    subscribe()
    decide_rewards(store, [earned], "void", now=parse_time(day(2)), by="t")
    with store.write() as db:
        rebuild(db)
    assert sent(store) == []


def test_without_a_subscriber_nothing_is_written(store, earned):
    approve_due_rewards(store, now=hold_end(1, 14))
    assert sent(store) == []
