"""The Settings page in Chromium: change a setting and see it on a landing page,
a refused value named beside its field, make a token and revoke it (the API then
answers it 401); every state accessible."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_change_the_business_name_and_see_it_on_a_landing_page(
    owner_page, live_server, screenshots
):
    page = owner_page
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    expect(page.locator("#business_name-when")).to_contain_text("At once")
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-settings.png", full_page=True)
    business = page.locator("#business")
    business.get_by_label("Business name").fill("Lumière Café")
    business.get_by_role("button", name="Save your business").click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(page.get_by_label("Business name")).to_have_value("Lumière Café")
    page.goto(f"/r/{live_server.code_of('maya')}")
    expect(page.locator("body")).to_contain_text("Lumière Café")


def test_a_refused_value_is_named_beside_its_field(owner_page):
    page = owner_page
    page.goto("/dashboard/settings")
    attribution = page.locator("#attribution")
    attribution.get_by_label("Attribution window days").fill("0")
    attribution.get_by_role("button", name="Save attribution").click()
    field = page.get_by_label("Attribution window days")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#attribution_window_days-error")).to_contain_text(
        "give a number from 1 to 3650"
    )
    assert_accessible(page)


def test_make_a_token_then_revoke_it(owner_page, live_server, screenshots):
    page = owner_page
    page.goto("/dashboard/settings")
    tokens = page.locator("#tokens")
    tokens.get_by_label("Name (what uses it)").fill("shop")
    tokens.get_by_label("Scope").select_option("read")
    tokens.get_by_role("button", name="Make token").click()
    token = page.locator("#new-token-value").input_value()
    assert token.startswith("wom_")
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-settings-token.png", full_page=True)
    api = page.request.get(
        "/api/v1/customers", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status == 200
    row = page.locator("#tokens-table tbody tr", has_text="shop")
    row.get_by_role("button", name="Revoke shop").click()
    expect(page.get_by_role("status")).to_contain_text("revoked")
    expect(page.locator("#tokens-table")).to_contain_text("revoked")
    expect(page.locator("#new-token-value")).to_have_count(0)
    api = page.request.get(
        "/api/v1/customers", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status == 401


def test_a_token_named_like_markup_renders_inert(owner_page):
    page = owner_page
    page.goto("/dashboard/settings")
    name = '"><img src=x onerror=alert(1)>'
    page.locator("#tokens").get_by_label("Name (what uses it)").fill(name)
    page.get_by_role("button", name="Make token").click()
    expect(page.locator("#tokens-table")).to_contain_text(name)
    expect(page.locator("#new-token")).to_contain_text(name)
    assert page.locator("#tokens img").count() == 0
    assert page.dialogs == []
    assert page.csp_violations == []
