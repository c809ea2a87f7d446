"""The Spread pages in Chromium: the cascades, one cascade's tree drawn by
cytoscape.js, and its playback, where the people drawn grow and cytoscape renders
frames, both counted from its own state (window.womSpread)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.payloads import XSS_CORPUS
from wom.store import ingest

pytestmark = pytest.mark.browser


def visible(page) -> int:
    return page.evaluate("womSpread.cy.nodes(':visible').length")


def until(page, script: str, seconds: float = 30) -> None:
    """Poll ``script`` in the page until it is true (wait_for_function would
    evaluate a string, which the page's CSP refuses)."""
    for _ in range(int(seconds * 20)):
        if page.evaluate(script):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"never true: {script}")


def test_the_cascades_list_opens_a_cascade(owner_page, screenshots):
    page = owner_page
    page.goto("/dashboard/spread")
    expect(page.get_by_role("heading", name="How word of mouth spread")).to_be_visible()
    expect(page.locator("#cascades")).to_contain_text("Maya Okafor")
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-spread.png", full_page=True)
    page.get_by_role("link", name="Maya Okafor").click()
    page.wait_for_selector("#tree[data-state=drawn]")
    assert page.evaluate("womSpread.cy.nodes().length") == 4
    expect(page.locator("#reading")).to_contain_text("Broadcast")


def test_the_playback_draws_people_as_they_came_and_counts_frames(
    owner_page, screenshots
):
    page = owner_page
    page.goto("/dashboard/spread/maya")
    page.wait_for_selector("#tree[data-state=drawn]")
    assert visible(page) == 4  # the whole cascade, before playing
    # Drag the time to its start (fill() does not always fire a range's input).
    page.evaluate(
        "(() => { const s = document.getElementById('scrub'); s.value = '0';"
        " s.dispatchEvent(new Event('input')); })()"
    )
    # Maya alone at the start (cytoscape may restyle at its next frame).
    until(page, "womSpread.cy.nodes(':visible').length === 1")
    expect(page.locator("#playback-count")).to_contain_text("1 people, 0 conversations")
    page.select_option("#speed", "8")
    page.get_by_role("button", name="Play").click()
    until(page, "womSpread.cy.nodes(':visible').length >= 2")
    grown = visible(page)
    until(page, "!womSpread.playing()", seconds=60)
    assert grown >= 2
    # Everyone at the end. cytoscape restyles a changed element lazily, and its
    # cached ':visible' is stale until the next frame draws the last step.
    until(page, "womSpread.cy.nodes(':visible').length === 4")
    assert page.evaluate("womSpread.frames") > 10
    assert page.evaluate("womSpread.renders") > 0
    expect(page.locator("#playback-count")).to_contain_text(
        "4 people, 3 conversations by"
    )
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-cascade.png", full_page=True)
    assert page.dialogs == [] and page.csp_violations == []


def test_names_from_strangers_stay_text_in_the_tree(owner_page, live_server):
    page = owner_page
    events = []
    for n, name in enumerate(XSS_CORPUS):
        at = f"2026-01-2{n}T00:00:00Z"
        events.append({"type": "referral", "from": "maya", "to": f"x{n}", "at": at})
        events.append({"type": "signup", "customer": f"x{n}", "name": name, "at": at})
    ingest(live_server.store, events, source="test")
    page.goto("/dashboard/spread")
    expect(page.locator("#cascades")).to_contain_text("Maya Okafor")
    page.goto("/dashboard/spread/maya")
    page.wait_for_selector("#tree[data-state=drawn]")
    labels = page.evaluate("womSpread.cy.nodes().map(n => n.data('label'))")
    assert set(labels) >= {"Maya Okafor", XSS_CORPUS[0], XSS_CORPUS[1]}
    page.get_by_role("button", name="Play").click()
    until(page, "womSpread.frames > 5")
    assert page.dialogs == []
    assert page.csp_violations == []
