"""The outbox: a change and its webhook messages commit together or not at all;
each event type in the contract's shape; nothing without a subscriber, for an
import, or for a rebuild; erasure reaches the messages and the kept answers."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from tests.test_attribution import link_of
from wom import actions
from wom.contract.times import iso
from wom.contract.webhooks import EVENT_TYPES, WEBHOOK_EVENTS
from wom.store import ingest, now_micros, rebuild
from wom.store import webhooks as endpoints
from wom.store.bulk import load_history
from wom.store.csvio import import_csv
from wom.store.deliveries import ENVELOPE
from wom.store.outbox import emit, iso_sql
from wom.store.reviews import decide

AT = "2026-01-0{}T00:00:00Z"


def signup(customer: str, day: int = 1, **more) -> dict:
    return {"type": "signup", "customer": customer, "at": AT.format(day)} | more


@pytest.fixture
def subscribe(store):
    """Subscribe an endpoint to ``events`` (all by default)."""

    def subscribe(events=EVENT_TYPES, url="https://hooks.example/wom"):
        with store.write() as db:
            endpoints.create_endpoint(
                db, endpoints.new_endpoint_id(), url, list(events), b"x", now_micros()
            )

    return subscribe


def sent(store, type_: str | None = None) -> list[dict]:
    """The messages written so far, decoded (of one type, if given)."""
    rows = store.reader().execute(
        f"SELECT m.type, {ENVELOPE} FROM webhook_messages m ORDER BY m.id"
    )
    return [
        msgspec.json.decode(body)
        for kind, body in rows
        if type_ is None or kind == type_
    ]


def test_without_a_subscriber_nothing_is_written(store):
    ingest(store, [signup("ann")], source="test")
    assert sent(store) == []


def test_a_new_customer_is_a_customer_created_event(store, subscribe):
    subscribe()
    ingest(store, [signup("ann", email="ann@example.org")], source="test")
    (event,) = sent(store)
    assert event["type"] == "customer.created"
    assert event["data"] | {"acquired_at": None} == {
        "id": "ann",
        "status": "customer",
        "acquired_at": None,
        "acquired_via": "root",
        "name": None,
        "email": "ann@example.org",
    }


@pytest.mark.parametrize(
    "micros", [0, 1, 1_500_000, 1_767_225_600_000_001, -1, -1_500_000, 253402300799]
)
def test_times_in_messages_are_written_as_the_api_writes_them(store, micros):
    query = f"SELECT {iso_sql('t.at')} FROM (SELECT ? AS at) t"
    (found,) = store.reader().execute(query, [micros]).fetchone()
    assert found == iso(micros)


def test_every_message_fits_its_contract_type(store, subscribe):
    subscribe()
    ingest(store, [signup("ann")], source="test")
    ingest(
        store,
        [signup("ben", 2, link=link_of(store, "ann")), signup("ann", 3)],
        source="test",
    )
    assert sent(store)
    for event in sent(store):
        kind = WEBHOOK_EVENTS[event["type"]]
        msgspec.json.decode(msgspec.json.encode(event), type=kind)


def test_a_returning_customer_is_not_created_again(store, subscribe):
    subscribe()
    ingest(store, [signup("ann", 2)], source="test")
    ingest(store, [signup("ann", 1), signup("ann", 3)], source="test")
    assert len(sent(store, "customer.created")) == 1


def test_a_prospect_is_no_customer(store, subscribe):
    subscribe()
    mention = {"type": "mention", "from": "ann", "to": "bob", "at": AT.format(1)}
    ingest(store, [signup("ann"), mention], source="test")
    assert [e["data"]["id"] for e in sent(store, "customer.created")] == ["ann"]


def test_a_credited_referral_names_both_people(store, subscribe):
    ingest(store, [signup("ann")], source="test")
    subscribe(["referral.credited"])
    ingest(store, [signup("ben", 2, link=link_of(store, "ann"))], source="test")
    (event,) = sent(store)
    assert event["data"]["customer"] == "ben"
    assert event["data"]["credited_referrer"]["id"] == "ann"
    assert event["data"]["credited_referrer"]["status"] == "credited"


def test_only_the_subscribed_types_are_written(store, subscribe):
    subscribe(["referral.credited"])
    ingest(store, [signup("ann")], source="test")
    assert sent(store) == []


@pytest.fixture
def held(store, subscribe):
    """Ben signed up through Ann's link from Ann's device: held, flagged."""
    ingest(store, [signup("ann", visitor="cookie-1")], source="test")
    subscribe()
    ingest(
        store,
        [signup("ben", 2, link=link_of(store, "ann"), visitor="cookie-1")],
        source="test",
    )
    return store.reader().execute("SELECT key FROM flags").fetchone()[0]


def test_a_held_credit_opens_a_flag_and_credits_nobody(store, held):
    (flag,) = sent(store, "flag.opened")
    assert flag["data"]["id"] == held
    assert flag["data"]["kind"] == "held"
    assert flag["data"]["status"] == "open"
    assert sent(store, "referral.credited") == []


def test_approving_a_held_credit_credits_it(store, held):
    with store.write() as db:
        decide(db, held, "approved", now=now_micros())
    (event,) = sent(store, "referral.credited")
    assert event["data"]["credited_referrer"]["id"] == "ann"
    assert len(sent(store, "flag.opened")) == 1  # re-derived, not opened again


def test_voiding_a_credited_referral_says_the_owner_did(store, subscribe):
    ingest(store, [signup("ann")], source="test")
    ingest(store, [signup("ben", 2, link=link_of(store, "ann"))], source="test")
    with store.write() as db:
        db.execute(
            "INSERT INTO flags(key, kind, customer_id, referrer_id, reason, "
            "raised_at) SELECT 'x', 'burst', 2, 1, 'a burst', 0"
        )
        db.execute("INSERT INTO flag_credits VALUES ('x', 2, 1)")  # what it names
    subscribe()
    with store.write() as db:
        decide(db, "x", "voided", now=now_micros())
    (event,) = sent(store, "referral.voided")
    assert event["data"]["reason"] == "review"
    assert event["data"]["voided"]["id"] == "ann"
    assert event["data"]["credited_referrer"] is None


def test_a_rule_switch_that_moves_a_credit_voids_and_credits(store, subscribe):
    mention = {"type": "mention", "from": "cat", "to": "ben", "at": AT.format(2)}
    ingest(store, [signup("ann"), signup("cat")], source="test")
    ingest(store, [mention], source="test")
    ingest(store, [signup("ben", 3, link=link_of(store, "ann"))], source="test")
    subscribe()
    actions.change_setting(store, "attribution_rule", "last")
    (voided,) = sent(store, "referral.voided")
    (credited,) = sent(store, "referral.credited")
    assert voided["data"]["reason"] == "moved"
    assert voided["data"]["voided"]["id"] == "cat"
    assert credited["data"]["credited_referrer"]["id"] == "ann"


def test_a_rolled_back_change_writes_no_message(store, subscribe):
    subscribe()
    with pytest.raises(RuntimeError), store.write() as db:
        emit(db, "reward.paid", {"id": "rw_1"})
        raise RuntimeError("the change fails")
    assert sent(store) == []


def test_a_savepoint_rolled_back_leaves_no_event(store, subscribe):
    subscribe()
    with store.write() as db:
        db.execute("SAVEPOINT attempt")
        ingest(store, [signup("ann")], source="test")  # joins this transaction
        db.execute("ROLLBACK TO attempt")
        db.execute("RELEASE attempt")
    assert sent(store) == []


def test_rewards_add_an_event_with_one_call(store, subscribe):
    subscribe(["reward.approved"])
    with store.write() as db:
        emit(db, "reward.approved", {"id": "rw_1", "state": "approved"})
    assert [e["data"]["id"] for e in sent(store, "reward.approved")] == ["rw_1"]


def test_a_csv_import_sends_nothing_unless_asked(store, subscribe):
    subscribe()
    import_csv(store, "id,acquired_at\nann,2026-01-01T00:00:00Z\n")
    assert sent(store) == []
    import_csv(store, "id,acquired_at\nbob,2026-01-01T00:00:00Z\n", webhooks=True)
    assert [e["data"]["id"] for e in sent(store)] == ["bob"]


@pytest.mark.parametrize(("asked", "created"), [(False, []), (True, ["ann"])])
def test_a_bulk_load_sends_nothing_unless_asked(store, subscribe, asked, created):
    subscribe()
    people = [{"external_id": "ann", "link_code": "ann-code"}]
    at = datetime(2026, 1, 1, tzinfo=UTC)
    events = [{"type": "signup", "customer": "ann", "at": at}]
    load_history(store, people, events, ip_key=b"k" * 32, webhooks=asked)
    assert [e["data"]["id"] for e in sent(store)] == created


def test_a_rebuild_sends_nothing(store, subscribe):
    ingest(store, [signup("ann")], source="test")
    subscribe()
    with store.write() as db:
        rebuild(db)
    assert sent(store) == []


def test_a_disabled_endpoint_gets_nothing_new(store, subscribe):
    subscribe()
    with store.write() as db:
        db.execute("UPDATE webhook_endpoints SET disabled_at = 1")
        endpoints.forget_subscriptions(db)
    ingest(store, [signup("ann")], source="test")
    assert sent(store) == []


def test_erasure_redacts_pending_messages_and_kept_answers(store, subscribe):
    subscribe()
    ingest(
        store, [signup("ann", name="Ann Lee", email="ann@example.org")], source="test"
    )
    ingest(store, [signup("ben", 2, link=link_of(store, "ann"))], source="test")
    with store.write() as db:
        db.execute(
            "INSERT INTO webhook_deliveries(message_id, endpoint_id, next_at, "
            "give_up_at) SELECT id, 1, 0, 0 FROM webhook_messages"
        )
        db.execute(
            "INSERT INTO webhook_attempts(delivery_id, tried_at, latency_ms, "
            "response) SELECT id, 0, 1, 'hello Ann Lee' FROM webhook_deliveries"
        )
    pseudonym = actions.erase_customer(store, "ann")
    stored = store.reader().execute("SELECT data FROM webhook_messages")
    text = " ".join(data for (data,) in stored)
    assert "ann" not in text.replace("erased", "")
    assert "Ann Lee" not in text
    created = sent(store, "customer.created")
    assert created[0]["data"]["id"] == pseudonym
    assert created[0]["data"]["email"] is None
    assert created[1]["data"]["id"] == "ben"  # nobody else's data changes
    answers = store.reader().execute("SELECT response FROM webhook_attempts")
    assert {row[0] for row in answers} == {None}
