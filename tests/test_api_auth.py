"""Bearer tokens: 401 without a good one, 403 for a token whose scope is too small,
and a rate limit per token."""

from __future__ import annotations

import pytest

from tests.api_client import ApiClient, make_token
from wom.store.settings import write_setting

MENTION = {"type": "mention", "from": "ann", "to": "bob", "at": "2026-01-01T00:00:00Z"}


@pytest.fixture
def anonymous(app):
    return ApiClient(app.test_client(), None)


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer wom_not-a-token"],
)
def test_a_missing_or_unknown_token_is_401(anonymous, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    reply = anonymous.get("/customers", headers=headers)
    assert reply.status == 401
    assert reply.content_type == "application/problem+json"
    assert reply.headers["WWW-Authenticate"] == 'Bearer realm="wom"'
    assert "create-token" in reply.json["detail"]


def test_a_token_from_the_cli_reads_and_writes(app, runner):
    token = runner.invoke(args=["create-token", "crm"]).output.strip()
    api = ApiClient(app.test_client(), token)
    assert api.events(MENTION).status == 200
    assert api.get("/customers").status == 200


def test_the_scheme_is_case_insensitive(app):
    token = make_token(app)
    api = ApiClient(app.test_client(), None)
    reply = api.get("/customers", headers={"Authorization": f"bearer {token}"})
    assert reply.status == 200


def test_a_read_only_token_reads_but_cannot_write(app):
    api = ApiClient.for_app(app, "dashboard", read_only=True)
    assert api.get("/customers").status == 200
    for reply in (
        api.events(MENTION),
        api.post("/customers", json={"id": "ann"}),
        api.delete("/customers/ann"),
    ):
        assert reply.status == 403
        assert reply.content_type == "application/problem+json"
        assert "needs a token of scope write" in reply.json["detail"]


def test_nothing_is_written_by_a_refused_token(app):
    ApiClient.for_app(app, "reader", read_only=True).events(MENTION)
    db = app.extensions["wom.store"].reader()
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_the_openapi_document_needs_no_token(anonymous):
    reply = anonymous.get("/openapi.json")
    assert reply.status == 200
    assert reply.json["openapi"].startswith("3.1")


def test_the_rate_limit_is_per_token_and_a_setting(app):
    with app.extensions["wom.store"].write() as db:
        write_setting(db, "api_rate_limit", "3 per minute")
    busy = ApiClient.for_app(app, "busy")
    calm = ApiClient.for_app(app, "calm")
    assert [busy.get("/customers").status for _ in range(3)] == [200] * 3
    refused = busy.get("/customers")
    assert refused.status == 429
    assert refused.content_type == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    assert calm.get("/customers").status == 200


@pytest.mark.parametrize(
    "path, status", [("/customers", 200), ("/customers?limit=zero", 400)]
)
def test_only_a_refusal_tells_the_client_to_wait(app, path, status):
    with app.extensions["wom.store"].write() as db:
        write_setting(db, "api_rate_limit", "1 per minute")
    api = ApiClient.for_app(app, "busy")
    answered = api.get(path)
    assert answered.status == status
    assert "Retry-After" not in answered.headers
    assert answered.headers["X-RateLimit-Remaining"] == "0"
    refused = api.get(path)
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) > 0


def test_made_up_tokens_count_against_their_address(app, anonymous):
    with app.extensions["wom.store"].write() as db:
        write_setting(db, "api_rate_limit", "3 per minute")
    # A new made-up token for every request gets no new allowance.
    statuses = [
        anonymous.get(
            "/customers", headers={"Authorization": f"Bearer wom_fake{i}"}
        ).status
        for i in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]
    # A real token keeps its own allowance.
    assert ApiClient.for_app(app, "real").get("/customers").status == 200


def test_a_token_is_never_carried_from_one_request_to_the_next(app):
    real = ApiClient.for_app(app, "real")
    made_up = ApiClient(app.test_client(), "wom_made-up")
    nobody = ApiClient(app.test_client(), None)
    # Several requests in one app context (as a script or a test may run them).
    with app.app_context():
        assert real.get("/customers").status == 200
        assert made_up.get("/customers").status == 401
        assert nobody.get("/customers").status == 401
