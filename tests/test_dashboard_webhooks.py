"""The Webhooks page: its twin is the very data the page renders; add (the secret
once), refuse a private address, rotate, test, resend, delete; a disabled
endpoint is flagged; every form needs the owner and a CSRF token."""

from __future__ import annotations

import re

import orjson
import pytest

from tests.webhook_receiver import Receiver, loopback_app

SIGNUP = {"type": "signup", "customer": "ann", "at": "2026-01-01T00:00:00Z"}


@pytest.fixture
def app(monkeypatch, db_path):
    yield from loopback_app(monkeypatch, db_path)


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


def csrf(client, path="/dashboard/webhooks") -> str:
    with client.get(path) as page:
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)[
            1
        ]


def add(client, url, events=("customer.created",)):
    form = {"csrf_token": csrf(client), "url": url, "events": list(events)}
    with client.post("/dashboard/webhooks", data=form) as page:
        return page.status_code, page.text


def twin(client) -> dict:
    with client.get("/dashboard/webhooks.json") as reply:
        assert reply.status_code == 200
        return orjson.loads(reply.data)


def deliver(app) -> int:
    return app.extensions["wom.webhooks"].deliverer.run_once()


def test_an_empty_page_says_what_to_do(owner_client):
    with owner_client.get("/dashboard/webhooks") as page:
        assert page.status_code == 200
        assert "No endpoints yet" in page.text
        assert 'aria-current="page">Webhooks' in page.text


def test_adding_shows_the_secret_once(owner_client, receiver):
    status, html = add(owner_client, receiver.url)
    assert status == 201
    secret = re.search(r'<code class="secret" id="secret">(whsec_[^<]+)</code>', html)[
        1
    ]
    with owner_client.get("/dashboard/webhooks") as page:
        assert secret not in page.text
    (endpoint,) = twin(owner_client)["endpoints"]
    assert endpoint["url"] == receiver.url
    assert "secret" not in endpoint


def test_the_twin_holds_what_the_page_shows(owner_client, receiver):
    add(owner_client, receiver.url, ["customer.created", "flag.opened"])
    data = twin(owner_client)
    (endpoint,) = data["endpoints"]
    with owner_client.get("/dashboard/webhooks") as page:
        assert endpoint["id"] in page.text
        assert all(name in page.text for name in endpoint["events"])
    assert data["events"][0] == "customer.created"
    assert data["disabled"] == 0


def test_a_private_address_is_refused_on_the_form(owner_client):
    status, html = add(owner_client, "https://192.168.1.20/hook")
    assert status == 422
    assert "resolves to 192.168.1.20" in html
    assert twin(owner_client)["endpoints"] == []


def test_a_form_without_events_says_so(owner_client, receiver):
    status, html = add(owner_client, receiver.url, events=())
    assert status == 422
    assert "Pick at least one event." in html


def test_the_deliveries_page_lists_tries_and_resends(app, owner_client, receiver):
    add(owner_client, receiver.url)
    (endpoint,) = twin(owner_client)["endpoints"]
    path = f"/dashboard/webhooks/{endpoint['id']}"
    with owner_client.post(
        path + "/test", data={"csrf_token": csrf(owner_client)}
    ) as r:
        assert r.status_code == 303
    deliver(app)
    with owner_client.get(path + ".json") as reply:
        (tried,) = orjson.loads(reply.data)["tries"]
    assert tried["status"] == 200 and tried["type"] == "webhook.test"
    resend = f"{path}/resend/{tried['delivery']}"
    with owner_client.post(resend, data={"csrf_token": csrf(owner_client)}) as r:
        assert r.status_code == 303
    deliver(app)
    assert [r.message_id for r in receiver.receipts] == [tried["message_id"]] * 2


@pytest.mark.parametrize("before", ["abc", "0", "-1", "1e3"])
def test_a_made_up_page_of_tries_is_a_400(owner_client, receiver, before):
    add(owner_client, receiver.url)
    (endpoint,) = twin(owner_client)["endpoints"]
    path = f"/dashboard/webhooks/{endpoint['id']}.json?before={before}"
    with owner_client.get(path) as reply:
        assert reply.status_code == 400
        assert reply.json["errors"][0]["field"] == "before"


def test_a_made_up_page_of_tries_on_the_page_is_a_400_page(owner_client, receiver):
    add(owner_client, receiver.url)
    (endpoint,) = twin(owner_client)["endpoints"]
    with owner_client.get(f"/dashboard/webhooks/{endpoint['id']}?before=abc") as reply:
        assert reply.status_code == 400
        assert reply.mimetype == "text/html"
        assert "before" in reply.get_data(as_text=True)


def test_rotating_shows_the_new_secret(owner_client, receiver):
    add(owner_client, receiver.url)
    (endpoint,) = twin(owner_client)["endpoints"]
    rotate = f"/dashboard/webhooks/{endpoint['id']}/rotate"
    with owner_client.post(rotate, data={"csrf_token": csrf(owner_client)}) as page:
        assert page.status_code == 200
        assert "The old secret signs beside it for 24 hours" in page.text
    assert twin(owner_client)["endpoints"][0]["previous_secret_until"]


def test_a_disabled_endpoint_is_flagged_and_can_be_enabled(app, owner_client, receiver):
    add(owner_client, receiver.url)
    with app.extensions["wom.store"].write() as db:
        db.execute(
            "UPDATE webhook_endpoints SET disabled_at = 1, disabled_reason = "
            "'every try failed for 24 hours; the last: HTTP 500'"
        )
    with owner_client.get("/dashboard/webhooks") as page:
        assert "1 endpoint disabled after failing for a day" in page.text
        assert "HTTP 500" in page.text
    (endpoint,) = twin(owner_client)["endpoints"]
    enable = f"/dashboard/webhooks/{endpoint['id']}/enable"
    with owner_client.post(enable, data={"csrf_token": csrf(owner_client)}) as r:
        assert r.status_code == 303
    assert twin(owner_client)["disabled"] == 0


def test_deleting_removes_the_endpoint(owner_client, receiver):
    add(owner_client, receiver.url)
    (endpoint,) = twin(owner_client)["endpoints"]
    delete = f"/dashboard/webhooks/{endpoint['id']}/delete"
    with owner_client.post(delete, data={"csrf_token": csrf(owner_client)}) as r:
        assert r.status_code == 303
    assert twin(owner_client)["endpoints"] == []


def test_a_form_without_its_csrf_token_is_refused(owner_client, receiver):
    add(owner_client, receiver.url)
    (endpoint,) = twin(owner_client)["endpoints"]
    with owner_client.post(f"/dashboard/webhooks/{endpoint['id']}/delete") as r:
        assert r.status_code == 400
    assert len(twin(owner_client)["endpoints"]) == 1


def test_a_stranger_is_sent_to_the_login(client):
    with client.get("/dashboard/webhooks") as page:
        assert page.status_code == 303
    with client.get("/dashboard/webhooks.json") as reply:
        assert reply.status_code == 401
    with client.post("/dashboard/webhooks/ep_1/delete") as reply:
        assert reply.status_code in (303, 400)
