"""The sign-up form: validation, CSRF, rate limits, cookies and consent, and no open
redirects.

Each test names one rule of the journey or of docs/reliability.md.
"""

from __future__ import annotations

import re

import pytest

from tests.landing.helpers import (
    BROWSER,
    browser,
    count,
    csrf_token,
    get,
    set_setting,
    sign_up,
    text_of,
)
from tests.payloads import LONG_TEXT

# -- validation, CSRF, rate limits ---------------------------------------------


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"email": "not-an-email"}, "doesn&#39;t look like an email address"),
        ({"email": "zoe@localhost"}, "doesn&#39;t look like an email address"),
        ({"email": ""}, "We need an email address"),
        ({"name": "   "}, "Tell us your name."),
        ({"name": LONG_TEXT}, "Keep it under 100 characters."),
        ({"heard_from": LONG_TEXT}, "Keep it under 200 characters."),
        ({"name": "Zoe\x00"}, "Use letters and punctuation only."),
        ({"heard_from": "Kim\x1b[2J"}, "Use letters and punctuation only."),
        ({"email": "zoe\x00@example.org"}, "Use letters and punctuation only."),
    ],
)
def test_invalid_fields_are_shown_and_nothing_is_written(
    client, store, alice, fields, message
):
    events = count(store, "events")
    response = sign_up(client, f"/r/{alice}", **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(store, "events") == events + 1, "only the click of the page view"
    assert count(store, "people") == 1


@pytest.mark.parametrize(
    "token, headers",
    [
        (None, {}),
        ("forged", {}),
        ("valid", {"Origin": "https://evil.example"}),
        ("valid", {"Origin": "http://[::1"}),  # not even a URL
    ],
)
def test_a_csrf_failure_is_400_and_writes_nothing(client, store, alice, token, headers):
    _, html = get(client, f"/r/{alice}")
    before = {t: count(store, t) for t in ("events", "people", "answers", "shares")}
    form = {"name": "Bea", "email": "bea@example.org", "ref": alice}
    if token == "valid":
        form["csrf_token"] = csrf_token(html)
    elif token == "forged":
        form["csrf_token"] = "ImZvcmdlZCI.aaaa.bbbb"
    with client.post("/join", data=form, headers=headers) as response:
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "reload the page" in page
        assert f'href="/r/{alice}">Back to the form' in page
    assert before == {t: count(store, t) for t in before}


def test_with_csrf_checks_switched_off_the_form_still_signs_up(app, client, alice):
    """WTF_CSRF_ENABLED=False (as the soak's CSRF control sets it) drops the form's
    token field; the sign-up must not trip over its absence."""
    app.config["WTF_CSRF_ENABLED"] = False
    assert sign_up(client, f"/r/{alice}").status_code == 303

def test_a_failure_at_sign_up_is_a_500_in_the_business_branding(
    client, store, alice, monkeypatch
):
    from wom import actions

    def broken(*args, **kwargs):
        raise RuntimeError("secret path /work/main/instance/wom.db")

    monkeypatch.setattr(actions, "sign_up", broken)
    set_setting(store, "business_name", "Bean & Leaf")
    response = sign_up(client, f"/r/{alice}")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, something went wrong" in page and "Bean &amp; Leaf" in page
    assert f'href="/r/{alice}">Back to the form' in page
    assert "secret" not in page and 'href="/"' not in page


def test_sign_up_over_https_works_without_a_referer(app, store, alice):
    """Referrer-Policy no-referrer means no Referer header on the form's POST, which
    CSRFProtect's strict HTTPS check would refuse."""
    app.config["SESSION_COOKIE_SECURE"] = True
    client = app.test_client()
    _, html = get(client, f"https://localhost/r/{alice}")
    with client.post(
        "https://localhost/join",
        data={
            "csrf_token": csrf_token(html),
            "name": "Ivy",
            "email": "ivy@example.org",
            "ref": alice,
            "consent": "y",
        },
        headers={"Origin": "null"},
    ) as response:
        assert response.status_code == 303
        assert "__Host-wom_visitor" in cookie_names(response)


def test_sign_ups_are_rate_limited_per_ip_by_the_setting(app, client, store):
    set_setting(store, "signup_rate_limit", "2 per hour")
    for n in range(2):
        assert sign_up(client, email=f"n{n}@example.org").status_code == 303
    response = sign_up(client, email="n3@example.org")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    # In the business's branding, in words for a visitor.
    page = text_of(response.get_data(as_text=True))
    assert "try again in 60 minutes" in page and "My business" in page
    elsewhere = browser(app, ip="198.51.100.30")
    assert sign_up(elsewhere, email="n4@example.org").status_code == 303
    # Refused before its form is read: a body over the form limit changes nothing.
    body = (
        b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
        + b"x" * 600_000
        + b"\r\n--b--\r\n"
    )
    with client.post(
        "/join",
        data=body,
        content_type="multipart/form-data; boundary=b",
        headers={"User-Agent": BROWSER},
    ) as refused:
        assert refused.status_code == 429


# -- cookies and consent -----------------------------------------------------------


def cookie_names(response):
    return {
        header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")
    }


def test_no_tracking_cookie_without_consent(client, alice):
    response, _ = get(client, f"/r/{alice}")
    assert cookie_names(response) == {"session"}, "only the CSRF session cookie"
    response = sign_up(client, f"/r/{alice}")
    assert "wom_visitor" not in cookie_names(response)


def test_consent_sets_a_first_party_http_only_visitor_cookie(client, alice):
    response = sign_up(client, f"/r/{alice}", consent=True)
    cookie = next(
        c
        for c in response.headers.getlist("Set-Cookie")
        if c.startswith("wom_visitor=")
    )
    assert re.match(r"wom_visitor=v-[A-Za-z0-9_-]{22};", cookie)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=15552000" in cookie


def test_unticking_consent_deletes_the_visitor_cookie(client, store):
    sign_up(client, consent=True, email="one@example.org")
    response = sign_up(client, consent=False, email="two@example.org")
    cookie = next(
        c
        for c in response.headers.getlist("Set-Cookie")
        if c.startswith("wom_visitor=")
    )
    assert "Max-Age=0" in cookie or "Expires=Thu, 01 Jan 1970" in cookie
    visitor = (
        store.reader()
        .execute("SELECT visitor FROM events WHERE type = 'signup' ORDER BY seq DESC")
        .fetchone()[0]
    )
    assert visitor is None


# -- open redirects ----------------------------------------------------------------


@pytest.mark.parametrize("key", ["next", "url", "redirect", "return_to", "destination"])
def test_sign_up_never_redirects_where_the_request_says(client, store, alice, key):
    set_setting(store, "destination_url", "https://shop.example/welcome")
    evil = "https://evil.example/phish"
    _, html = get(client, f"/r/{alice}?{key}={evil}")
    with client.post(
        f"/join?{key}={evil}",
        data={
            "csrf_token": csrf_token(html),
            "name": "Jay",
            "email": "jay@example.org",
            "ref": alice,
            key: evil,
        },
        headers={"Referer": evil},
    ) as response:
        location = response.headers["Location"]
    assert location.startswith("/s/")
    _, share = get(client, location)
    assert "evil.example" not in share
    assert 'href="https://shop.example/welcome"' in share, "the owner's destination"


@pytest.mark.parametrize("ref", ["https://evil.example", "//evil.example", "/\\evil"])
def test_a_ref_that_looks_like_a_url_is_just_an_unknown_code(client, store, ref):
    response, html = get(client, "/join", query_string={"ref": ref})
    assert response.status_code == 200
    assert "evil" not in html
