"""The delivery worker against a real receiver on loopback that verifies every
signature with ``standardwebhooks``: retries with backoff and one webhook-id,
a day of failures, rotation, resend, test messages, pruning."""

from __future__ import annotations

import random

import msgspec
import pytest

from tests.webhook_receiver import Receiver, verifies
from wom import actions
from wom.contract.webhooks import WebhookInput
from wom.store import ingest, now_micros
from wom.store import webhooks as endpoints
from wom.store.deliveries import KEEP_US
from wom.store.link_cache import LinkCache
from wom.webhooks import Deliverer, Policy, Sealer

HOUR = 3600 * 1_000_000
DAY = 24 * HOUR
SIGNUP = {"type": "signup", "customer": "ann", "at": "2026-01-01T00:00:00Z"}


class Clock:
    """Now, plus however far a test has moved time on (microseconds)."""

    def __init__(self):
        self.offset = 0

    def __call__(self) -> int:
        return now_micros() + self.offset


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sealer():
    return Sealer("t" * 64)


@pytest.fixture
def deliverer(store, sealer, clock):
    worker = Deliverer(
        store, sealer, Policy(allow_loopback=True), clock=clock, rng=random.Random(7)
    )
    yield worker
    worker.stop()


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def endpoint(store, sealer, receiver):
    """An endpoint on the receiver for every event; the receiver knows its secret."""
    asked = WebhookInput(url=receiver.url, events=["customer.created"])
    made = actions.add_webhook(
        store, sealer, Policy(allow_loopback=True), asked, now=now_micros()
    )
    receiver.secrets.append(made["secret"])
    return made


def deliveries(store) -> list[tuple]:
    return (
        store.reader()
        .execute("SELECT state, attempts FROM webhook_deliveries ORDER BY id")
        .fetchall()
    )


def test_an_event_arrives_signed_in_the_contracts_shape(
    store, endpoint, deliverer, receiver
):
    ingest(store, [SIGNUP], source="test")
    assert deliverer.run_once() == 1
    (receipt,) = receiver.delivered
    event = msgspec.json.decode(receipt.body)
    assert event["type"] == "customer.created"
    assert event["data"]["id"] == "ann"
    assert receipt.message_id.startswith("msg_")
    assert deliveries(store) == [("delivered", 1)]


def test_a_receiver_failing_three_times_gets_the_event_on_the_fourth_try(
    store, endpoint, deliverer, receiver, clock
):
    receiver.statuses = [500, 500, 500]
    ingest(store, [SIGNUP], source="test")
    assert deliverer.run_once() == 1
    assert deliverer.run_once() == 0  # its backoff has not passed
    for _ in range(3):
        clock.offset += HOUR
        assert deliverer.run_once() == 1
    assert [r.answered for r in receiver.receipts] == [500, 500, 500, 200]
    assert all(r.verified for r in receiver.receipts)
    assert len({r.message_id for r in receiver.receipts}) == 1
    assert deliveries(store) == [("delivered", 4)]


def test_each_try_is_recorded_with_status_and_latency(
    store, endpoint, deliverer, receiver, clock
):
    receiver.statuses = [503]
    ingest(store, [SIGNUP], source="test")
    deliverer.run_once()
    clock.offset += HOUR
    deliverer.run_once()
    tries = endpoints.deliveries_of(store.reader(), endpoint["id"])
    assert [t["status"] for t in tries] == [200, 503]
    assert all(t["latency_ms"] >= 0 for t in tries)
    assert tries[1]["response"] == "not now"
    assert tries[0]["message_id"] == receiver.receipts[0].message_id


def test_the_waits_grow_and_are_jittered(store, endpoint, deliverer, receiver, clock):
    receiver.statuses = [500] * 6
    ingest(store, [SIGNUP], source="test")
    waits = []
    for _ in range(6):
        deliverer.run_once()
        at, following = (
            store.reader()
            .execute(
                "SELECT (SELECT max(tried_at) FROM webhook_attempts), next_at "
                "FROM webhook_deliveries"
            )
            .fetchone()
        )
        waits.append((following - at) / 1e6)
        clock.offset += following - clock()
    assert waits == sorted(waits)
    assert all(5 * 2**n / 2 <= wait <= 5 * 2**n for n, wait in enumerate(waits))


def test_a_delivery_failing_for_a_day_is_given_up(
    store, endpoint, deliverer, receiver, clock
):
    receiver.statuses = [500] * 100
    ingest(store, [SIGNUP], source="test")
    deliverer.run_once()
    clock.offset += DAY + HOUR
    deliverer.run_once()
    assert deliveries(store) == [("failed", 2)]
    assert deliverer.run_once() == 0


