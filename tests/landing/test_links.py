"""Referral links and their landing page: who invited, the offer, clicks counted once a
visitor, bots apart, kept pages that follow changes.

Each test names one rule of the journey or of docs/reliability.md.
"""

from __future__ import annotations

import re

import pytest
from flask import template_rendered

from tests.conftest import app_config
from tests.landing.helpers import (
    BROWSER,
    OTHER_BROWSER,
    browser,
    count,
    credit_of,
    csrf_token,
    customer,
    get,
    link_counts,
    newest_code,
    person_with_email,
    set_setting,
    sign_up,
)
from tests.payloads import LONG_TEXT, XSS_CORPUS
from wom import create_app
from wom.actions.settings import change_setting
from wom.privacy import use_owner_bot_pattern
from wom.store import Store
from wom.store.ingest import upsert_identities
from wom.store.settings import write_setting

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
