"""The owner's way in, in a real browser: login, a page, logout, and accessibility."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_the_owner_logs_in_sees_the_overview_and_logs_out(owner_page, screenshots):
    page = owner_page
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.locator("#top-starters")).to_contain_text("Maya Okafor")
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-overview.png", full_page=True)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    page.goto("/dashboard")
    page.wait_for_url("**/login?next=/dashboard")


def test_the_login_page_is_accessible_and_says_when_it_fails(
    page, live_server, owner_password_hash
):
    from tests.conftest import OWNER_EMAIL
    from wom.store import accounts, now_micros

    with live_server.store.write() as db:
        accounts.create_owner(db, OWNER_EMAIL, owner_password_hash, now_micros())
    page.goto("/login")
    assert_accessible(page)
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-failed")).to_be_visible()
    assert_accessible(page)
