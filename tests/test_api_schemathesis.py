"""Schemathesis over the OpenAPI document: no 5xx, and no response that breaks
the schema (status codes, content types, bodies, headers). Positive mode sends
what the document allows; negative mode sends what it forbids (a {"decision": {}},
a null where a string belongs), which must be refused with a 4xx. In process for
both, and once through a live gunicorn."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bench.bench_api import Server
from tests.api_client import make_token
from wom.store.settings import write_setting
from wom.web.api.openapi import document

AT = "2026-01-01T00:00:00Z"
JSON = {"Content-Type": "application/json"}
# Schema-valid is not always acceptable (an unknown link code, a time in the
# future, a made-up cursor), so positive data may be refused: with a documented
# status and a problem body, which these checks hold the API to.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
MODES = {
    GenerationMode.POSITIVE: CHECKS,
    GenerationMode.NEGATIVE: [*CHECKS, negative_data_rejection],
}
SEED = [
    {"type": "signup", "customer": "c-1001", "at": AT, "email": "a@example.org"},
    {"type": "mention", "from": "c-1001", "to": "c-1002", "at": AT},
    {"type": "signup", "customer": "c-1002", "at": "2026-01-02T00:00:00Z"},
]
OPERATIONS = [
    (method.upper(), path)
    for path, methods in document()["paths"].items()
    for method in methods
]
# Negative mode needs something to get wrong: a parameter, a body or the token
# (the document itself takes none of them).
REFUSABLE = [
    (method.upper(), path)
    for path, methods in document()["paths"].items()
    for method, operation in methods.items()
    if operation.get("parameters")
    or "requestBody" in operation
    or operation.get("security", True)
]


@pytest.fixture
def api_schema(app):
    """The document served by a seeded app, and a token to call it with."""
    with app.extensions["wom.store"].write() as db:
        write_setting(db, "api_rate_limit", "100000 per minute")
    token = make_token(app)
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    with client.post("/api/v1/events", json={"events": SEED}, headers=headers) as r:
        assert r.status_code == 200
    with client.post(
        "/api/v1/customers/c-1001/links", json={"code": "k7m2xq9a"}, headers=headers
    ) as r:
        assert r.status_code == 201
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app), headers


def run(
    schema, method: str, path: str, mode, headers: dict, examples: int, live=False
) -> None:
    """Send ``examples`` generated requests to one operation and check each reply."""
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def check(case):
        if live:
            # gunicorn answers a request line over 4,094 bytes itself (414), before
            # the app: such a case tests the front, and runs in process instead.
            line = len(case.formatted_path) + len(urlencode(case.query or {}, True))
            assume(line < 3_500)
        case.call_and_validate(headers=headers, checks=MODES[mode])

    check()


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_takes_what_its_document_allows(api_schema, method, path):
    schema, headers = api_schema
    run(schema, method, path, GenerationMode.POSITIVE, headers, examples=30)


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), REFUSABLE)
def test_the_api_refuses_what_its_document_forbids(api_schema, method, path):
    schema, headers = api_schema
    run(schema, method, path, GenerationMode.NEGATIVE, headers, examples=30)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A real gunicorn on a seeded database, and its schema as served."""
    server = Server(tmp_path_factory.mktemp("schemathesis"), threads=2)
    server.flask("init-db")
    server.flask("settings", "api_rate_limit", "100000 per minute")
    token = server.flask("create-token", "shop")
    server.start()
    headers = {"Authorization": f"Bearer {token}"}
    body = json.dumps({"events": SEED}).encode()
    status, _, _ = server.call("POST", "/api/v1/events", body, headers | JSON)
    assert status == 200
    url = f"http://127.0.0.1:{server.port}/api/v1/openapi.json"
    yield schemathesis.openapi.from_url(url), headers
    server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("mode", list(MODES), ids=lambda mode: mode.value)
def test_a_live_server_keeps_its_contract(live, mode):
    schema, headers = live
    for method, path in OPERATIONS if mode is GenerationMode.POSITIVE else REFUSABLE:
        run(schema, method, path, mode, headers, examples=5, live=True)
