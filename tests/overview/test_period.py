"""The overview's period: the same length as the one before it, headline figures with
their change, the funnel, presets and the time zone's day bounds."""

from __future__ import annotations

from datetime import date

import pytest

from tests.overview.helpers import (
    MARCH,
    by_name,
    get,
    twin,
)


def test_the_period_and_the_one_before_it_have_the_same_length(owner_client, history):
    data = twin(owner_client, f"/dashboard?{MARCH}")
    assert (data["period"]["from"], data["period"]["to"]) == (
        "2026-03-01",
        "2026-03-28",
    )
    assert data["period"]["days"] == 28
    assert (data["previous"]["from"], data["previous"]["to"]) == (
        "2026-02-01",
        "2026-02-28",
    )
    assert data["period"]["start"] == "2026-03-01T00:00:00Z"
    assert data["period"]["end"] == "2026-03-29T00:00:00Z"


def test_headline_figures_come_with_their_change_from_the_previous_period(
    owner_client, history
):
    figures = by_name(twin(owner_client, f"/dashboard?{MARCH}")["headline"])
    new = figures["new_customers"]
    assert (new["value"], new["previous"], new["change"]) == (4, 1, 3)
    # Leo (link), Ana (referral) and Tom (mention) of four; Maya came alone.
    assert figures["wom_share"]["value"] == 0.75
    assert figures["wom_share"]["previous"] == 0.0
    assert figures["wom_share"]["change"] == 0.75
    # March's four brought Tom; February's Maya brought Leo and Ana.
    assert figures["k_factor"]["value"] == 0.25
    assert figures["k_factor"]["previous"] == 2.0
    assert figures["k_factor"]["partial"] is False
    # Leo joined on the 2nd at 10:00 and Tom on the 10th at noon.
    assert figures["cycle_time"]["value"] == 8 * 86400 + 2 * 3600
    # Maya joined on February 10th at noon, Leo on March 2nd at 10:00.
    assert figures["cycle_time"]["previous"] == 20 * 86400 - 2 * 3600


def test_the_funnel_counts_clicks_sign_ups_and_who_of_them_bought(
    owner_client, history
):
    data = twin(owner_client, f"/dashboard?{MARCH}")
    funnel = by_name(data["funnel"])
    assert [row["name"] for row in data["funnel"]] == [
        "clicks",
        "new_customers",
        "buyers",
    ]
    assert (funnel["clicks"]["value"], funnel["clicks"]["previous"]) == (1, 0)
    assert funnel["new_customers"]["value"] == 4
    assert (funnel["buyers"]["value"], funnel["buyers"]["share"]) == (1, 0.25)
    assert data["purchases"] == {"value": 1, "previous": 0, "change": 1, "worth": 25.0}


def test_a_period_without_activity_points_to_the_latest_weeks(owner_client, history):
    data = twin(owner_client, "/dashboard?from=2026-06-01&to=2026-06-28")
    assert data["quiet"] is True
    assert data["latest_weeks"] == {"from": "2026-02-21", "to": "2026-03-20"}
    _, _, html = get(owner_client, "/dashboard?from=2026-06-01&to=2026-06-28")
    assert "from=2026-02-21&amp;to=2026-03-20" in html


def test_all_time_has_no_previous_period(owner_client, history):
    data = twin(owner_client, "/dashboard?range=all")
    assert data["previous"] is None
    assert data["period"] | {"preset": "all"} == data["period"]
    figures = by_name(data["headline"])
    assert figures["new_customers"] == {
        "name": "new_customers",
        "label": figures["new_customers"]["label"],
        "unit": "count",
        "value": 5,
        "previous": None,
        "change": None,
    }


@pytest.mark.parametrize(
    ("preset", "days"), [("4w", 28), ("quarter", 91), ("year", 364)]
)
def test_presets_end_today(owner_client, history, preset, days):
    data = twin(owner_client, f"/dashboard?range={preset}")
    today = date.fromisoformat(data["period"]["today"])
    assert data["period"]["to"] == today.isoformat()
    assert data["period"]["days"] == days
    assert data["period"]["preset"] == preset


def test_without_parameters_the_overview_shows_the_last_four_weeks(
    owner_client, history
):
    assert twin(owner_client, "/dashboard")["period"]["preset"] == "4w"


def test_the_time_zone_moves_the_days_bounds(app, owner_client, history):
    from wom.store.settings import write_setting

    with app.extensions["wom.store"].write() as db:
        write_setting(db, "time_zone", "America/New_York")
    data = twin(owner_client, f"/dashboard?{MARCH}")
    assert data["period"]["start"] == "2026-03-01T05:00:00Z"
    assert data["period"]["end"] == "2026-03-29T04:00:00Z", "summer time began"
