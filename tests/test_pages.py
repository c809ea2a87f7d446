"""The HTML pages and their JSON twins, errors and security headers."""

from __future__ import annotations

import pytest

from wom.store import ingest
from wom.store.settings import write_setting


@pytest.fixture
def filled(app):
    store = app.extensions["wom.store"]
    ingest(
        store,
        [
            {"type": "signup", "customer": "alice", "at": "2026-01-01T00:00:00Z"},
            {
                "type": "mention",
                "from": "alice",
                "to": "bob",
                "at": "2026-01-02T00:00:00Z",
            },
            {"type": "signup", "customer": "bob", "at": "2026-01-03T00:00:00Z"},
            {
                "type": "mention",
                "from": "bob",
                "to": "cy",
                "at": "2026-01-04T00:00:00Z",
            },
        ],
    )
    return store


def test_home_page_shows_live_figures(client, filled):
    with client.get("/") as response:
        html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<span class="value" id="fig-customers">2</span>' in html
    assert '<span class="value" id="fig-wom">50%</span>' in html
    assert '<span class="value" id="fig-prospects">1</span>' in html


def test_home_page_shows_top_starters_and_cascades_from_the_service(client, filled):
    with client.get("/index.json") as response:
        body = response.get_json()
    assert [(r["external_id"], r["reach"]) for r in body["top_starters"]] == [
        ("alice", 1),
        ("bob", 0),
    ]
    assert [
        (c["external_id"], c["size"], c["depth"]) for c in body["largest_cascades"]
    ] == [("alice", 2, 1)]
    with client.get("/") as response:
        html = response.get_data(as_text=True)
    assert '<table id="top-starters">' in html
    assert '<td>alice</td><td class="num">1</td>' in html


def test_home_page_json_twin_has_the_same_figures(client, filled):
    with client.get("/index.json") as response:
        body = response.get_json()
    assert body["overview"]["customers"] == 2
    assert body["overview"]["wom_share"] == 0.5
    assert body["example_link"]


def test_other_machines_see_no_live_figures_unless_the_owner_says(app, filled):
    visitor = app.test_client()
    visitor.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    with visitor.get("/") as response:
        html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The live figures are private" in html
    assert "alice" not in html and "fig-customers" not in html
    with visitor.get("/index.json") as response:
        assert response.status_code == 403
        assert "public_home" in response.get_data(as_text=True)
    with filled.write() as db:
        write_setting(db, "public_home", True)
    with visitor.get("/index.json") as response:
        assert response.get_json()["overview"]["customers"] == 2


def test_a_request_from_an_untrusted_proxy_is_not_this_machine(client, filled):
    # The proxy runs on this machine; wom was not told to trust it.
    forwarded = {"X-Forwarded-For": "203.0.113.5"}
    with client.get("/", headers=forwarded) as response:
        assert "The live figures are private" in response.get_data(as_text=True)


def test_home_page_of_an_empty_database(client):
    with client.get("/") as response:
        assert response.status_code == 200
        assert '<span class="value" id="fig-wom">–</span>' in response.get_data(
            as_text=True
        )


def test_unknown_page_is_a_friendly_html_404(client):
    with client.get("/no/such/page") as response:
        assert response.status_code == 404
        assert response.mimetype == "text/html"
        assert "home page" in response.get_data(as_text=True)


def test_unknown_api_path_is_problem_json(client):
    with client.get("/api/v1/no-such-thing") as response:
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == 404


@pytest.mark.parametrize(
    "header, value",
    [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ],
)
def test_security_headers(client, header, value):
    with client.get("/") as response:
        assert response.headers[header] == value
        csp = response.headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp


def test_pages_reached_with_ref_send_no_referrer(client):
    with client.get("/?ref=abc") as response:
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_an_unexpected_failure_is_an_html_500_without_details(client, monkeypatch):
    from wom.web import home

    def broken():
        raise RuntimeError("secret path /work/main/instance/wom.db")

    monkeypatch.setattr(home, "home_figures", broken)
    with client.get("/") as response:
        html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "secret" not in html and "Traceback" not in html
    assert "Something went wrong on our side" in html
