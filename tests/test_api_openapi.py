"""The OpenAPI 3.1 document describes every route, and /api/docs renders it with
Swagger UI under a CSP that relaxes style-src only."""

from __future__ import annotations

import re

import jsonschema_rs
import pytest

from tests.api_client import ApiClient
from tests.conftest import REPO
from wom.web.api.auth import PUBLIC_ENDPOINTS
from wom.web.api.openapi import document
from wom.web.security import CONTENT_SECURITY_POLICY

DOC = document()


def validator(schema: dict):
    """A validator for ``schema``, with every component beside it for its refs."""
    components = DOC["components"]["schemas"] | {"_": schema}
    return jsonschema_rs.validator_for(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": "#/components/schemas/_",
            "components": {"schemas": components},
        }
    )


def test_every_route_of_the_api_is_documented(app):
    documented = {
        (path, method.upper())
        for path, methods in DOC["paths"].items()
        for method in methods
    }
    routed = {
        (
            re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1")),
            method,
        )
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routed == documented


@pytest.mark.parametrize("name", sorted(DOC["components"]["schemas"]))
def test_every_component_is_a_valid_json_schema(name):
    jsonschema_rs.meta.validate(
        {"$schema": "https://json-schema.org/draft/2020-12/schema"}
        | DOC["components"]["schemas"][name]
    )


def examples():
    for path, methods in DOC["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {})
            for media, content in body.items():
                if "$ref" not in str(content.get("schema")):
                    continue
                found = [content["example"]] if "example" in content else []
                found += [e["value"] for e in content.get("examples", {}).values()]
                for example in found:
                    yield pytest.param(
                        content["schema"], example, id=f"{method} {path} {media}"
                    )
    for name, schema in DOC["components"]["schemas"].items():
        for example in schema.get("examples", []):
            yield pytest.param(
                {"$ref": f"#/components/schemas/{name}"}, example, id=name
            )


@pytest.mark.parametrize(("schema", "example"), list(examples()))
def test_every_example_fits_its_schema(schema, example):
    validator(schema).validate(example)


def test_every_operation_declares_the_scope_its_view_needs(app):
    needed = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        declared = getattr(app.view_functions[rule.endpoint], "wom_scope", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            default = "read" if method == "GET" else "write"
            needed[(path, method.lower())] = declared or default
    documented = {
        (path, method): operation["security"][0]["bearer"][0]
        for path, methods in DOC["paths"].items()
        for method, operation in methods.items()
        if operation["security"]
    }
    assert documented == needed


def test_every_operation_documents_its_errors():
    for path, methods in DOC["paths"].items():
        for method, operation in methods.items():
            assert operation["summary"] and operation["responses"], (method, path)
            if path == "/openapi.json":
                continue
            assert {"400", "401", "429"} <= set(operation["responses"]), (method, path)
            if method != "get":
                assert {"403", "409", "413", "415", "422"} <= set(
                    operation["responses"]
                ), (method, path)


def keyed_operations():
    for path, methods in DOC["paths"].items():
        for method, operation in methods.items():
            names = {p["name"] for p in operation.get("parameters", ())}
            if "Idempotency-Key" in names:
                yield pytest.param(operation, id=f"{method.upper()} {path}")


@pytest.mark.parametrize("operation", list(keyed_operations()))
def test_every_operation_that_takes_a_key_documents_the_410_of_an_erased_person(
    operation,
):
    # Found by the soak's Schemathesis run: a replay after an erasure is 410.
    assert operation["responses"]["410"] == {"$ref": "#/components/responses/E410"}


def test_the_documented_cursor_is_as_long_as_the_api_takes(api):
    # The soak's Schemathesis run sent a documented 513-character cursor: 400.
    bounded = {
        path: parameter["schema"]["maxLength"]
        for path, methods in DOC["paths"].items()
        for operation in methods.values()
        for parameter in operation.get("parameters", ())
        if parameter["name"] == "cursor" and "maxLength" in parameter["schema"]
    }
    assert bounded
    for path, longest in bounded.items():
        at_most = api.get(f"{path}?cursor={'A' * longest}")
        over = api.get(f"{path}?cursor={'A' * (longest + 1)}")
        assert "at most" not in at_most.json["detail"], path
        assert "at most" in over.json["detail"], path


def test_error_responses_are_problem_json_with_their_headers():
    responses = DOC["components"]["responses"]
    for response in responses.values():
        assert list(response["content"]) == ["application/problem+json"]
    assert responses["E429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert "WWW-Authenticate" in responses["E401"]["headers"]


@pytest.fixture
def docs(app):
    return ApiClient(app.test_client(), None).get("/api/docs")


def test_the_docs_page_loads_swagger_ui_from_our_own_files(docs):
    assert docs.status == 200
    html = docs.body.decode()
    for asset in (
        "vendor/swagger-ui-bundle.js",
        "vendor/swagger-ui.css",
        "api-docs.js",
    ):
        assert f"/static/{asset}" in html
    assert (REPO / "static" / "api-docs.js").is_file()
    assert 'data-spec="/api/v1/openapi.json"' in html


def test_the_docs_page_has_no_inline_script(docs):
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", docs.body.decode(), re.S)
    assert scripts
    assert all(
        "src=" in attributes and not body.strip() for attributes, body in scripts
    )


def test_the_docs_page_relaxes_style_src_only(docs):
    policy = docs.headers["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert policy.replace(" 'unsafe-inline'", "", 1) == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in policy


def test_every_component_has_an_example():
    bare = [
        name
        for name, schema in DOC["components"]["schemas"].items()
        if not schema.get("examples")
    ]
    assert bare == []
