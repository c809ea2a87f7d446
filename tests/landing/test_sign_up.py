"""Sign-up from a landing page: the credit, the share page, self-referrals and the
evidence that holds a credit.

Each test names one rule of the journey or of docs/reliability.md.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.landing.helpers import (
    browser,
    count,
    credit_of,
    customer,
    get,
    link_counts,
    newest_code,
    person_with_email,
    sign_up,
    text_of,
)
from wom.store import ingest
from wom.store.ingest import upsert_identities

# -- sign-up ----------------------------------------------------------------------


def test_sign_up_credits_the_referrer_and_lands_on_the_share_page(client, store, alice):
    response = sign_up(client, f"/r/{alice}", name="Bob Stone", email="bob@example.org")
    assert response.status_code == 303
    assert re.fullmatch(r"/s/[A-Za-z0-9_-]{22}", response.headers["Location"])
    bob = person_with_email(store, "bob@example.org")
    assert bob.startswith("p-"), "a generated external id"
    assert credit_of(store, bob) == ("alice", "credited")
    assert link_counts(store, alice) == (1, 0, 1)
    event = (
        store.reader()
        .execute(
            "SELECT source, visitor, ip_hmac FROM events WHERE type = 'signup' "
            "AND source = 'web'"
        )
        .fetchone()
    )
    assert event[0] == "web" and event[1] is None and len(event[2]) == 32


def test_the_share_page_shows_the_own_link_and_a_qr_code(client, store, alice):
    response = sign_up(client, f"/r/{alice}", name="Bob Stone", email="bob@example.org")
    response, html = get(client, response.headers["Location"])
    assert response.status_code == 200
    assert 'Thanks, <span class="lp-name">Bob</span>' in html
    own = (
        store.reader().execute("SELECT code FROM links ORDER BY id DESC").fetchone()[0]
    )
    assert f'value="http://localhost/r/{own}"' in html
    assert 'data-copy="own-link"' in html
    assert re.search(r'<svg viewBox="0 0 \d+ \d+" class="qr">', html)
    for channel, prefix in [
        ("email", "mailto:?"),
        ("whatsapp", "https://wa.me/?text="),
        ("sms", "sms:?&amp;body="),
        ("x", "https://x.com/intent/tweet?"),
    ]:
        assert f'lp-share-{channel}" href="{prefix}' in html
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_share_page_counts_people_brought_directly_and_through_friends(
    app, store, alice
):
    """Bob brings Cy and Di, and Cy brings Ed: 3 people, 1 of them through Cy."""
    bob_page = sign_up(
        browser(app, "198.51.100.1"), f"/r/{alice}", name="Bob", email="b@example.org"
    ).headers["Location"]
    bob = newest_code(store)
    sign_up(browser(app, "198.51.100.2"), f"/r/{bob}", name="Cy", email="c@x.org")
    cy = newest_code(store)
    sign_up(browser(app, "198.51.100.3"), f"/r/{bob}", name="Di", email="d@x.org")
    sign_up(browser(app, "198.51.100.4"), f"/r/{cy}", name="Ed", email="e@x.org")
    _, html = get(app.test_client(), bob_page)
    assert "You've brought 3 people (1 through your friends)" in text_of(html)


@pytest.mark.parametrize(
    "friend_ip, expected",
    [
        ("198.51.100.2", ["You've brought 1 person. Thank you!"]),
        (
            "198.51.100.1",
            [
                "You've brought 0 people so far.",
                "1 more is waiting for My business to confirm them.",
            ],
        ),
    ],
    ids=["credited", "held-for-review"],
)
def test_the_share_page_counts_only_credited_people(app, store, friend_ip, expected):
    page = sign_up(
        browser(app, "198.51.100.1"), name="Bob", email="b@example.org"
    ).headers["Location"]
    sign_up(browser(app, friend_ip), f"/r/{newest_code(store)}", email="c@x.org")
    _, html = get(app.test_client(), page)
    for sentence in expected:
        assert sentence in text_of(html)


def test_the_share_page_of_a_switched_off_link_says_so(client, store):
    page = sign_up(client, name="Dee", email="dee@example.org").headers["Location"]
    with store.write() as db:
        db.execute("UPDATE links SET disabled = 1")
    response, html = get(client, page)
    assert response.status_code == 200
    assert "Your link is switched off" in html
    assert "<svg" not in html


def test_an_unknown_share_secret_is_a_404(client):
    response, html = get(client, "/s/nosuchsecretatall00000")
    assert response.status_code == 404
    assert "We couldn't find that sharing page" in html
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_an_existing_customer_keeps_their_referrer(app, client, store, alice):
    carol = customer(store, "carol", "Carol", "carol@example.org")
    sign_up(client, f"/r/{alice}", name="Bob", email="bob@example.org")
    bob = person_with_email(store, "bob@example.org")
    again = sign_up(
        app.test_client(), f"/r/{carol}", name="Robert", email="BOB@example.org"
    )
    assert again.status_code == 303
    assert again.headers["Location"] == "/join/known"
    assert person_with_email(store, "bob@example.org") == bob, "recognised, not new"
    assert credit_of(store, bob) == ("alice", "credited")
    name = (
        store.reader()
        .execute(
            "SELECT name FROM identities i JOIN people p ON p.id = i.person_id "
            "WHERE p.external_id = ?",
            [bob],
        )
        .fetchone()[0]
    )
    assert name == "Bob", "a typed email never renames its owner"


def devices_of(store, external_id):
    return sorted(
        store.reader().execute(
            "SELECT d.kind, d.value FROM devices d JOIN people p ON p.id = d.person_id "
            "WHERE p.external_id = ?",
            [external_id],
        )
    )


def test_a_typed_email_never_opens_someone_elses_share_page(app, client, store):
    sign_up(client, consent=True, name="Dee", email="dee@example.org")
    dee = person_with_email(store, "dee@example.org")
    before = devices_of(store, dee)
    mallory = browser(app, ip="203.0.113.9")
    # Twice, with consent: the first try must not make Mallory's browser Dee's.
    for _ in range(2):
        response = sign_up(mallory, consent=True, name="M", email="dee@example.org")
        assert response.headers["Location"] == "/join/known"
    assert devices_of(store, dee) == before
    response, html = get(mallory, "/join/known")
    assert "You're already signed up" in html


def test_the_customers_own_browser_gets_their_share_page_again(client, store):
    first = sign_up(client, consent=True, name="Dee", email="dee@example.org")
    again = sign_up(client, consent=True, name="Dee", email="dee@example.org")
    assert again.headers["Location"] == first.headers["Location"]


def test_a_prospect_known_by_email_converts_on_sign_up(client, store, alice):
    yesterday = datetime.now(UTC) - timedelta(days=1)
    ingest(store, [{"type": "mention", "from": "alice", "to": "fay", "at": yesterday}])
    with store.write() as db:
        fay = db.execute("SELECT id FROM people WHERE external_id = 'fay'").fetchone()
        upsert_identities(db, [(fay[0], None, "fay@example.org")])
    response = sign_up(client, name="Fay", email="Fay@Example.org")
    assert response.headers["Location"].startswith("/s/")
    status = (
        store.reader()
        .execute("SELECT status FROM people WHERE external_id = 'fay'")
        .fetchone()[0]
    )
    assert status == "customer"
    assert credit_of(store, "fay") == ("alice", "credited")


@pytest.mark.parametrize(
    "variant",
    [
        "alice@gmail.com",
        "a.l.i.c.e@gmail.com",
        "alice+promo@gmail.com",
        "Ali.ce+x@googlemail.com",
    ],
)
def test_a_self_referral_by_email_is_void_and_flagged(client, store, alice, variant):
    response = sign_up(client, f"/r/{alice}", name="Alice Two", email=variant)
    assert response.status_code == 303
    second = person_with_email(store, variant)
    assert second != "alice", "a second account, so that the store can void it"
    assert credit_of(store, second) is None
    assert count(store, "flags", "kind = 'self_referral'") == 1


@pytest.mark.parametrize(
    "referrer_email, alias",
    [
        ("alice@outlook.com", "alice+1@outlook.com"),
        ("alice@hotmail.com", "Alice+shop@Hotmail.com"),
        ("alice@live.com", "alice+x@live.com"),
        ("alice@icloud.com", "alice+news@icloud.com"),
        ("alice@me.com", "alice+a@me.com"),
        ("alice@fastmail.com", "alice+wom@fastmail.com"),
        ("alice@proton.me", "alice+2@proton.me"),
        ("alice@pm.me", "alice+2@pm.me"),
        ("alice@yahoo.com", "alice-shopping@yahoo.com"),
        ("ana@bücher.de", "ana@xn--bcher-kva.de"),
        ("ana@xn--bcher-kva.de", "Ana@BÜCHER.de"),
    ],
)
def test_a_providers_alias_is_a_self_referral(client, store, referrer_email, alias):
    code = customer(store, "alice", "Alice Martin", referrer_email)
    response = sign_up(client, f"/r/{code}", name="Alice Two", email=alias)
    assert response.status_code == 303
    second = person_with_email(store, alias)
    assert credit_of(store, second) is None
    assert count(store, "flags", "kind = 'self_referral'") == 1


@pytest.mark.parametrize(
    "referrer_email, other",
    [
        ("alice@outlook.com", "a.lice@outlook.com"),  # dots count outside Gmail
        ("alice@example.org", "alice+1@example.org"),  # unknown provider: kept whole
        ("alice@yahoo.com", "alice+x@yahoo.com"),  # Yahoo tags with a hyphen
    ],
)
def test_another_mailbox_at_a_provider_earns_the_credit(
    client, store, referrer_email, other
):
    code = customer(store, "alice", "Alice Martin", referrer_email)
    sign_up(client, f"/r/{code}", name="Bo Other", email=other)
    assert credit_of(store, person_with_email(store, other)) == ("alice", "credited")


@pytest.mark.parametrize("consent", [True, False], ids=["consent", "box-unticked"])
def test_the_same_visitor_cookie_holds_the_credit(app, store, consent):
    same_browser = app.test_client()
    sign_up(same_browser, consent=True, name="Gus", email="gus@example.org")
    gus = store.reader().execute("SELECT code FROM links").fetchone()[0]
    # The same browser (same cookie) signs a "friend" up from another network;
    # unticking the consent box there does not hide whose browser it is.
    same_browser.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    response = sign_up(
        same_browser,
        f"/join?ref={gus}",
        consent=consent,
        name="Hal",
        email="hal@example.org",
    )
    assert response.status_code == 303
    hal = person_with_email(store, "hal@example.org")
    assert credit_of(store, hal)[1] == "held"
    assert count(store, "flags", "kind = 'held'") == 1


def test_the_same_ip_holds_the_credit(app, store):
    sign_up(app.test_client(), name="Gus", email="gus@example.org")
    gus = store.reader().execute("SELECT code FROM links").fetchone()[0]
    sign_up(app.test_client(), f"/r/{gus}", name="Hal", email="hal@example.org")
    assert credit_of(store, person_with_email(store, "hal@example.org"))[1] == "held"


def test_different_browser_and_network_is_credited(app, store):
    sign_up(app.test_client(), name="Gus", email="gus@example.org", consent=True)
    gus = store.reader().execute("SELECT code FROM links").fetchone()[0]
    other = browser(app, ip="198.51.100.20")
    response = sign_up(
        other, f"/r/{gus}", consent=True, name="Hal", email="hal@example.org"
    )
    assert response.status_code == 303
    assert (
        credit_of(store, person_with_email(store, "hal@example.org"))[1] == "credited"
    )