def test_an_endpoint_failing_for_a_day_is_disabled_and_says_why(
    store, endpoint, deliverer, receiver, clock
):
    receiver.statuses = [500] * 100
    ingest(store, [SIGNUP], source="test")
    deliverer.run_once()
    clock.offset += DAY + HOUR
    deliverer.run_once()
    found = endpoints.endpoint(store.reader(), endpoint["id"])
    assert found["disabled_at"] is not None
    assert "24 hours" in found["disabled_reason"]
    assert "HTTP 500" in found["disabled_reason"]
    # A disabled endpoint hears of nothing new.
    ingest(store, [SIGNUP | {"customer": "bob"}], source="test")
    count = store.reader().execute("SELECT count(*) FROM webhook_messages")
    assert count.fetchone()[0] == 1


def test_a_success_clears_the_failing_mark(store, endpoint, deliverer, receiver, clock):
    receiver.statuses = [500]
    ingest(store, [SIGNUP], source="test")
    deliverer.run_once()
    assert endpoints.endpoint(store.reader(), endpoint["id"])["failing_since"]
    clock.offset += HOUR
    deliverer.run_once()
    assert endpoints.endpoint(store.reader(), endpoint["id"])["failing_since"] is None


def test_during_a_rotation_both_secrets_sign(
    store, sealer, endpoint, deliverer, receiver
):
    old = endpoint["secret"]
    new = actions.rotate_webhook_secret(store, sealer, endpoint["id"], now=now_micros())
    ingest(store, [SIGNUP], source="test")
    deliverer.run_once()
    (receipt,) = receiver.receipts
    assert len(receipt.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new["secret"]):
        assert verifies([secret], receipt.headers, receipt.body)


def test_after_the_overlap_only_the_new_secret_signs(
    store, sealer, endpoint, deliverer, receiver, clock
):
    new = actions.rotate_webhook_secret(store, sealer, endpoint["id"], now=now_micros())
    clock.offset += DAY + HOUR
    ingest(store, [SIGNUP], source="test")
    deliverer.run_once()
    (receipt,) = receiver.receipts
    assert verifies([new["secret"]], receipt.headers, receipt.body)
    assert not verifies([endpoint["secret"]], receipt.headers, receipt.body)


def test_a_resent_delivery_keeps_its_webhook_id(store, endpoint, deliverer, receiver):
    ingest(store, [SIGNUP], source="test")
    deliverer.run_once()
    (tried,) = endpoints.deliveries_of(store.reader(), endpoint["id"])
    actions.resend_delivery(store, endpoint["id"], tried["delivery"], now=now_micros())
    deliverer.run_once()
    first, again = receiver.delivered
    assert first.message_id == again.message_id
    assert first.body == again.body


def test_a_test_message_goes_to_its_endpoint_alone(
    store, sealer, endpoint, deliverer, receiver
):
    with Receiver() as other:
        asked = WebhookInput(url=other.url, events=["customer.created"])
        actions.add_webhook(
            store, sealer, Policy(allow_loopback=True), asked, now=now_micros()
        )
        sent = actions.send_test_webhook(store, endpoint["id"], now=now_micros())
        deliverer.run_once()
        assert other.receipts == []
    (receipt,) = receiver.delivered
    assert receipt.message_id == sent
    assert msgspec.json.decode(receipt.body)["data"] == {"endpoint": endpoint["id"]}


def test_an_endpoint_hears_only_of_what_happens_after_it_was_added(
    store, sealer, deliverer, receiver
):
    ingest(store, [SIGNUP], source="test")
    asked = WebhookInput(url=receiver.url, events=["customer.created"])
    actions.add_webhook(
        store, sealer, Policy(allow_loopback=True), asked, now=now_micros()
    )
    assert deliverer.run_once() == 0
    assert receiver.receipts == []


def test_delivered_messages_are_kept_thirty_days(
    store, endpoint, deliverer, receiver, clock
):
    ingest(store, [SIGNUP], source="test")
    deliverer.run_once()
    clock.offset += KEEP_US - DAY
    assert deliverer.prune() == 0
    clock.offset += 2 * DAY
    assert deliverer.prune() == 1
    assert deliveries(store) == []


def test_pending_messages_are_never_pruned(store, endpoint, deliverer, clock):
    ingest(store, [SIGNUP], source="test")
    clock.offset += KEEP_US + DAY
    assert deliverer.prune() == 0


def test_a_delivery_round_leaves_the_landing_pages_cache_alone(
    store, endpoint, deliverer, receiver
):
    ingest(store, [SIGNUP], source="test")
    cache = LinkCache(store)
    before = cache.epoch()
    assert deliverer.run_once() == 1
    assert cache.epoch() == before
