"""The overview's charts data (the spread series of the weeks, by month over a
century), channels, the top starters and the latest activity."""

from __future__ import annotations

from tests.overview.helpers import (
    MARCH,
    by_name,
    get,
    twin,
)


def test_the_charts_data_is_the_spread_series_of_the_weeks(app, owner_client, history):
    charts = twin(owner_client, f"/dashboard?{MARCH}")["charts"]
    assert charts["bucket"] == "week"
    weeks = charts["series"]
    # The weeks (from Monday) that overlap March 1st to 28th.
    assert weeks["labels"] == [
        "2026-02-23",
        "2026-03-02",
        "2026-03-09",
        "2026-03-16",
        "2026-03-23",
    ]
    assert weeks["referred"] == [0, 2, 0, 0, 0]
    assert weeks["mention"] == [0, 0, 1, 0, 0]
    assert weeks["root"] == [0, 0, 0, 1, 0]
    assert weeks["k_factor"] == [None, 0.5, 0.0, 0.0, None]
    reach = by_name(charts["reach"]["starters"])
    assert reach["Maya Okafor"]["reach"] == [0, 2, 3, 3, 3]
    assert charts["reach"]["labels"] == weeks["labels"]


def test_a_century_of_history_is_charted_by_month(app, owner_client, record):
    from wom.store.settings import write_setting

    with app.extensions["wom.store"].write() as db:
        write_setting(db, "time_floor", "1900-01-01T00:00:00Z")
    record(
        {"type": "signup", "customer": "old", "at": "1901-01-01T12:00:00Z"},
        {"type": "signup", "customer": "new", "at": "2026-03-02T12:00:00Z"},
    )
    charts = twin(owner_client, "/dashboard?range=all")["charts"]
    assert charts["bucket"] == "month"
    assert charts["series"]["labels"][0] == "1901-01-01"
    assert sum(charts["series"]["root"]) == 2


def test_channels_count_the_periods_touches_by_kind_and_channel(owner_client, history):
    channels = twin(owner_client, f"/dashboard?{MARCH}")["charts"]["channels"]
    assert dict(zip(channels["labels"], channels["touches"], strict=True)) == {
        "Sign-up through a link": 1,
        "Referral · instagram": 1,
        "Mention · in person": 1,
    }


def test_top_starters_show_direct_and_indirect_reach_and_link_their_pages(
    owner_client, history
):
    data = twin(owner_client, f"/dashboard?{MARCH}")
    maya = data["top_starters"][0]
    assert (maya["name"], maya["reach"], maya["direct"], maya["indirect"]) == (
        "Maya Okafor",
        3,
        2,
        1,
    )
    assert maya["url"] == "/dashboard/customers/maya"
    _, _, html = get(owner_client, f"/dashboard?{MARCH}")
    assert '<a href="/dashboard/customers/maya">Maya Okafor</a>' in html


def test_recent_activity_is_newest_first_with_names_and_no_clicks(
    owner_client, history
):
    activity = twin(owner_client, f"/dashboard?{MARCH}")["activity"]
    assert [row["kind"] for row in activity] == [
        "signup",
        "purchase",
        "signup",
        "mention",
        "referral",
        "signup",
        "signup",
    ]
    leo = activity[-2]
    assert leo["who"]["name"] == "Leo Chen"
    assert leo["whom"] == {
        "id": "maya",
        "name": "Maya Okafor",
        "url": "/dashboard/customers/maya",
    }
    assert activity[1]["value"] == 25.0 and activity[1]["currency"] == "EUR"
    assert activity[0]["at"] == "2026-03-20T12:00:00Z"


def test_recent_activity_is_bounded_and_shows_flags(app, owner_client, record):
    record(
        *(
            {
                "type": "signup",
                "customer": f"c{n}",
                "at": f"2026-03-{n + 1:02}T12:00:00Z",
            }
            for n in range(25)
        ),
        # A pair that refers each other, which the fraud checks flag.
        {"type": "referral", "from": "c3", "to": "c30", "at": "2026-03-27T12:00:00Z"},
        {"type": "referral", "from": "c30", "to": "c3", "at": "2026-03-27T13:00:00Z"},
    )
    app.extensions["wom.analytics"].refresh_background()
    activity = twin(owner_client, "/dashboard?range=all")["activity"]
    assert len(activity) == 20
    assert "flag" in {row["kind"] for row in activity}
