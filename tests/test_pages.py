"""The HTML pages and their JSON twins, errors and security headers."""

from __future__ import annotations

import re
from html import unescape

import pytest

from wom.store import ingest
from wom.store.settings import write_setting


@pytest.fixture
def filled(app):
    store = app.extensions["wom.store"]
    ingest(
        store,
        [
            {
                "type": "signup",
                "customer": "alice",
                "name": "Alice <b>Ames</b>",
                "at": "2026-01-01T00:00:00Z",
            },
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
    assert (
        '<td><a href="/dashboard/customers/alice">Alice &lt;b&gt;Ames&lt;/b&gt;</a> '
        '<span class="id">alice</span></td><td class="num">1</td>'
    ) in html
    assert '<a href="/dashboard/customers/bob">bob</a></td>' in html


def test_home_page_names_people_as_its_twin_does(client, filled):
    with client.get("/index.json") as response:
        body = response.get_json()
    assert [r["name"] for r in body["top_starters"]] == ["Alice <b>Ames</b>", None]
    assert [c["name"] for c in body["largest_cascades"]] == ["Alice <b>Ames</b>"]


def test_the_home_page_links_to_the_owners_dashboard(client):
    with client.get("/") as response:
        html = response.get_data(as_text=True)
    assert '<a class="owner" href="/dashboard">Dashboard</a>' in html
    assert '<a href="/dashboard">The owner\'s dashboard</a>' in html


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


@pytest.fixture
def broken_home(monkeypatch):
    """The home page's figures fail with a message that must never be shown."""
    from wom.web import home

    def broken():
        raise RuntimeError("secret path /work/main/instance/wom.db")

    monkeypatch.setattr(home, "home_figures", broken)


def test_an_unexpected_failure_is_an_html_500_without_details(client, broken_home):
    with client.get("/") as response:
        html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "secret" not in html and "Traceback" not in html
    assert "Something went wrong on our side" in html


# -- wom's own error pages ----------------------------------------------------------

WERKZEUG_WORDS = ("If you entered the URL manually", "requested URL")


def heading_of(html: str) -> str:
    return unescape(re.search(r'<h1 id="error-title">(.*?)</h1>', html)[1])


@pytest.mark.parametrize(
    "method, path, status, heading",
    [
        ("GET", "/no/such/page", 404, "There's no page at this address"),
        ("POST", "/healthz", 405, "This page can't do that"),
        ("DELETE", "/", 405, "This page can't do that"),
    ],
)
def test_errors_are_woms_own_pages_with_a_way_forward(
    client, method, path, status, heading
):
    with client.open(path, method=method) as response:
        html = response.get_data(as_text=True)
    assert (response.status_code, response.mimetype) == (status, "text/html")
    assert heading_of(html) == heading
    assert not [words for words in WERKZEUG_WORDS if words in html]
    assert '<a href="/">Go to the home page</a>' in html


def test_a_500_offers_to_try_again(client, broken_home):
    with client.get("/?ref=") as response:
        html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert heading_of(html) == "Something went wrong on our side"
    assert '<a href="/?ref=">Try again</a>' in html


def test_a_views_own_words_stay_under_woms_heading(app, client):
    from flask import abort

    @app.get("/gone")
    def gone():
        abort(404, "No customer with id 'c-17'.")

    with client.get("/gone") as response:
        html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert heading_of(html) == "There's no page at this address"
    assert "No customer with id &#39;c-17&#39;." in html


@pytest.mark.parametrize(
    "method, path, status",
    [("GET", "/api/v1/no-such-thing", 404), ("DELETE", "/api/v1/openapi.json", 405)],
)
def test_api_errors_stay_problem_json(client, method, path, status):
    with client.open(path, method=method) as response:
        assert (response.status_code, response.mimetype) == (
            status,
            "application/problem+json",
        )
        assert response.get_json()["status"] == status


def test_over_https_browsers_are_told_to_keep_to_https(app):
    app.config["SESSION_COOKIE_SECURE"] = True  # what WOM_HTTPS=1 sets
    with app.test_client().get("https://localhost/") as response:
        hsts = response.headers["Strict-Transport-Security"]
    directives = dict(
        part.strip().partition("=")[::2] for part in hsts.split(";") if part.strip()
    )
    assert int(directives["max-age"]) >= 365 * 24 * 3600


def test_over_plain_http_there_is_no_strict_transport_header(client):
    # HSTS sent over http would pin a browser to an https that may not exist.
    with client.get("/") as response:
        assert "Strict-Transport-Security" not in response.headers


def test_wom_https_turns_on_strict_transport(monkeypatch, tmp_path):
    from wom import create_app

    monkeypatch.setenv("WOM_HTTPS", "1")
    monkeypatch.setenv("WOM_DATABASE", str(tmp_path / "wom.db"))
    monkeypatch.setenv("WOM_SECRET_KEY", "s" * 64)
    monkeypatch.setenv("WOM_IP_KEY", "i" * 64)
    monkeypatch.setenv("WOM_WEBHOOK_KEY", "w" * 64)
    app = create_app()
    try:
        with app.test_client().get("https://localhost/healthz") as response:
            assert "max-age=" in response.headers["Strict-Transport-Security"]
    finally:
        app.extensions["wom.store"].close()
