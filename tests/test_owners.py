"""The owner's way in: first-run setup, login, server-side sessions, logout, a
password change, timeouts, CSRF and the login rate limit."""

from __future__ import annotations

import re

import pytest

from tests.conftest import OWNER_EMAIL as EMAIL
from tests.conftest import OWNER_PASSWORD as PASSWORD
from wom import actions
from wom.store import now_micros
from wom.store.settings import write_setting


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1]


def browser(app, ip="127.0.0.1"):
    """A separate browser (its own cookies) at address ``ip``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def get(client, url, **kwargs):
    with client.get(url, **kwargs) as response:
        return response.status_code, response.headers, response.get_data(as_text=True)


def post_form(client, url, fields, *, page=None):
    """Open ``page`` (or ``url``) for its CSRF token, then post ``fields``."""
    _, _, html = get(client, page or url)
    with client.post(url, data={"csrf_token": csrf(html), **fields}) as response:
        return response.status_code, response.headers, response.get_data(as_text=True)


def session_ids(app) -> list[tuple]:
    db = app.extensions["wom.store"].reader()
    return db.execute(
        "SELECT id_sha256, ended_at FROM owner_sessions ORDER BY created_at, rowid"
    ).fetchall()


def log_in(client, email=EMAIL, password=PASSWORD, next_page=""):
    url = "/login" + (f"?next={next_page}" if next_page else "")
    return post_form(client, url, {"email": email, "password": password})


# -- first-run setup ------------------------------------------------------------------


def test_without_an_owner_login_leads_to_setup(client):
    status, headers, _ = get(client, "/login")
    assert (status, headers["Location"]) == (303, "/setup")


def test_setup_from_this_machine_makes_the_owner_and_logs_in(app, client):
    status, headers, _ = post_form(
        client,
        "/setup",
        {"email": "Me@Example.org", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert (status, headers["Location"]) == (303, "/dashboard")
    assert get(client, "/dashboard")[0] == 200
    assert get(browser(app), "/dashboard")[0] == 303, "another browser is not in"


@pytest.mark.parametrize(
    "environ",
    [
        {"REMOTE_ADDR": "203.0.113.9"},
        # A proxy wom was not told to trust makes a stranger look local.
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},
    ],
    ids=["remote", "through-an-untrusted-proxy"],
)
def test_setup_from_afar_without_a_code_is_refused(app, environ):
    client = app.test_client()
    client.environ_base.update(environ)
    status, _, html = get(client, "/setup")
    assert status == 403
    assert "setup-code" in html


def test_setup_from_afar_works_once_with_a_code(app):
    store = app.extensions["wom.store"]
    code = actions.make_setup_code(store, now=now_micros())
    stranger = browser(app, "203.0.113.9")
    status, _, _ = post_form(
        stranger,
        f"/setup?code={code}",
        {"email": EMAIL, "password": PASSWORD, "confirm": PASSWORD, "code": code},
    )
    assert status == 303
    assert get(stranger, "/dashboard")[0] == 200


def test_a_wrong_setup_code_makes_nobody(app):
    store = app.extensions["wom.store"]
    actions.make_setup_code(store, now=now_micros())
    status, _, html = post_form(
        browser(app, "203.0.113.9"),
        "/setup?code=guess",
        {"email": EMAIL, "password": PASSWORD, "confirm": PASSWORD, "code": "guess"},
    )
    assert status == 422
    assert "setup code is wrong" in html
    assert store.reader().execute("SELECT count(*) FROM owners").fetchone()[0] == 0


def test_setup_is_closed_once_an_owner_exists(owner, client):
    status, headers, _ = get(client, "/setup")
    assert (status, headers["Location"]) == (303, "/login")


# -- login, sessions, logout ----------------------------------------------------------


def test_pages_redirect_to_login_and_twins_answer_401(client, owner):
    status, headers, _ = get(client, "/dashboard/account?x=1")
    assert status == 303
    assert headers["Location"] == "/login?next=/dashboard/account?x%3D1"
    with client.get("/dashboard.json") as reply:
        assert reply.status_code == 401
        assert reply.content_type == "application/problem+json"


def test_a_wrong_password_is_refused_and_says_so(client, owner):
    status, _, html = log_in(client, password="not my password")
    assert status == 401
    assert "don't match" in html
    assert get(client, "/dashboard")[0] == 303


def test_login_goes_to_the_page_asked_for(client, owner):
    status, headers, _ = log_in(client, next_page="/dashboard/account")
    assert (status, headers["Location"]) == (303, "/dashboard/account")


@pytest.mark.parametrize(
    "next_page",
    ["https://evil.example/", "//evil.example/dashboard", "/\\evil.example", "/api"],
)
def test_login_never_sends_the_owner_elsewhere(client, owner, next_page):
    _, headers, _ = log_in(client, next_page=next_page)
    assert headers["Location"] == "/dashboard"


def test_every_login_gets_a_new_server_side_session(app, owner):
    first, second = browser(app), browser(app)
    log_in(first)
    log_in(second)
    ids = session_ids(app)
    assert len(ids) == 2 and ids[0][0] != ids[1][0]
    assert get(first, "/dashboard")[0] == get(second, "/dashboard")[0] == 200


def test_logging_in_again_replaces_what_the_cookie_held(app, client, owner):
    log_in(client)
    with client.session_transaction() as cookie:
        cookie["planted"] = "by someone else"
        before = cookie["owner_session"]
    post_form(client, "/logout", {}, page="/dashboard/account")
    log_in(client)
    with client.session_transaction() as cookie:
        assert "planted" not in cookie
        assert cookie["owner_session"] != before


def test_logout_ends_the_session_on_the_server(app, client, owner):
    log_in(client)
    with client.session_transaction() as cookie:
        kept = dict(cookie)
    status, headers, _ = post_form(client, "/logout", {}, page="/dashboard/account")
    assert (status, headers["Location"]) == (303, "/login")
    replay = browser(app)
    with replay.session_transaction() as cookie:
        cookie.update(kept)  # the old cookie, sent again
    assert get(replay, "/dashboard")[0] == 303
    assert session_ids(app)[0][1] is not None


def test_a_password_change_ends_every_other_session(app, owner):
    mine, other = browser(app), browser(app)
    log_in(mine)
    log_in(other)
    status, _, _ = post_form(
        mine,
        "/dashboard/account",
        {
            "current_password": PASSWORD,
            "password": "a new long pass",
            "confirm": "a new long pass",
        },
    )
    assert status == 303
    assert get(mine, "/dashboard")[0] == 200
    assert get(other, "/dashboard")[0] == 303
    assert log_in(browser(app), password="a new long pass")[0] == 303


def test_a_password_change_needs_the_current_password(app, client, owner):
    log_in(client)
    status, _, html = post_form(
        client,
        "/dashboard/account",
        {"current_password": "guess guess", "password": "x" * 12, "confirm": "x" * 12},
    )
    assert status == 422
    assert "not your password" in html


@pytest.mark.parametrize(
    ("column", "hours"), [("seen_at", 2), ("created_at", 13)], ids=["idle", "absolute"]
)
def test_sessions_time_out(app, client, owner, column, hours):
    log_in(client)
    store = app.extensions["wom.store"]
    with store.write() as db:
        db.execute(
            f"UPDATE owner_sessions SET {column} = {column} - ?",
            [hours * 3600 * 1_000_000],
        )
    assert get(client, "/dashboard")[0] == 303


# -- CSRF, rate limit, caching -------------------------------------------------------


def test_a_login_without_its_csrf_token_is_refused(client, owner):
    with client.post("/login", data={"email": EMAIL, "password": PASSWORD}) as reply:
        assert reply.status_code == 400
    assert get(client, "/dashboard")[0] == 303


def test_logout_without_its_csrf_token_is_refused(client, owner):
    log_in(client)
    with client.post("/logout") as reply:
        assert reply.status_code == 400
    assert get(client, "/dashboard")[0] == 200


def test_login_attempts_are_limited(app, client, owner):
    with app.extensions["wom.store"].write() as db:
        write_setting(db, "login_rate_limit", "3 per minute")
    statuses = [log_in(client, password="wrong wrong")[0] for _ in range(3)]
    status, headers, _ = log_in(client)
    assert statuses == [401, 401, 401]
    assert status == 429 and int(headers["Retry-After"]) > 0


def test_owner_pages_are_never_cached(client, owner):
    for url in ("/login", "/dashboard"):
        assert get(client, url)[1]["Cache-Control"] == "no-store"
