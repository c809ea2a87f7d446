"""The Customers pages in Chromium: search and open a customer, resolve a "who
told you" answer, erase someone, download an export and read it; every page
accessible, and names from strangers inert."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.payloads import XSS_CORPUS
from wom.store import ingest, now_micros
from wom.store.answers import record_answer
from wom.store.shares import person_id_of

pytestmark = pytest.mark.browser


def test_search_and_open_a_customer(owner_page, screenshots):
    page = owner_page
    page.get_by_role("link", name="Customers").click()
    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-customers.png", full_page=True)
    page.get_by_label("Search by the beginning of a name, an email or an id").fill(
        "leo"
    )
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#customers tbody tr")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name="Leo Chen").click()
    expect(page.get_by_role("heading", name="Leo Chen")).to_be_visible()
    expect(page.locator("#credited-referrer")).to_contain_text("Maya Okafor")
    expect(page.locator("#told-table")).to_contain_text("Tom Berg")
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-customer.png", full_page=True)


def test_sorting_by_reach_puts_the_starter_first(owner_page):
    page = owner_page
    page.goto("/dashboard/customers")
    page.locator("#customers thead").get_by_role("link", name="reach").click()
    expect(page.locator("#customers thead th[aria-sort]")).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(page.locator("#customers tbody tr").first).to_contain_text("Maya Okafor")


def test_resolve_an_answer_that_named_nobody(owner_page, live_server, screenshots):
    with live_server.store.write() as db:
        record_answer(db, person_id_of(db, "ivy"), "Maya", None, now_micros())
    page = owner_page
    page.goto("/dashboard/customers")
    answers = page.locator("#unresolved-answers")
    expect(answers).to_contain_text("Maya")
    answers.get_by_role("link", name="Resolve the answer of Ivy Patel").click()
    expect(page.get_by_role("heading", name="Ivy Patel")).to_be_visible()
    form = page.locator("form.resolve")
    expect(form.get_by_label("Who they meant")).to_contain_text("Maya Okafor")
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-customer-answer.png", full_page=True)
    form.get_by_label("Who they meant").select_option("maya")
    form.get_by_role("button", name="Resolve this answer").click()
    expect(page.get_by_role("status")).to_contain_text("Answer resolved")
    expect(page.locator("#heard-from-table")).to_contain_text("Maya Okafor")
    expect(page.locator("form.resolve")).to_have_count(0)


def test_erase_asks_then_erases(owner_page, screenshots):
    page = owner_page
    page.goto("/dashboard/customers/tom")
    page.get_by_role("link", name="Erase Tom Berg…").click()
    expect(page.get_by_role("heading", name="Erase Tom Berg?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Erase Tom Berg").click()
    expect(page.get_by_role("heading", name="Erased person")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Erased.")
    expect(page.locator("body")).not_to_contain_text("Tom Berg")
    assert_accessible(page)


def test_download_the_people_export_and_read_it(owner_page):
    page = owner_page
    page.goto("/dashboard/customers")
    with page.expect_download() as download:
        page.get_by_role("link", name="People with their figures (CSV)").click()
    path = download.value.path()
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(path.read_text()))}
    assert rows["maya"]["name"] == "Maya Okafor"
    assert rows["maya"]["reach"] == "3"
    assert download.value.suggested_filename.startswith("wom-people-")


def test_download_the_graph_for_gephi(owner_page):
    page = owner_page
    page.goto("/dashboard/customers")
    with page.expect_download() as download:
        page.get_by_role("link", name="The conversation graph (GEXF)").click()
    text = download.value.path().read_text()
    assert 'timeformat="dateTime"' in text
    assert 'label="Maya Okafor"' in text


@pytest.fixture
def strangers(live_server):
    """Customers named from the XSS corpus, told by Maya, with answers as odd."""
    events = []
    for n, name in enumerate(XSS_CORPUS):
        events.append({"type": "mention", "from": "maya", "to": f"x{n}"})
        events.append({"type": "signup", "customer": f"x{n}", "name": name})
    ingest(live_server.store, [e | {"at": "2026-01-01T00:00:00Z"} for e in events])
    with live_server.store.write() as db:
        for n, text in enumerate(XSS_CORPUS):
            record_answer(db, person_id_of(db, f"x{n}"), text, None, now_micros())
    return live_server


def test_names_from_strangers_render_inert(owner_page, strangers):
    page = owner_page
    for url in (
        "/dashboard/customers",
        "/dashboard/customers?q=%3C",
        "/dashboard/customers/maya",
        "/dashboard/customers/x0",
        "/dashboard/customers/x1",
    ):
        page.goto(url)
        page.wait_for_load_state("load")
    page.goto("/dashboard/customers")
    expect(page.locator("#customers")).to_contain_text("<script>alert(1)</script>")
    expect(page.locator("#unresolved-answers")).to_contain_text(
        '"><img src=x onerror=alert(1)>'
    )
    assert page.locator("#customers img").count() == 0
    assert page.dialogs == []
    assert page.csp_violations == []
