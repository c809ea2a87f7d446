"""Under /api every error is RFC 9457 problem+json: never HTML, never a traceback."""

from __future__ import annotations

import threading
import time

import pytest

from tests.api_client import ApiClient
from wom import actions
from wom.store.settings import write_setting

MENTION = {"type": "mention", "from": "ann", "to": "bob", "at": "2026-01-01T00:00:00Z"}


def assert_problem(reply, status: int):
    assert reply.status == status
    assert reply.content_type == "application/problem+json"
    problem = reply.json
    assert problem["status"] == status
    assert problem["type"].startswith("https://")
    assert problem["title"] and problem["detail"]
    for secret in ("Traceback", "sqlite", "SELECT", "/work/", ".py"):
        assert secret not in reply.body.decode()
    return problem


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/customers?sort=email", {}, 400),
        ("POST", "/events", {"data": b"{", "content_type": "application/json"}, 400),
        ("GET", "/customers/nobody", {}, 404),
        ("GET", "/no/such/thing", {}, 404),
        ("PUT", "/customers", {"json": {}}, 405),
        ("PATCH", "/events", {}, 405),
        ("POST", "/events", {"data": b"x", "content_type": "text/csv"}, 415),
        ("POST", "/customers", {"data": b"id=1"}, 415),
        ("POST", "/events", {"json": {"type": "gossip"}}, 422),
        ("POST", "/customers", {"json": {"id": "a", "email": "x"}}, 422),
    ],
)
def test_each_error_is_problem_json(api, method, path, kwargs, status):
    assert_problem(api.call(method, path, **kwargs), status)


# Found answered 500 by the soak's bad-input corpus (tests/data/bad_inputs).
NOT_UTF8 = {
    "/events": b'{"type": "signup", "customer": "c-\xff\xfe", '
    b'"at": "2026-01-01T00:00:00Z"}',
    "/customers": b'{"id": "c-\xff\xfe"}',
}
DEEP = b'{"events": [' + b'{"a":' * 100_000


@pytest.mark.parametrize("path", ["/events", "/customers"])
@pytest.mark.parametrize("kind", ["not-utf8", "deep"])
def test_a_body_that_is_no_json_text_is_a_400_and_stores_nothing(api, db, path, kind):
    body = NOT_UTF8[path] if kind == "not-utf8" else DEEP
    reply = api.post(path, data=body, content_type="application/json")
    says = "UTF-8" if kind == "not-utf8" else "nests"
    assert says in assert_problem(reply, 400)["detail"]
    assert db.execute("SELECT count(*) FROM people").fetchone() == (0,)


def test_405_names_the_allowed_methods(api):
    reply = api.call("PUT", "/events")
    assert_problem(reply, 405)
    assert reply.headers["Allow"] == "OPTIONS, POST"


def test_401_and_403(app):
    assert_problem(ApiClient(app.test_client(), None).get("/customers"), 401)
    reader = ApiClient.for_app(app, "reader", read_only=True)
    assert_problem(reader.events(MENTION), 403)


def test_409_for_a_taken_code(api):
    api.post("/customers", json={"id": "ann"})
    api.post("/customers/ann/links", json={"code": "taken"})
    assert_problem(api.post("/customers/ann/links", json={"code": "taken"}), 409)


def test_413_for_a_large_body(app, api):
    app.config["MAX_CONTENT_LENGTH"] = 100
    assert_problem(api.events(*[MENTION] * 5), 413)


def test_429_with_an_integer_retry_after(app, api):
    with app.extensions["wom.store"].write() as db:
        write_setting(db, "api_rate_limit", "1 per minute")
    api.get("/customers")
    reply = api.get("/customers")
    assert_problem(reply, 429)
    assert 1 <= int(reply.headers["Retry-After"]) <= 60


def test_an_unexpected_failure_is_a_500_without_a_traceback(app, api, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret path /work/main/wom.db")

    monkeypatch.setattr(actions, "record_events", broken)
    problem = assert_problem(api.events(MENTION), 500)
    assert "secret" not in problem["detail"]


def test_pages_outside_the_api_keep_their_html_errors(app):
    with app.test_client().get("/no/such/page") as response:
        assert response.status_code == 404
        assert response.mimetype == "text/html"


def test_503_with_retry_after_while_the_figures_load_after_a_start(app, api, client):
    service = app.extensions["wom.analytics"]
    still_loading = threading.Event()
    warmer = threading.Thread(target=still_loading.wait, daemon=True)
    warmer.start()
    service._warmer = warmer  # as warm_up leaves it while the load runs
    try:
        reply = api.get("/starters")
        assert_problem(reply, 503)
        assert int(reply.headers["Retry-After"]) > 0
        with client.get("/readyz") as response:
            assert response.status_code == 503
        assert api.get("/openapi.json").status == 200, "what needs no figures"
    finally:
        still_loading.set()
        warmer.join()
    assert api.get("/starters").status == 200
    with client.get("/readyz") as response:
        assert response.get_data(as_text=True) == "ready"


def test_a_readiness_probe_alone_brings_a_server_without_warm_up_to_ready(client):
    # As under `flask run`: nothing has asked for a figure yet.
    deadline = time.monotonic() + 30
    while True:
        with client.get("/readyz") as response:
            status, body = response.status_code, response.get_data(as_text=True)
            retry = response.headers.get("Retry-After")
        if status == 200:
            break
        assert (status, body) == (503, "loading") and int(retry) > 0
        assert time.monotonic() < deadline, "the probe never started the load"
        time.sleep(0.02)
    assert body == "ready"
