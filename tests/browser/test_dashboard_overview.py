"""The overview in Chromium: Chart.js draws the period's figures (read back from
Chart.js's own state), the date range moves them, axe finds nothing serious,
and hostile names stay text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.payloads import XSS_CORPUS

pytestmark = pytest.mark.browser

CHARTS = ("chart-new", "chart-k", "chart-reach", "chart-channels")

# What a chart holds, from Chart.js's own state (None: no chart on the canvas).
CHART_STATE = """id => {
  const chart = Chart.getChart(document.getElementById(id));
  return chart && {
    type: chart.config.type,
    labels: chart.data.labels,
    datasets: chart.data.datasets.map(d => ({label: d.label, data: d.data})),
    drawn: chart.getDatasetMeta(0).data.length,
  };
}"""


def chart(page, canvas: str) -> dict | None:
    return page.evaluate(CHART_STATE, canvas)


def new_customers(page) -> str:
    return page.locator("#fig-new_customers .value").inner_text()


def stacked_total(state: dict) -> int:
    return sum(sum(dataset["data"]) for dataset in state["datasets"])


def test_the_overview_draws_the_periods_charts(owner_page, screenshots):
    page = owner_page
    page.goto("/dashboard?range=quarter")
    for canvas in CHARTS:
        state = chart(page, canvas)
        assert state is not None, f"no chart on #{canvas}"
        assert state["drawn"] > 0 and state["labels"], canvas
    # Every demo customer joined within the quarter: the stacked weeks hold them.
    assert new_customers(page) == "5"
    weekly = chart(page, "chart-new")
    assert [d["label"] for d in weekly["datasets"]] == [
        "On their own",
        "Referred",
        "After a mention",
    ]
    assert stacked_total(weekly) == 5
    reach = {d["label"]: d["data"] for d in chart(page, "chart-reach")["datasets"]}
    assert max(reach["Maya Okafor"]) == 3
    channels = chart(page, "chart-channels")
    data = channels["datasets"][0]["data"]
    assert dict(zip(channels["labels"], data, strict=True)) == {"Referral": 3}
    expect(page.locator("#top-starters")).to_contain_text("Maya Okafor")
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-overview-quarter.png", full_page=True)
    assert page.csp_violations == []


def test_a_new_date_range_changes_the_figures_and_the_charts(owner_page, screenshots):
    page = owner_page
    page.get_by_role("navigation", name="Periods").get_by_role(
        "link", name="Last quarter"
    ).click()
    page.wait_for_url("**/dashboard?range=quarter")
    assert new_customers(page) == "5"
    today = datetime.now(UTC).date()
    # The demo's people joined 30 to 26 days ago: none in the last three days.
    page.get_by_label("From", exact=True).fill((today - timedelta(days=2)).isoformat())
    page.get_by_label("To", exact=True).fill(today.isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/dashboard?from=*")
    assert new_customers(page) == "0"
    assert stacked_total(chart(page, "chart-new")) == 0
    expect(page.locator("#period-said")).to_contain_text("3 days")
    expect(page.get_by_role("status")).to_contain_text("Nobody joined")
    page.get_by_role("navigation", name="Periods").get_by_role(
        "link", name="All time"
    ).click()
    page.wait_for_url("**/dashboard?range=all")
    assert new_customers(page) == "5"
    expect(page.locator("#period-said")).to_contain_text("all time")
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-overview-all.png", full_page=True)


def test_the_owner_asks_for_a_recompute(owner_page):
    page = owner_page
    page.get_by_role("button", name="Recompute now").click()
    page.wait_for_url("**/dashboard/figures?asked=*")
    expect(page.locator("#recompute-said")).to_be_visible()
    expect(page.locator(".computed")).to_contain_text("Computed")
    assert_accessible(page)


@pytest.mark.parametrize("payload", XSS_CORPUS, ids=range(len(XSS_CORPUS)))
def test_hostile_names_stay_text_on_the_overview(owner_page, live_server, payload):
    from wom.store import ingest

    at = datetime.now(UTC) - timedelta(days=3)
    ingest(
        live_server.store,
        [
            {"type": "signup", "customer": "mallory", "name": payload, "at": at},
            {
                "type": "referral",
                "from": "mallory",
                "to": "victim",
                "channel": payload,
                "at": at + timedelta(hours=1),
            },
        ],
    )
    page = owner_page
    page.goto("/dashboard?range=quarter")
    name = payload.strip()
    reach = [d["label"] for d in chart(page, "chart-reach")["datasets"]]
    assert name in reach
    assert any(name in label for label in chart(page, "chart-channels")["labels"])
    expect(page.locator("#top-starters")).to_contain_text(name)
    expect(page.locator("#activity")).to_contain_text(name)
    page.locator("#chart-reach").hover()
    assert page.dialogs == []
    assert page.csp_violations == []
