"""The Graph page in Chromium: cytoscape.js draws the people (counted from its own
state, window.womGraph), a click opens a person's figures, a filter changes what
is drawn, and names from strangers stay text, labels included."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.payloads import XSS_CORPUS
from wom.store import ingest

pytestmark = pytest.mark.browser


def drawn(page, path: str = "/dashboard/graph") -> int:
    """Open the graph page and wait for cytoscape to hold the laid-out nodes."""
    page.goto(path)
    page.wait_for_selector("#graph[data-state=drawn]")
    return page.evaluate("window.womGraph.nodes().length")


def click_node(page, node_id: str) -> None:
    """Click a drawn node where cytoscape put it on the screen (zoomed in and
    centred first, so that no neighbour covers it)."""
    box = page.locator("#graph").bounding_box()
    at = page.evaluate(
        "id => { const cy = window.womGraph, node = cy.getElementById('n:' + id);"
        " cy.zoom(4); cy.center(node); return node.renderedPosition(); }",
        node_id,
    )
    page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])


def test_the_graph_draws_its_people_and_a_click_opens_their_figures(
    owner_page, screenshots
):
    page = owner_page
    assert drawn(page) == 5
    assert page.get_attribute("#graph", "data-nodes") == "5"
    assert page.evaluate("window.womGraph.edges().length") == 3
    click_node(page, "leo")
    panel = page.locator("#person-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#panel-name")).to_have_text("Leo Chen")
    expect(panel).to_contain_text("Reach")
    expect(page.locator("#panel-link")).to_have_attribute(
        "href", "/dashboard/customers/leo"
    )
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-graph.png", full_page=True)
    assert page.dialogs == [] and page.csp_violations == []


def test_a_filter_changes_what_is_drawn(owner_page):
    page = owner_page
    assert drawn(page) == 5
    page.get_by_label("Minimum reach").fill("1")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**min_reach=1**")
    page.wait_for_selector("#graph[data-state=drawn]")
    assert page.evaluate("window.womGraph.nodes().length") == 2  # Maya and Leo
    expect(page.locator("#graph-note")).to_contain_text("Showing 2 of 5 people")


def test_the_search_finds_a_drawn_person_by_name(owner_page):
    page = owner_page
    drawn(page)
    page.get_by_label("Find a person", exact=True).fill("ana s")
    page.get_by_label("Find a person", exact=True).press("Enter")
    expect(page.locator("#panel-name")).to_have_text("Ana Souza")
    assert page.url.endswith("/dashboard/graph")  # found without asking the server
    chosen = page.evaluate("window.womGraph.$('node.chosen').map(n => n.id())")
    assert chosen == ["n:ana"]


def test_names_from_strangers_stay_text_in_labels_and_panel(
    owner_page, live_server, screenshots
):
    page = owner_page
    events = []
    for n, name in enumerate(XSS_CORPUS):
        at = f"2026-01-2{n}T00:00:00Z"
        events.append({"type": "referral", "from": "maya", "to": f"x{n}", "at": at})
        events.append({"type": "signup", "customer": f"x{n}", "name": name, "at": at})
    ingest(live_server.store, events, source="test")
    assert drawn(page) == 5 + len(XSS_CORPUS)
    labels = page.evaluate("window.womGraph.nodes().map(n => n.data('label'))")
    stored = set(
        live_server.store.reader()
        .execute("SELECT name FROM identities WHERE name IS NOT NULL")
        .fetchall()
    )
    assert {(label,) for label in labels} == stored
    click_node(page, "x0")
    expect(page.locator("#panel-name")).to_have_text(XSS_CORPUS[0])
    assert page.locator("#person-panel img").count() == 0
    assert page.locator("#person-panel script").count() == 0
    page.screenshot(path=screenshots / "dashboard-graph-xss.png", full_page=True)
    assert page.dialogs == []
    assert page.csp_violations == []
