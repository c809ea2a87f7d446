"""The Review page in Chromium: decide flags, see the small graphs, names inert."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.payloads import XSS_CORPUS
from tests.test_store_reviews import credit
from wom.store import ingest
from wom.store.settings import write_setting

pytestmark = pytest.mark.browser

# A ring of three whose names are attacks: a -> b -> c -> a.
RING = [("x0", XSS_CORPUS[0]), ("x1", XSS_CORPUS[1]), ("x2", XSS_CORPUS[2])]


@pytest.fixture
def flagged(live_server):
    """Beside the demo: a ring, a held credit and a burst, as the server sees
    them after a background run."""
    start = datetime.now(UTC) - timedelta(days=20)
    store = live_server.store
    with store.write() as db:
        write_setting(db, "burst_threshold", 2)
    (a, name_a), (b, name_b), (c, name_c) = RING
    ingest(
        store,
        [
            {"type": "signup", "customer": a, "name": name_a, "at": start},
            {"type": "referral", "from": a, "to": b, "at": start + timedelta(days=1)},
            {
                "type": "signup",
                "customer": b,
                "name": name_b,
                "at": start + timedelta(days=1),
            },
            {"type": "referral", "from": b, "to": c, "at": start + timedelta(days=2)},
            {
                "type": "signup",
                "customer": c,
                "name": name_c,
                "at": start + timedelta(days=2),
            },
            {"type": "referral", "from": c, "to": a, "at": start + timedelta(days=3)},
            {
                "type": "signup",
                "customer": "kay",
                "name": "Kay Lund",
                "visitor": "v-home",
                "at": start,
            },
            {
                "type": "mention",
                "from": "kay",
                "to": "lou",
                "at": start + timedelta(days=4),
            },
            {
                "type": "signup",
                "customer": "lou",
                "name": "Lou Lund",
                "visitor": "v-home",
                "at": start + timedelta(days=5),
            },
            *(
                {
                    "type": "referral",
                    "from": "maya",
                    "to": f"fan{i}",
                    "at": start + timedelta(days=6, seconds=i),
                }
                for i in range(3)
            ),
        ],
        source="test",
    )
    live_server.app.extensions["wom.analytics"].refresh_background()
    return live_server


def card(page, title: str):
    """The flag's article, by its heading."""
    return page.locator("article.flag").filter(
        has=page.get_by_role("heading", name=re.compile(title))
    )


def test_voiding_a_held_credit_applies_to_it(owner_page, flagged, screenshots):
    page = owner_page
    page.goto("/dashboard/review")
    held = card(page, "Held credit")
    expect(held).to_contain_text("Lou Lund")
    assert credit(flagged.store, "lou") == ("kay", "held")
    held.get_by_role("button", name="Void").click()
    expect(page.locator("#decided")).to_contain_text("voided: 1 credit voided")
    expect(card(page, "Held credit")).to_have_count(0)  # no longer open
    assert credit(flagged.store, "lou") is None
    page.goto("/dashboard/review?status=voided")
    expect(card(page, "Held credit")).to_contain_text("voided")


def test_approving_a_burst_keeps_its_credits(owner_page, flagged):
    page = owner_page
    page.goto("/dashboard/review?kind=burst")
    burst = card(page, "Burst")
    expect(burst.locator("ul.credits li")).to_have_count(3)
    burst.get_by_role("button", name="Approve").click()
    expect(page.locator("#decided")).to_contain_text("approved: 3 credits kept")
    assert [credit(flagged.store, f"fan{i}") for i in range(3)] == [
        ("maya", "credited")
    ] * 3
    page.goto("/dashboard/review?kind=burst&status=approved")
    expect(card(page, "Burst")).to_have_count(1)


def test_each_flag_draws_the_graph_of_its_people(owner_page, flagged):
    page = owner_page
    page.goto("/dashboard/review?kind=ring")
    page.wait_for_function("window.womReviewGraphs && window.womReviewGraphs.length")
    nodes = page.evaluate(
        "window.womReviewGraphs.map(cy => cy.nodes().map(n => n.data('label')).sort())"
    )
    assert nodes == [sorted(name for _, name in RING)]
    edges = page.evaluate("window.womReviewGraphs[0].edges().length")
    assert edges == 3  # the ring's three referrals, two of them credits


def test_the_review_page_is_accessible_and_names_stay_inert(
    owner_page, flagged, screenshots
):
    page = owner_page
    page.goto("/dashboard/review")
    page.wait_for_function("window.womReviewGraphs && window.womReviewGraphs.length")
    for _, name in RING:
        expect(card(page, "Ring")).to_contain_text(name)
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-review.png", full_page=True)
    assert page.dialogs == [] and page.csp_violations == []
    assert page.evaluate("document.querySelectorAll('article img').length") == 0


def test_an_empty_list_says_what_raises_a_flag(owner_page):
    owner_page.goto("/dashboard/review")
    expect(owner_page.locator("#no-flags")).to_contain_text("Nothing awaits review")
    assert_accessible(owner_page)
