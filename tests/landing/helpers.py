"""The landing tests' shared fixtures and helpers: customers added through the
ingest path, sign-ups through the form, and the store's counts read back."""

from __future__ import annotations

import re

import pytest

from wom.store import ingest
from wom.store.settings import write_setting

BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36"
)
OTHER_BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Version/17.4 Safari/605.1"


@pytest.fixture
def store(app):
    """The app's store (overrides the app-less one in conftest)."""
    return app.extensions["wom.store"]


def customer(store, external_id, name, email, at="2026-01-01T00:00:00Z"):
    """Add a customer through the ingest path; return their link code."""
    ingest(
        store,
        [
            {
                "type": "signup",
                "customer": external_id,
                "name": name,
                "email": email,
                "at": at,
            }
        ],
        source="test",
    )
    return (
        store.reader()
        .execute(
            "SELECT l.code FROM links l JOIN people p ON p.id = l.owner_id "
            "WHERE p.external_id = ?",
            [external_id],
        )
        .fetchone()[0]
    )


@pytest.fixture
def alice(store):
    """A customer with a link: the referrer in most tests."""
    return customer(store, "alice", "Alice Martin", "alice@gmail.com")


def count(store, table, where="1", params=()):
    return (
        store.reader()
        .execute(f"SELECT count(*) FROM {table} WHERE {where}", list(params))
        .fetchone()[0]
    )


def link_counts(store, code):
    return (
        store.reader()
        .execute("SELECT clicks, bot_clicks, signups FROM links WHERE code = ?", [code])
        .fetchone()
    )


def credit_of(store, external_id):
    """(referrer external id, status) of a customer's credit, or None."""
    return (
        store.reader()
        .execute(
            "SELECT r.external_id, c.status FROM credits c "
            "JOIN people p ON p.id = c.customer_id "
            "JOIN people r ON r.id = c.referrer_id WHERE p.external_id = ?",
            [external_id],
        )
        .fetchone()
    )


def person_with_email(store, email):
    row = (
        store.reader()
        .execute(
            "SELECT p.external_id FROM people p JOIN identities i "
            "ON i.person_id = p.id WHERE i.email = ? ORDER BY p.id DESC",
            [email],
        )
        .fetchone()
    )
    return row and row[0]


def get(client, url, **kwargs):
    headers = {"User-Agent": BROWSER, **kwargs.pop("headers", {})}
    with client.get(url, headers=headers, **kwargs) as response:
        return response, response.get_data(as_text=True)


def csrf_token(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1]


def sign_up(client, page="/join", *, consent=False, extra=None, headers=None, **fields):
    """Open ``page``, fill the form as a visitor would, and send it."""
    _, html = get(client, page)
    form = {
        "csrf_token": csrf_token(html),
        "name": "Bea Quinn",
        "email": "bea@example.org",
        "heard_from": "",
        "ref": re.search(r'name="ref" type="hidden" value="([^"]*)"', html)[1],
    }
    form |= fields
    if consent:
        form["consent"] = "y"
    form |= extra or {}
    with client.post(
        "/join", data=form, headers={"User-Agent": BROWSER, **(headers or {})}
    ) as response:
        return response


def browser(app, ip="127.0.0.1"):
    """A separate browser (its own cookies), on the network of ``ip``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def set_setting(store, key, value):
    with store.write() as db:
        write_setting(db, key, value)


def newest_code(store):
    return (
        store.reader().execute("SELECT code FROM links ORDER BY id DESC").fetchone()[0]
    )


def text_of(html):
    return " ".join(html.split())
