"""Names and answers come from strangers: they render inert everywhere, and proxies are
trusted only when configured.

Each test names one rule of the journey or of docs/reliability.md.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.conftest import IP_KEY, SECRET
from tests.landing.helpers import (
    credit_of,
    customer,
    get,
    person_with_email,
    set_setting,
    sign_up,
)
from tests.payloads import LONG_TEXT, XSS_CORPUS
from wom import create_app

# -- XSS: names and answers come from strangers -----------------------------------


class Scripts(HTMLParser):
    """Every place in a page where a browser would run script."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name in ("href", "src", "action") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value}>")
        if tag == "script" and dict(attrs).get("src") != "/static/landing.js":
            self.found.append("<script> without our src")


def runnable(html):
    parser = Scripts()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_a_hostile_inviter_name_is_inert(client, store, payload):
    code = customer(store, "mal", payload, "mal@example.org")
    response, html = get(client, f"/r/{code}")
    assert response.status_code == 200
    assert runnable(html) == []
    if "<" in payload:
        assert payload.split()[0] not in html, "escaped, never raw"
    assert "invited you to" in html


@pytest.mark.parametrize("payload", XSS_CORPUS + [LONG_TEXT[:100]])
def test_a_hostile_sign_up_is_inert_on_the_share_page(client, store, alice, payload):
    response = sign_up(
        client, f"/r/{alice}", name=payload[:100], heard_from=payload[:200]
    )
    assert response.status_code == 303
    _, html = get(client, response.headers["Location"])
    assert runnable(html) == []
    code = (
        store.reader().execute("SELECT code FROM links ORDER BY id DESC").fetchone()[0]
    )
    _, html = get(client, f"/r/{code}")
    assert runnable(html) == []


@pytest.mark.parametrize("payload", XSS_CORPUS + [LONG_TEXT])
def test_a_hostile_form_sent_back_with_errors_is_inert(client, alice, payload):
    response = sign_up(client, f"/r/{alice}", name=payload, email=payload)
    assert response.status_code == 422
    assert runnable(response.get_data(as_text=True)) == []


def test_hostile_settings_are_inert(client, store, alice):
    set_setting(store, "business_name", XSS_CORPUS[1][:80])
    set_setting(store, "offer_text", XSS_CORPUS[0])
    _, html = get(client, f"/r/{alice}")
    assert runnable(html) == []
    response = sign_up(client, f"/r/{alice}")
    _, html = get(client, response.headers["Location"])
    assert runnable(html) == []


@pytest.mark.parametrize(("proxies", "status"), [(1, "credited"), (0, "held")])
def test_behind_a_trusted_proxy_each_visitor_keeps_their_own_address(
    db_path, proxies, status
):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(db_path),
            "SECRET_KEY": SECRET,
            "IP_HMAC_KEY": IP_KEY,
            "WOM_ANALYTICS_BACKGROUND": False,
            "TRUSTED_PROXIES": proxies,
        }
    )
    store = app.extensions["wom.store"]
    try:
        # Both come through the proxy on 127.0.0.1, from different networks.
        sign_up(
            app.test_client(),
            name="Gus",
            email="gus@example.org",
            headers={"X-Forwarded-For": "198.51.100.1"},
        )
        gus = store.reader().execute("SELECT code FROM links").fetchone()[0]
        sign_up(
            app.test_client(),
            f"/r/{gus}",
            name="Hal",
            email="hal@example.org",
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
        hal = person_with_email(store, "hal@example.org")
        # Without a trusted proxy the header is ignored (anyone could forge it),
        # and both share the proxy's address.
        assert credit_of(store, hal)[1] == status
    finally:
        store.close()
