"""/api/v1/webhooks: admin tokens only; the secret shown once and kept sealed;
deliveries with status and latency; a test message; rotate; remove."""

from __future__ import annotations

import pytest

from tests.api_client import ApiClient
from tests.webhook_receiver import Receiver, loopback_app

SIGNUP = {"type": "signup", "customer": "ann", "at": "2026-01-01T00:00:00Z"}


@pytest.fixture
def app(monkeypatch, db_path):
    yield from loopback_app(monkeypatch, db_path)


@pytest.fixture
def admin(app):
    return ApiClient.for_app(app, "ops", scope="admin")


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def added(admin, receiver):
    reply = admin.post(
        "/webhooks", json={"url": receiver.url, "events": ["customer.created"]}
    )
    assert reply.status == 201, reply.json
    receiver.secrets.append(reply.json["secret"])
    return reply.json


def deliver(app) -> int:
    return app.extensions["wom.webhooks"].deliverer.run_once()


@pytest.mark.parametrize("scope", ["read", "write"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/webhooks"),
        ("POST", "/webhooks"),
        ("DELETE", "/webhooks/ep_1"),
        ("POST", "/webhooks/ep_1/rotate"),
        ("GET", "/webhooks/ep_1/deliveries"),
        ("POST", "/webhooks/ep_1/test"),
    ],
)
def test_webhooks_need_an_admin_token(app, scope, method, path):
    reply = ApiClient.for_app(app, scope=scope).call(
        method, path, json={"url": "https://hooks.example/", "events": ["flag.opened"]}
    )
    assert reply.status == 403
    assert "needs a token of scope admin" in reply.json["detail"]


def test_adding_answers_the_id_and_the_secret(added):
    assert added["id"].startswith("ep_")
    assert added["secret"].startswith("whsec_")
    assert added["events"] == ["customer.created"]
    assert added["disabled_at"] is None


def test_the_secret_is_shown_once_and_kept_sealed(app, admin, added, db_path):
    (listed,) = admin.get("/webhooks").json["items"]
    assert "secret" not in listed
    app.extensions["wom.store"].close()
    secret = added["secret"].encode()
    for path in db_path.parent.glob("wom.db*"):
        assert secret not in path.read_bytes()
        assert secret.removeprefix(b"whsec_") not in path.read_bytes()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://hooks.example/", "events": ["customer.deleted"]}, "events"),
        ({"url": "https://hooks.example/", "events": []}, "events"),
        ({"url": "https://10.0.0.1/hook", "events": ["flag.opened"]}, "url"),
        ({"url": "https://[::ffff:a9fe:a9fe]/", "events": ["flag.opened"]}, "url"),
        ({"url": "http://93.184.215.14/", "events": ["flag.opened"]}, "url"),
    ],
)
def test_a_bad_endpoint_is_a_422_naming_the_field(admin, body, field):
    reply = admin.post("/webhooks", json=body)
    assert reply.status == 422
    assert reply.json["errors"][0]["field"] == field
    assert admin.get("/webhooks").json["items"] == []


def test_a_delivery_is_listed_with_status_and_latency(app, admin, added, receiver):
    assert admin.events(SIGNUP).status == 200
    assert deliver(app) == 1
    (tried,) = admin.get(f"/webhooks/{added['id']}/deliveries").json["items"]
    assert tried["status"] == 200
    assert tried["type"] == "customer.created"
    assert tried["state"] == "delivered"
    assert tried["latency_ms"] >= 0
    assert tried["message_id"] == receiver.delivered[0].message_id


def test_deliveries_come_a_page_at_a_time(app, admin, added):
    for _ in range(3):
        admin.post(f"/webhooks/{added['id']}/test")
    deliver(app)
    first = admin.get(f"/webhooks/{added['id']}/deliveries?limit=2").json
    rest = admin.get(
        f"/webhooks/{added['id']}/deliveries?limit=2&cursor={first['next_cursor']}"
    ).json
    assert len(first["items"]) == 2 and len(rest["items"]) == 1
    assert rest["next_cursor"] is None


def test_a_test_event_reaches_the_endpoint(app, admin, added, receiver):
    reply = admin.post(f"/webhooks/{added['id']}/test")
    assert reply.status == 202
    deliver(app)
    (receipt,) = receiver.delivered
    assert receipt.message_id == reply.json["message_id"]


def test_rotation_answers_a_new_secret_that_verifies(app, admin, added, receiver):
    rotated = admin.post(f"/webhooks/{added['id']}/rotate").json
    assert rotated["secret"] != added["secret"]
    receiver.secrets[:] = [rotated["secret"]]
    admin.post(f"/webhooks/{added['id']}/test")
    deliver(app)
    assert len(receiver.delivered) == 1
    (listed,) = admin.get("/webhooks").json["items"]
    assert listed["previous_secret_until"] == rotated["previous_secret_until"]


def test_a_removed_endpoint_is_gone_with_its_deliveries(app, admin, added):
    admin.events(SIGNUP)
    assert admin.delete(f"/webhooks/{added['id']}").status == 204
    assert admin.get("/webhooks").json["items"] == []
    assert admin.get(f"/webhooks/{added['id']}/deliveries").status == 404
    assert deliver(app) == 0


def test_an_unknown_endpoint_is_a_404(admin):
    reply = admin.post("/webhooks/ep_nothing/test")
    assert reply.status == 404
    assert reply.content_type == "application/problem+json"
