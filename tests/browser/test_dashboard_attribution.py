"""The Attribution page in Chromium: both rules side by side, and the switch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.payloads import XSS_CORPUS
from wom.store import ingest

pytestmark = pytest.mark.browser


def referrer_of(store, customer: str) -> str | None:
    row = (
        store.reader()
        .execute(
            "SELECT r.external_id FROM credits c JOIN people p ON p.id = c.customer_id "
            "JOIN people r ON r.id = c.referrer_id WHERE p.external_id = ?",
            [customer],
        )
        .fetchone()
    )
    return row[0] if row else None


@pytest.fixture
def told_twice(live_server):
    """Beside the demo: Ivy, then an attacker-named customer, told Rae about the
    shop before she joined; first touch credits Ivy, last touch the other."""
    start = datetime.now(UTC) - timedelta(days=10)
    ingest(
        live_server.store,
        [
            {"type": "signup", "customer": "xss", "name": XSS_CORPUS[1], "at": start},
            {"type": "mention", "from": "ivy", "to": "rae", "at": start},
            {"type": "mention", "from": "xss", "to": "rae", "at": start + timedelta(1)},
            {
                "type": "signup",
                "customer": "rae",
                "name": XSS_CORPUS[0],
                "at": start + timedelta(days=2),
            },
        ],
        source="test",
    )
    live_server.app.extensions["wom.analytics"].refresh_background()
    return live_server


def test_it_shows_both_rules_on_the_same_data(owner_page, told_twice):
    page = owner_page
    page.goto("/dashboard/attribution")
    expect(page.locator("#different-referrer")).to_have_text("1")
    row = page.locator("#examples tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(XSS_CORPUS[0])  # Rae, by her (hostile) name
    expect(row.locator("td").nth(1)).to_contain_text("Ivy Patel")
    expect(row.locator("td").nth(2)).to_contain_text(XSS_CORPUS[1])
    expect(page.locator("#top-first tbody tr").first).to_contain_text("Maya Okafor")


def test_switching_the_rule_applies_it(owner_page, told_twice, screenshots):
    page = owner_page
    page.goto("/dashboard/attribution")
    expect(page.locator("#live-rule")).to_contain_text("first touch")
    assert referrer_of(told_twice.store, "rae") == "ivy"
    page.get_by_role("radio", name="Last touch").check()
    page.get_by_role("button", name="Switch").click()
    expect(page.locator("#switched")).to_contain_text("Switched")
    expect(page.locator("#live-rule")).to_contain_text("last touch")
    expect(page.locator("#switch-done")).to_contain_text("to last touch")
    assert referrer_of(told_twice.store, "rae") == "xss"
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-attribution.png", full_page=True)


def test_a_bad_window_is_refused_and_changes_nothing(owner_page, told_twice):
    page = owner_page
    page.goto("/dashboard/attribution")
    page.get_by_role("radio", name="Last touch").check()
    window = page.get_by_label("Window, in days")
    window.evaluate("input => input.removeAttribute('max')")
    window.fill("9999")
    page.get_by_role("button", name="Switch").click()
    expect(page.locator("#switch-error")).to_contain_text("3650")
    page.goto("/dashboard/attribution")
    expect(page.locator("#live-rule")).to_contain_text("first touch")


def test_the_page_is_accessible_and_names_stay_inert(owner_page, told_twice):
    page = owner_page
    page.goto("/dashboard/attribution")
    expect(page.locator("#examples")).to_be_visible()
    assert_accessible(page)
    assert page.dialogs == [] and page.csp_violations == []
    assert (
        page.evaluate("document.querySelectorAll('main img, main script').length") == 0
    )
