"""Schemathesis over the OpenAPI document, in process: no 5xx, and no response
that breaks the schema (status codes, content types, bodies, headers)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_client import make_token
from wom.store.settings import write_setting
from wom.web.api.openapi import document

AT = "2026-01-01T00:00:00Z"
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
OPERATIONS = [
    (method.upper(), path)
    for path, methods in document()["paths"].items()
    for method in methods
]


@pytest.fixture
def api_schema(app):
    """The document served by a seeded app, and a token to call it with."""
    with app.extensions["wom.store"].write() as db:
        write_setting(db, "api_rate_limit", "100000 per minute")
    token = make_token(app)
    headers = {"Authorization": f"Bearer {token}"}
    seed = [
        {"type": "signup", "customer": "c-1001", "at": AT, "email": "a@example.org"},
        {"type": "mention", "from": "c-1001", "to": "c-1002", "at": AT},
        {"type": "signup", "customer": "c-1002", "at": "2026-01-02T00:00:00Z"},
    ]
    client = app.test_client()
    with client.post("/api/v1/events", json={"events": seed}, headers=headers) as r:
        assert r.status_code == 200
    with client.post(
        "/api/v1/customers/c-1001/links", json={"code": "k7m2xq9a"}, headers=headers
    ) as r:
        assert r.status_code == 201
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app), headers


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_keeps_its_contract(api_schema, method, path):
    schema, headers = api_schema
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
