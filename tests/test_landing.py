"""Referral links and landing pages: click, sign up, attribute, share.

Each test names one rule of the journey (issue 5) or of docs/reliability.md.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from flask import template_rendered

from tests.conftest import IP_KEY, SECRET, app_config
from tests.payloads import LONG_TEXT, XSS_CORPUS
from wom import create_app
from wom.actions.settings import change_setting
from wom.privacy import use_owner_bot_pattern
from wom.store import Store, ingest
from wom.store.ingest import upsert_identities
from wom.store.settings import write_setting

BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36"
)
OTHER_BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Version/17.4 Safari/605.1"


# -- fixtures and helpers -------------------------------------------------------


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


# -- the landing page -------------------------------------------------------------


def test_link_shows_who_invited_and_the_owners_offer(client, store, alice):
    set_setting(store, "business_name", "Bean & Leaf")
    set_setting(store, "offer_text", "Your first coffee is on us.")
    response, html = get(client, f"/r/{alice}")
    assert response.status_code == 200
    assert '<span class="lp-name">Alice</span> invited you to Bean &amp; Leaf' in html
    assert "Your first coffee is on us." in html
    assert "Martin" not in html, "only the first name is shown to strangers"
    for field in ("name", "email", "heard_from", "consent", "csrf_token"):
        assert f'name="{field}"' in html
    assert f'name="ref" type="hidden" value="{alice}"' in html


def test_the_page_follows_a_new_offer_and_a_renamed_inviter_at_once(
    client, store, alice
):
    get(client, f"/r/{alice}")
    set_setting(store, "offer_text", "Two for one on Tuesdays.")
    with store.write() as db:
        upsert_identities(db, [(1, "Alicia Martin", None)])
    _, html = get(client, f"/r/{alice}")
    assert "Two for one on Tuesdays." in html
    assert "Alicia</span> invited you" in html


@pytest.fixture
def renders(app):
    """The templates rendered while the test runs, by name."""
    names = []

    def rendered(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(rendered, app)
    yield names
    template_rendered.disconnect(rendered, app)


def without_token(html):
    return re.sub(r'(name="csrf_token" type="hidden" value=")[^"]+', r"\1", html)


def test_a_links_page_is_rendered_once_and_kept_across_clicks(
    client, store, alice, renders
):
    _, first = get(client, f"/r/{alice}")
    assert renders == ["landing/invite.html"]
    for n in range(3):
        _, html = get(browser(client.application, f"198.51.100.{n}"), f"/r/{alice}")
        assert without_token(html) == without_token(first)
    assert renders == ["landing/invite.html"], "clicks change nothing on the page"
    assert link_counts(store, alice) == (4, 0, 0)


def test_every_visitor_gets_their_own_token_and_only_theirs_passes(app, store, alice):
    ann, ben = browser(app, "198.51.100.1"), browser(app, "198.51.100.2")
    tokens = {c: csrf_token(get(c, f"/r/{alice}")[1]) for c in (ann, ben)}
    assert tokens[ann] != tokens[ben]
    form = {"name": "Ann", "email": "ann@example.org", "ref": alice}
    with ann.post("/join", data=form | {"csrf_token": tokens[ben]}) as stolen:
        assert stolen.status_code == 400, "another visitor's token"
    with ann.post("/join", data=form | {"csrf_token": tokens[ann]}) as own:
        assert own.status_code == 303


@pytest.mark.parametrize("payload", XSS_CORPUS + [LONG_TEXT[:100]])
def test_a_kept_page_is_escaped_exactly_as_jinja_renders_it(
    app, client, store, payload
):
    from wom.web.forms import SignupForm
    from wom.web.sharing import first_name

    code = customer(store, "mal", payload, "mal@example.org")
    set_setting(store, "business_name", payload[:80])
    set_setting(store, "offer_text", payload)
    get(client, f"/r/{code}")
    _, kept = get(client, f"/r/{code}")
    inviter = first_name(payload)
    with app.test_request_context(f"/r/{code}"):
        from flask import render_template

        fresh = render_template(
            "landing/invite.html",
            settings={"business_name": payload[:80], "offer_text": payload},
            form=SignupForm(formdata=None, meta={"csrf": False}, ref=code),
            csrf="",
            inviter=inviter,
            initial=inviter[:1].upper() if inviter else None,
            business_url=None,
        )
    assert without_token(kept) == fresh


def test_every_link_gets_its_own_code_and_inviter(client, store, alice):
    bob = customer(store, "bob", "Bob Stone", "bob@example.org")
    for code, name in [(alice, "Alice"), (bob, "Bob"), (alice, "Alice")]:
        _, html = get(client, f"/r/{code}")
        assert f'name="ref" type="hidden" value="{code}"' in html
        assert f"{name}</span> invited you" in html


def test_a_link_without_a_name_still_invites(client, store):
    code = customer(store, "anon", None, "anon@example.org")
    _, html = get(client, f"/r/{code}")
    assert "You're invited to My business" in html
    assert f'name="ref" type="hidden" value="{code}"' in html


def test_a_click_is_recorded_with_an_ip_hash_only(client, store, alice):
    get(client, f"/r/{alice}", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert link_counts(store, alice) == (1, 0, 0)
    row = (
        store.reader()
        .execute(
            "SELECT source, ua_class, ip_hmac, visitor FROM events WHERE type = 'click'"
        )
        .fetchone()
    )
    source, ua_class, ip_hmac, visitor = row
    assert (source, ua_class) == ("web", "human")
    assert ip_hmac and "203.0.113.9" not in ip_hmac and len(ip_hmac) == 32
    assert visitor.startswith("a-"), "no consent: a daily hash, not a cookie"


@pytest.mark.parametrize(
    "agent",
    [
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "WhatsApp/2.23.20.0",
        "Twitterbot/1.0",
        "curl/8.5.0",
        "",
    ],
)
def test_bots_and_link_previews_are_counted_apart(client, store, alice, agent):
    response, _ = get(client, f"/r/{alice}", headers={"User-Agent": agent})
    assert response.status_code == 200
    assert link_counts(store, alice) == (0, 1, 0)


@pytest.mark.parametrize(
    "agent",
    [
        # Once counted as people by a hand-written pattern.
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/120.0.6099.28 Safari/537.36",
        "Mozilla/5.0 (compatible; heritrix/3.4.0 +https://example.org/crawl)",
        "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
        "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
    ],
)
def test_crawlers_a_pattern_once_missed_are_counted_apart(client, store, alice, agent):
    get(client, f"/r/{alice}", headers={"User-Agent": agent})
    assert link_counts(store, alice) == (0, 1, 0)


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/21E236 [FBAN/FBIOS;FBAV/459.0.0.51.97;FBBV/0]",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UD1A.230803.041; wv) "
        "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 "
        "Mobile Safari/537.36 Instagram 312.1.0.34.111 Android",
    ],
)
def test_in_app_browsers_are_people(client, store, alice, agent):
    get(client, f"/r/{alice}", headers={"User-Agent": agent})
    assert link_counts(store, alice) == (1, 0, 0)


@pytest.fixture
def owner_pattern():
    """Clear the owner's bot pattern after the test (it is the process's)."""
    yield
    use_owner_bot_pattern("")


def test_the_owners_own_bots_are_counted_apart(client, store, alice, owner_pattern):
    watch = {"User-Agent": f"{BROWSER} wom-watch/2.0"}
    get(client, f"/r/{alice}", headers=watch)
    assert link_counts(store, alice) == (1, 0, 0)
    # Set while the server runs: the next click already follows it.
    change_setting(store, "bot_user_agents", "wom-watch/")
    get(client, f"/r/{alice}", headers=watch, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert link_counts(store, alice) == (1, 1, 0)


def test_the_owners_pattern_holds_from_start_up(db_path, owner_pattern):
    stored = Store(db_path)
    stored.migrate()
    with stored.write() as db:
        write_setting(db, "bot_user_agents", "wom-watch/")
    stored.close()
    app = create_app(app_config(db_path))
    store = app.extensions["wom.store"]
    try:
        code = customer(store, "alice", "Alice Martin", "alice@gmail.com")
        get(app.test_client(), f"/r/{code}", headers={"User-Agent": "wom-watch/2"})
        assert link_counts(store, code) == (0, 1, 0)
    finally:
        store.close()


def test_the_same_visitor_within_30_minutes_counts_once(client, store, alice):
    for _ in range(3):
        get(client, f"/r/{alice}")
    assert link_counts(store, alice)[0] == 1
    # Every click is kept: the counted one in the log, all three in their run.
    assert count(store, "events", "type = 'click'") == 1
    assert count(store, "click_runs", "clicks = 3") == 1


def test_different_visitors_count_separately(client, store, alice):
    get(client, f"/r/{alice}", headers={"User-Agent": BROWSER})
    get(client, f"/r/{alice}", headers={"User-Agent": OTHER_BROWSER})
    get(client, f"/r/{alice}", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert link_counts(store, alice)[0] == 3


@pytest.mark.parametrize("code", ["nosuchcd", "x" * 65, "%3Cscript%3E"])
def test_an_unknown_code_gets_a_friendly_404(client, store, alice, code):
    events = count(store, "events")
    response, html = get(client, f"/r/{code}")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "This invitation link doesn't work" in html
    # No destination set: no "visit" link, and never to wom's own home page,
    # which is the owner's, with their figures.
    assert 'href="/"' not in html
    assert "Traceback" not in html
    assert count(store, "events") == events


@pytest.mark.parametrize("page", ["/r/nosuchcd", "/join/known", "/s/nosuchsecret"])
def test_pages_link_to_the_owners_destination_and_never_to_wom(client, store, page):
    _, html = get(client, page)
    assert 'href="/"' not in html and "Visit My business" not in html
    set_setting(store, "destination_url", "https://shop.example/")
    _, html = get(client, page)
    assert 'href="https://shop.example/"' in html


def test_a_disabled_link_gets_the_404(client, store, alice):
    with store.write() as db:
        db.execute("UPDATE links SET disabled = 1 WHERE code = ?", [alice])
    response, _ = get(client, f"/r/{alice}")
    assert response.status_code == 404
    assert link_counts(store, alice) == (0, 0, 0)


def test_a_link_switched_off_after_a_visit_gets_the_404_at_once(client, store, alice):
    assert get(client, f"/r/{alice}")[0].status_code == 200
    with store.write() as db:
        db.execute("UPDATE links SET disabled = 1 WHERE code = ?", [alice])
    assert get(client, f"/r/{alice}")[0].status_code == 404
    assert link_counts(store, alice) == (1, 0, 0)


@pytest.mark.parametrize(
    ("setting", "value", "shown"),
    [
        ("business_name", "Bean & Leaf", "invited you to Bean &amp; Leaf"),
        (
            "destination_url",
            "https://shop.example/",
            '<a class="lp-brand" href="https://shop.example/">',
        ),
    ],
)
def test_a_kept_page_follows_a_changed_setting_at_once(
    client, store, alice, setting, value, shown
):
    get(client, f"/r/{alice}")
    set_setting(store, setting, value)
    _, html = get(client, f"/r/{alice}")
    assert shown in html


def test_a_renamed_referrer_shows_at_once(client, store, alice):
    get(client, f"/r/{alice}")
    customer(store, "alice", "Alicia Martin", "alice@gmail.com")
    _, html = get(client, f"/r/{alice}")
    assert '<span class="lp-name">Alicia</span> invited you' in html


def test_the_referrer_opening_their_own_link_sees_their_share_page(client, store):
    response = sign_up(client, consent=True, name="Dee", email="dee@example.org")
    share_page = response.headers["Location"]
    dee = store.reader().execute("SELECT code FROM links").fetchone()[0]
    with client.get(f"/r/{dee}", headers={"User-Agent": BROWSER}) as own:
        assert own.status_code == 303
        assert own.headers["Location"] == share_page
    assert count(store, "events", "type = 'click'") == 0, "not word of mouth"


def test_another_browser_opening_that_link_sees_the_offer(app, client, store):
    sign_up(client, consent=True, name="Dee", email="dee@example.org")
    dee = store.reader().execute("SELECT code FROM links").fetchone()[0]
    response, html = get(app.test_client(), f"/r/{dee}")
    assert response.status_code == 200
    assert "Dee</span> invited you" in html


def test_ref_on_any_page_counts_as_a_click_and_keeps_the_code(client, store, alice):
    response, _ = get(client, f"/?ref={alice}")
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert link_counts(store, alice)[0] == 1
    _, html = get(client, "/join")
    assert "Alice</span> invited you" in html
    response = sign_up(client, "/join", email="eve@example.org")
    assert response.status_code == 303
    assert credit_of(store, person_with_email(store, "eve@example.org")) == (
        "alice",
        "credited",
    )


def test_ref_from_the_owners_own_browser_is_no_click(client, store):
    sign_up(client, consent=True, name="Dee", email="dee@example.org")
    dee = newest_code(store)
    get(client, f"/?ref={dee}")
    assert count(store, "events", "type = 'click'") == 0


def test_an_unknown_ref_is_ignored(client, store):
    response, _ = get(client, "/?ref=nosuchcd")
    assert response.status_code == 200
    assert count(store, "events") == 0


@pytest.mark.parametrize("path", ["/r/{code}", "/join?ref={code}", "/?ref={code}"])
def test_pages_with_a_code_in_the_address_send_no_referrer(client, alice, path):
    response, _ = get(client, path.format(code=alice))
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("page", "offer", "question"),
    [
        ("/join", False, "Who told you about us?"),
        ("/r/{code}", True, "Who else told you about us?"),
    ],
)
def test_only_an_invitation_promises_the_offer(client, alice, page, offer, question):
    _, html = get(client, page.format(code=alice))
    assert ("Your offer" in html) is offer
    assert question in html


def test_healthz_answers_ok_and_reads_nothing(client):
    with client.get("/healthz") as response:
        assert response.status_code == 200
        assert response.get_data(as_text=True) == "ok"
        assert "Set-Cookie" not in response.headers


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


def newest_code(store):
    return (
        store.reader().execute("SELECT code FROM links ORDER BY id DESC").fetchone()[0]
    )


def text_of(html):
    return " ".join(html.split())


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


# -- "who else told you about us?" ------------------------------------------------


@pytest.fixture
def named(store, alice):
    customer(store, "kim", "Kim Lee", "kim@example.org")
    customer(store, "jo1", "Jo Park", "jo.park@example.org")
    customer(store, "jo2", "Jo Park", "jo2@example.org")
    customer(store, "zoe", "Zoë Dupont", "zoe@example.org")


def heard_from_edges(store, listener_email):
    return [
        row[0]
        for row in store.reader().execute(
            "SELECT t.external_id FROM events e JOIN people t ON t.id = e.talker_id "
            "JOIN identities i ON i.person_id = e.listener_id "
            "WHERE e.type = 'heard_from' AND i.email = ?",
            [listener_email],
        )
    ]


def answer_row(store):
    return (
        store.reader()
        .execute(
            "SELECT a.text, r.external_id FROM answers a "
            "LEFT JOIN people r ON r.id = a.resolved_id"
        )
        .fetchone()
    )


@pytest.mark.parametrize(
    "answer, talker",
    [
        ("kim@example.org", "kim"),
        ("KIM@Example.org", "kim"),
        ("Kim Lee", "kim"),
        ("  kim   LEE ", "kim"),
        ("zoë dupont", "zoe"),
        ("ZOË DUPONT", "zoe"),
    ],
)
def test_an_answer_naming_a_customer_becomes_heard_from(
    client, store, named, alice, answer, talker
):
    sign_up(client, f"/r/{alice}", email="new@example.org", heard_from=answer)
    assert heard_from_edges(store, "new@example.org") == [talker]
    assert answer_row(store) == (answer.strip(), talker)
    new = person_with_email(store, "new@example.org")
    assert credit_of(store, new) == ("alice", "credited"), "the link came first"


@pytest.mark.parametrize(
    "answer",
    ["Jo Park", "Kim", "someone at the market", "nobody@example.org", "<b>Kim</b>"],
)
def test_an_answer_matching_nobody_or_several_is_kept_unresolved(
    client, store, named, answer
):
    sign_up(client, email="new@example.org", heard_from=answer)
    assert heard_from_edges(store, "new@example.org") == []
    assert answer_row(store) == (answer, None)


def test_a_heard_from_answer_alone_earns_the_credit(client, store, named):
    sign_up(client, email="new@example.org", heard_from="kim@example.org")
    new = person_with_email(store, "new@example.org")
    assert credit_of(store, new) == ("kim", "credited")


def test_an_answer_naming_oneself_is_not_an_edge(client, store, named):
    sign_up(client, name="Kim Lee", email="kim@example.org", heard_from="Kim Lee")
    assert count(store, "events", "type = 'heard_from'") == 0


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
