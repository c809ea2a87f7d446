"""Idempotency-Key (docs/reliability.md): the same key and body replays the stored
response, another body gets 422, a key still running gets 409; keys belong to
their token and last 24 hours."""

from __future__ import annotations

import threading

import orjson
import pytest

from tests.api_client import ApiClient
from wom import actions
from wom.store import Conflict, idempotency, now_micros

MENTION = {"type": "mention", "from": "ann", "to": "bob", "at": "2026-01-01T00:00:00Z"}
OTHER = MENTION | {"to": "cat"}


def stored_events(db) -> int:
    return db.execute("SELECT count(*) FROM events").fetchone()[0]


def test_the_same_key_and_body_replays_the_stored_response(api, db):
    first = api.events(MENTION, headers={"Idempotency-Key": "batch-1"})
    again = api.events(MENTION, headers={"Idempotency-Key": "batch-1"})
    assert (first.status, again.status) == (200, 200)
    assert again.body == first.body
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert stored_events(db) == 1


def test_without_a_key_a_retry_is_a_second_write(api, db):
    api.events(MENTION)
    api.events(MENTION)
    assert stored_events(db) == 2


def test_the_same_key_with_another_body_is_422(api, db):
    api.events(MENTION, headers={"Idempotency-Key": "batch-1"})
    reply = api.events(OTHER, headers={"Idempotency-Key": "batch-1"})
    assert reply.status == 422
    assert reply.json["errors"][0]["field"] == "Idempotency-Key"
    assert stored_events(db) == 1


def test_keys_belong_to_their_token(app, db):
    shop = ApiClient.for_app(app, "shop")
    crm = ApiClient.for_app(app, "crm")
    shop.events(MENTION, headers={"Idempotency-Key": "k"})
    assert crm.events(OTHER, headers={"Idempotency-Key": "k"}).json["accepted"] == 1
    assert stored_events(db) == 2


def test_a_key_still_running_is_409(app, api, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    real_ingest = actions.record_events

    def slow_ingest(*args, **kwargs):
        entered.set()
        release.wait(10)
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(actions, "record_events", slow_ingest)
    replies = {}
    first = threading.Thread(
        target=lambda: replies.setdefault(
            "first", api.events(MENTION, headers={"Idempotency-Key": "slow"})
        )
    )
    first.start()
    assert entered.wait(10)
    second = ApiClient(app.test_client(), api.token)
    replies["second"] = second.events(MENTION, headers={"Idempotency-Key": "slow"})
    release.set()
    first.join(10)
    assert replies["second"].status == 409
    assert replies["second"].content_type == "application/problem+json"
    assert replies["first"].status == 200


def test_a_failed_request_is_not_stored_so_the_fixed_one_goes_through(api, db):
    bad = MENTION | {"at": "someday"}
    assert api.events(bad, headers={"Idempotency-Key": "k"}).status == 422
    assert api.events(MENTION, headers={"Idempotency-Key": "k"}).status == 200
    assert stored_events(db) == 1


def test_keys_expire_after_24_hours(app, api, db):
    api.events(MENTION, headers={"Idempotency-Key": "old"})
    with app.extensions["wom.store"].write() as writer:
        writer.execute(
            "UPDATE idempotency_keys SET created_at = ?",
            [now_micros() - idempotency.KEEP_US - 1],
        )
    reply = api.events(OTHER, headers={"Idempotency-Key": "old"})
    assert reply.status == 200 and "Idempotent-Replayed" not in reply.headers
    assert stored_events(db) == 2
    assert db.execute("SELECT count(*) FROM idempotency_keys").fetchone()[0] == 1


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        (
            "POST",
            "/customers",
            {"id": "zoe", "acquired_at": "2026-01-01T00:00:00Z"},
            201,
        ),
        ("POST", "/customers/zoe/links", {"code": "zoe-1"}, 201),
        ("DELETE", "/customers/zoe", None, 204),
    ],
)
def test_every_write_replays(api, method, path, body, status):
    if path != "/customers":
        api.post(
            "/customers", json={"id": "zoe", "acquired_at": "2026-01-01T00:00:00Z"}
        )
    headers = {"Idempotency-Key": f"{method} {path}"}
    first = api.call(method, path, json=body, headers=headers)
    again = api.call(method, path, json=body, headers=headers)
    assert first.status == again.status == status
    assert again.body == first.body
    assert again.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there"])
def test_a_malformed_key_is_400(api, key):
    reply = api.events(MENTION, headers={"Idempotency-Key": key})
    assert reply.status == 400
    assert reply.json["errors"][0]["field"] == "Idempotency-Key"


