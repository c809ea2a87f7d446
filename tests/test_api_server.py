"""The API through a real gunicorn (gthread, one worker, as in production) and a
plain HTTP client: customers, every event type, figures, and a GEXF export that
networkx reads back."""

from __future__ import annotations

import orjson
import pytest

from bench.api_setup import Server
from tests.gexf_reader import read_gexf

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("gunicorn"))
    server.flask("init-db")
    server.token = server.flask("create-token", "shop")
    server.start()
    yield server
    server.stop()


def call(server, method: str, path: str, body=None, **headers):
    headers = {"Authorization": f"Bearer {server.token}"} | headers
    if body is not None:
        headers.setdefault("Content-Type", "application/json")
        body = body if isinstance(body, bytes) else orjson.dumps(body)
    return server.call(method, "/api/v1" + path, body, headers)


@pytest.fixture(scope="module")
def loaded(server):
    for person, name in (("ann", "Ann Åberg"), ("bob", "Bob Brown")):
        status, headers, _ = call(
            server,
            "POST",
            "/customers",
            {"id": person, "name": name, "acquired_at": "2026-03-01T09:00:00Z"},
        )
        assert status == 201
        assert headers["Location"] == f"/api/v1/customers/{person}"
    status, _, body = call(server, "POST", "/customers/ann/links", {"code": "ann-1"})
    assert status == 201
    events = [
        {
            "type": "click",
            "link": "ann-1",
            "visitor": "v1",
            "at": "2026-03-02T10:00:00Z",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        },
        {
            "type": "signup",
            "customer": "cat",
            "link": "ann-1",
            "visitor": "v1",
            "at": "2026-03-02T10:05:00Z",
            "email": "cat@example.org",
        },
        {"type": "mention", "from": "bob", "to": "dan", "at": "2026-03-03T00:00:00Z"},
        {
            "type": "heard_from",
            "from": "cat",
            "to": "eve",
            "at": "2026-03-04T00:00:00Z",
        },
        {"type": "referral", "from": "cat", "to": "fay", "at": "2026-03-05T00:00:00Z"},
        {
            "type": "purchase",
            "customer": "fay",
            "value": 30,
            "at": "2026-03-06T00:00:00Z",
        },
    ]
    ndjson = b"\n".join(map(orjson.dumps, events))
    status, _, body = call(
        server, "POST", "/events", ndjson, **{"Content-Type": "application/x-ndjson"}
    )
    assert status == 200, body
    assert orjson.loads(body)["accepted"] == len(events)
    return server


def test_figures_are_current_after_the_writes(loaded):
    status, _, body = call(loaded, "GET", "/starters?by=reach&limit=1")
    assert status == 200
    top = orjson.loads(body)["items"][0]
    assert (top["id"], top["reach"], top["referred_value"]) == ("ann", 2, 15.0)
    cascade = orjson.loads(call(loaded, "GET", "/cascades/ann")[2])
    assert (cascade["size"], cascade["depth"]) == (3, 2)
    fay = orjson.loads(call(loaded, "GET", "/customers/fay")[2])
    assert fay["credited_referrer"]["id"] == "cat"
    link = orjson.loads(call(loaded, "GET", "/customers/ann/links")[2])["items"][-1]
    assert (link["code"], link["clicks"], link["signups"]) == ("ann-1", 1, 1)
    spread = orjson.loads(call(loaded, "GET", "/spread?bucket=day")[2])
    assert sum(row["new_customers"] for row in spread["series"]) == 4


def test_gexf_export_parses_back(loaded):
    status, headers, body = call(loaded, "GET", "/graph?format=gexf")
    assert status == 200
    assert headers["Content-Type"].startswith("application/gexf+xml")
    G = read_gexf(body)
    assert set(G.edges) == {
        ("ann", "cat"),
        ("bob", "dan"),
        ("cat", "eve"),
        ("cat", "fay"),
    }
    assert G.nodes["fay"]["start"] == "2026-03-05T00:00:00Z"
    assert G.edges["ann", "cat"]["kinds"] == "link"


def test_errors_over_http_are_problem_json(loaded):
    status, headers, body = loaded.call("GET", "/api/v1/customers")
    assert (status, headers["Content-Type"]) == (401, "application/problem+json")
    status, headers, _ = call(
        loaded, "POST", "/events", b"{", **{"Content-Type": "application/json"}
    )
    assert (status, headers["Content-Type"]) == (400, "application/problem+json")
    status, headers, _ = call(loaded, "GET", "/nowhere")
    assert (status, headers["Content-Type"]) == (404, "application/problem+json")


def test_the_docs_and_the_document_are_served(loaded):
    status, headers, body = loaded.call("GET", "/api/docs")
    assert status == 200 and b"swagger-ui" in body
    assert "'unsafe-inline'" in headers["Content-Security-Policy"]
    status, _, body = loaded.call("GET", "/api/v1/openapi.json")
    assert orjson.loads(body)["openapi"] == "3.1.0"
