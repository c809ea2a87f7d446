"""The Rewards page in a real browser: mark one paid, tick every approved one
and pay them at once, set a rule; accessible, and inert to the XSS corpus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.payloads import XSS_CORPUS
from wom.actions import approve_due_rewards
from wom.contract import now_micros, to_micros
from wom.rewards import DAY_US
from wom.store import ingest, rebuild
from wom.store.reward_rules import check_rules, set_rules

pytestmark = pytest.mark.browser

RULE = {"side": "both", "trigger": "signup", "amount": "5", "hold_days": 14}


@pytest.fixture
def rewarded(live_server):
    """Rules since before the demo's referrals (set then, so the ledger is
    rebuilt), a customer per XSS payload referred by Maya, and every hold over."""
    store = live_server.store
    since = to_micros(datetime.now(UTC) - timedelta(days=60))
    start = datetime.now(UTC) - timedelta(days=20)
    ingest(
        store,
        [
            event
            for n, payload in enumerate(XSS_CORPUS)
            for event in (
                {"type": "referral", "from": "maya", "to": f"x{n}", "at": start},
                {"type": "signup", "customer": f"x{n}", "name": payload, "at": start},
            )
        ],
        source="demo",
    )
    with store.write() as db:
        set_rules(db, check_rules([RULE], "EUR"), effective_at=since, now=since, by="t")
        rebuild(db)
    approve_due_rewards(store, now=now_micros() + 15 * DAY_US)
    return store


def states(store) -> list[str]:
    return [row[0] for row in store.reader().execute("SELECT state FROM rewards")]


def test_mark_one_paid_then_the_ticked_ones(owner_page, rewarded, screenshots):
    page = owner_page
    page.goto("/dashboard/rewards")
    expect(page.get_by_role("heading", name="Rewards", exact=True)).to_be_visible()
    approved = states(rewarded).count("approved")
    expect(page.locator("#total-approved")).to_contain_text(f"€{approved * 5}.00")
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-rewards.png", full_page=True)

    page.get_by_role("button", name="Mark paid").first.click()
    expect(page.locator("#decided")).to_have_text("1 reward marked paid.")
    assert states(rewarded).count("paid") == 1

    page.locator("#tick-all").check()
    page.get_by_label("Note for these decisions").fill("gift cards, March")
    page.get_by_role("button", name="Mark ticked rewards paid").click()
    expect(page.locator("#decided")).to_contain_text("rewards marked paid.")
    assert states(rewarded).count("paid") == min(approved, 25)
    assert_accessible(page)


def test_the_xss_corpus_stays_text(owner_page, rewarded):
    page = owner_page
    page.goto("/dashboard/rewards")
    for payload in XSS_CORPUS[:3]:
        expect(page.get_by_text(payload, exact=True).first).to_be_attached()
    assert page.dialogs == [] and page.csp_violations == []


def test_a_rule_saved_from_the_form(owner_page, screenshots):
    page = owner_page
    page.goto("/dashboard/rewards")
    expect(page.locator("#no-rewards")).to_be_visible()
    friend = page.locator("fieldset[data-side=friend]")
    friend.get_by_label("Reward the friend").check()
    friend.get_by_label("Reward", exact=True).select_option("perk")
    expect(friend.get_by_label("Amount (EUR)")).to_be_hidden()
    friend.get_by_label("Perk").fill("a free bag")
    page.get_by_role("button", name="Save the rules from now on").click()
    expect(page.locator("#rules-in-force")).to_contain_text(
        "The friend gets a free bag when they sign up through a referral"
    )
    assert_accessible(page)
    assert page.dialogs == [] and page.csp_violations == []