def test_the_unique_constraint_refuses_a_second_store_of_a_key(app):
    store = app.extensions["wom.store"]
    token = ApiClient.for_app(app).token
    token_id = store.reader().execute("SELECT id FROM tokens").fetchone()[0]
    assert token
    with store.write() as db:
        idempotency.remember(db, token_id, "k", "sha", 200, b"{}", now_micros())
    with pytest.raises(Conflict), store.write() as db:
        idempotency.remember(db, token_id, "k", "sha", 200, b"{}", now_micros())


def test_keys_of_requests_committed_together_each_keep_their_own_response(app, api):
    # Requests that arrive while the writer is busy share one transaction, which
    # one of their threads commits: each key must still store its own response.
    store, batcher = app.extensions["wom.store"], app.extensions["wom.api_batcher"]
    bodies = {
        f"k{n}": MENTION | {"to": f"friend-{n}", "event_id": f"e{n}"} for n in range(4)
    }
    replies = {}

    def send(key):
        client = ApiClient(app.test_client(), api.token)
        replies[key] = client.events(bodies[key], headers={"Idempotency-Key": key})

    threads = [threading.Thread(target=send, args=(key,)) for key in bodies]
    with store.write():
        for thread in threads:
            thread.start()
        deadline = now_micros() + 10_000_000
        while batcher.pending() < len(bodies) - 1 and now_micros() < deadline:
            threading.Event().wait(0.005)
    for thread in threads:
        thread.join(10)
    assert batcher.largest_batch >= 2, "some requests shared a transaction"
    for key, body in bodies.items():
        assert replies[key].status == 200
        again = api.events(body, headers={"Idempotency-Key": key})
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.body == replies[key].body


# -- erasure: responses are kept, and redacted where they name the person -------


def stored_keys(db) -> int:
    return db.execute("SELECT count(*) FROM idempotency_keys").fetchone()[0]


def test_erasing_a_customer_keeps_every_stored_response(api, db):
    """Erasing customer "1" once dropped every response holding a 1 ("received":1),
    and a retried batch was then stored twice."""
    batches = {
        f"batch-{n}": MENTION | {"from": str(n), "to": str(n + 1)} for n in range(12)
    }
    for key, event in batches.items():
        api.events(event, headers={"Idempotency-Key": key})
    events, keys = stored_events(db), stored_keys(db)
    assert api.delete("/customers/1").status == 204
    assert stored_keys(db) == keys
    for key, event in batches.items():
        again = api.events(event, headers={"Idempotency-Key": key})
        assert again.headers["Idempotent-Replayed"] == "true", key
    assert stored_events(db) == events


@pytest.fixture
def zoe(api):
    """zoe saved with a key: the stored response names her."""
    body = {"id": "zoe", "name": "Zoë Keyed", "email": "zoe.keyed@example.org"}
    reply = api.post("/customers", json=body, headers={"Idempotency-Key": "z"})
    assert reply.status == 201
    return body


def test_a_retry_that_would_write_an_erased_person_again_is_410(api, db, zoe):
    api.delete("/customers/zoe")
    people = db.execute("SELECT count(*) FROM people").fetchone()[0]
    retry = api.post("/customers", json=zoe, headers={"Idempotency-Key": "z"})
    assert retry.status == 410
    assert retry.content_type == "application/problem+json"
    assert retry.json["errors"][0]["field"] == "Idempotency-Key"
    assert db.execute("SELECT count(*) FROM people").fetchone()[0] == people
    assert api.get("/customers/zoe").status == 404


def test_the_stored_response_names_the_pseudonym_and_nothing_else(api, db, zoe):
    api.delete("/customers/zoe")
    (response,) = db.execute("SELECT response FROM idempotency_keys").fetchone()
    stored = orjson.loads(response)
    assert stored["id"].startswith("erased-")
    assert (stored["name"], stored["email"]) == (None, None)


def test_responses_that_name_someone_else_replay_as_before(api, db, zoe):
    bob = {"id": "bob", "name": "Bob Kept"}
    first = api.post("/customers", json=bob, headers={"Idempotency-Key": "b"})
    api.delete("/customers/zoe")
    again = api.post("/customers", json=bob, headers={"Idempotency-Key": "b"})
    assert (again.status, again.body) == (201, first.body)
    assert again.headers["Idempotent-Replayed"] == "true"


def test_an_expired_response_takes_its_links_with_it(app, api, db, zoe):
    with app.extensions["wom.store"].write() as writer:
        writer.execute(
            "UPDATE idempotency_keys SET created_at = ?",
            [now_micros() - idempotency.KEEP_US - 1],
        )
    api.events(MENTION, headers={"Idempotency-Key": "later"})  # sweeps the old
    assert db.execute("SELECT count(*) FROM idempotency_people").fetchone()[0] == 0
