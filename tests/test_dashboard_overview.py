"""The overview, /dashboard, and its twin: a period's figures beside the previous
period's, the funnel, the charts' data, the top starters, the latest activity,
checked query parameters, the first steps of an empty database, and the owner's
recompute."""

from __future__ import annotations

import re
from concurrent.futures import Future
from datetime import date

import orjson
import pytest
from flask import template_rendered

from tests.api_client import ApiClient
from tests.payloads import XSS_CORPUS
from wom.service.schedule import BackgroundFigures
from wom.store import links, people

# February is the period before March's; both have 28 days.
MARCH = "from=2026-03-01&to=2026-03-28"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


def get(client, url: str):
    with client.get(url) as reply:
        return reply.status_code, reply.headers, reply.get_data(as_text=True)


def twin(client, url: str) -> dict:
    path, _, query = url.partition("?")
    status, _, body = get(client, f"{path}.json?{query}")
    assert status == 200, body
    return orjson.loads(body)


def code_of(app, person: str) -> str:
    db = app.extensions["wom.store"].reader()
    return links.links_of(db, people.person_id(db, person))[0]["code"]


@pytest.fixture
def record(app_record):
    return app_record


@pytest.fixture
def history(app, record):
    """Maya joined in February; in March Leo came through her link, Ana by an
    imported referral, Tom after Leo's mention, and Ivy on her own; Leo bought."""
    record(
        {
            "type": "signup",
            "customer": "maya",
            "name": "Maya Okafor",
            "at": "2026-02-10T12:00:00Z",
        }
    )
    maya = code_of(app, "maya")
    record(
        {
            "type": "click",
            "link": maya,
            "visitor": "v1",
            "user_agent": BROWSER,
            "at": "2026-03-02T09:00:00Z",
        },
        {
            "type": "signup",
            "customer": "leo",
            "name": "Leo Chen",
            "link": maya,
            "at": "2026-03-02T10:00:00Z",
        },
        {
            "type": "referral",
            "from": "maya",
            "to": "ana",
            "channel": "instagram",
            "at": "2026-03-05T12:00:00Z",
        },
        {
            "type": "mention",
            "from": "leo",
            "to": "tom",
            "channel": "in person",
            "at": "2026-03-09T12:00:00Z",
        },
        {"type": "signup", "customer": "tom", "at": "2026-03-10T12:00:00Z"},
        {
            "type": "purchase",
            "customer": "leo",
            "value": 25,
            "at": "2026-03-12T12:00:00Z",
        },
        {"type": "signup", "customer": "ivy", "at": "2026-03-20T12:00:00Z"},
    )


def by_name(rows: list[dict]) -> dict:
    return {row["name"]: row for row in rows}


# -- the period's figures -------------------------------------------------------------


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


# -- charts, starters and activity -----------------------------------------------------


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


# -- the page and its twin -------------------------------------------------------------


@pytest.fixture
def rendered(app):
    """The ``page`` dict of every template rendered meanwhile."""
    seen = []

    def remember(sender, template, context, **extra):
        if "page" in context:
            seen.append(context["page"])

    template_rendered.connect(remember, app)
    yield seen
    template_rendered.disconnect(remember, app)


@pytest.mark.parametrize("query", [MARCH, "range=all", ""])
def test_the_twin_returns_the_dict_the_page_renders(
    owner_client, history, rendered, query
):
    status, _, _ = get(owner_client, f"/dashboard?{query}")
    assert status == 200
    page = orjson.loads(orjson.dumps(rendered[-1]))
    answer = twin(owner_client, f"/dashboard?{query}")
    # The background state and the times ago move between the two requests.
    assert page | {"background": None} == answer | {"background": None}


def test_the_page_hands_the_charts_data_to_its_script_as_json(owner_client, history):
    _, _, html = get(owner_client, f"/dashboard?{MARCH}")
    block = re.search(
        r'<script type="application/json" id="overview-charts">(.*?)</script>',
        html,
        re.S,
    )[1]
    assert orjson.loads(block) == twin(owner_client, f"/dashboard?{MARCH}")["charts"]
    assert "dashboard-overview.js" in html and "vendor/chart.umd.min.js" in html


@pytest.mark.parametrize("name", XSS_CORPUS)
def test_names_from_strangers_stay_text(owner_client, record, name):
    record(
        {"type": "signup", "customer": "x", "name": name, "at": "2026-03-02T12:00:00Z"}
    )
    record({"type": "referral", "from": "x", "to": "y", "at": "2026-03-03T12:00:00Z"})
    status, _, html = get(owner_client, f"/dashboard?{MARCH}")
    assert status == 200
    if "<" in name:
        assert name not in html
    block = re.search(
        r'<script type="application/json" id="overview-charts">(.*?)</script>',
        html,
        re.S,
    )[1]
    assert "</" not in block and "<script" not in block.lower()
    # Kept as given, but for the spaces around it.
    assert orjson.loads(block)["reach"]["starters"][0]["name"] == name.strip()


# -- query parameters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-02-30&to=2026-03-01", "from"),
        ("from=2026-3-1&to=2026-03-28", "from"),
        ("from=1969-12-31&to=2026-03-28", "from"),
        ("from=2026-03-01&to=2201-01-01", "to"),
        ("from=2026-03-28&to=2026-03-01", "to"),
        ("from=2026-03-01", "from"),
        ("to=2026-03-01", "to"),
        ("range=decade", "range"),
        ("range=4w&from=2026-03-01&to=2026-03-28", "range"),
        ("range=4w&range=all", "range"),
        ("bucket=day", "bucket"),
    ],
)
def test_bad_parameters_get_a_400_naming_them(owner_client, history, query, field):
    status, headers, body = get(owner_client, f"/dashboard.json?{query}")
    assert status == 400
    assert headers["Content-Type"] == "application/problem+json"
    assert orjson.loads(body)["errors"][0]["field"] == field
    status, headers, html = get(owner_client, f"/dashboard?{query}")
    assert status == 400
    assert headers["Content-Type"].startswith("text/html")
    assert f"Query parameter {field}" in html


# -- an empty database -----------------------------------------------------------------


def test_an_empty_database_shows_how_to_start(owner_client):
    status, _, html = get(owner_client, "/dashboard")
    assert status == 200
    assert 'id="join-url" href="http://localhost/join"' in html
    assert "flask --app wom create-token" in html
    assert "curl -X POST http://localhost/api/v1/customers" in html
    assert 'href="http://localhost/api/docs"' in html
    data = twin(owner_client, "/dashboard")
    assert data["empty"] is True and data["customers"] == 0


def test_the_empty_pages_api_example_makes_a_customer_with_a_link(app, owner_client):
    example = twin(owner_client, "/dashboard")["example_customer"]
    api = ApiClient.for_app(app)
    assert api.post("/customers", json=example).status == 201
    links = api.get(f"/customers/{example['id']}/links").json["items"]
    assert len(links) == 1
    data = twin(owner_client, "/dashboard?range=all")
    assert data["empty"] is False and data["customers"] == 1


def test_prospects_alone_still_get_the_first_steps(owner_client, record):
    record({"type": "mention", "from": "a", "to": "b", "at": "2026-03-01T12:00:00Z"})
    data = twin(owner_client, "/dashboard")
    assert data["empty"] is True and data["prospects"] == 2


# -- fresh figures: the owner's recompute ----------------------------------------------


def csrf_of(client) -> str:
    _, _, html = get(client, "/dashboard/figures")
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


class Runs:
    """Runs of the background figures that stay under way until ended."""

    def __init__(self):
        self.started: list[Future] = []

    def __call__(self) -> Future:
        self.started.append(future := Future())
        future.set_running_or_notify_cancel()
        return future


@pytest.fixture
def runs(app, history):
    """The app's service with a background schedule whose runs the test ends."""
    service = app.extensions["wom.analytics"]
    runs = Runs()
    service.background = BackgroundFigures(
        service.store.path, run=runs, timer=lambda *args: pytest.fail("no timer")
    )
    service.ensure_loaded()
    yield runs
    service.background.stop()


def test_recompute_starts_a_run_and_says_so(owner_client, runs):
    runs.started[0].set_result({"computed_at": "2026-03-01T00:00:00Z", "flags": []})
    with owner_client.post(
        "/dashboard/recompute", data={"csrf_token": csrf_of(owner_client)}
    ) as reply:
        assert reply.status_code == 303
        assert reply.headers["Location"] == "/dashboard/figures?asked=started"
    assert len(runs.started) == 2
    _, _, html = get(owner_client, "/dashboard/figures?asked=started")
    assert "A new run has started" in html
    assert twin(owner_client, "/dashboard/figures")["running"] is True


def test_recompute_during_a_run_starts_no_second_one(owner_client, runs):
    with owner_client.post(
        "/dashboard/recompute", data={"csrf_token": csrf_of(owner_client)}
    ) as reply:
        assert reply.headers["Location"] == "/dashboard/figures?asked=running"
    assert len(runs.started) == 1
    _, _, html = get(owner_client, "/dashboard/figures?asked=running")
    assert "already under way" in html


def test_recompute_needs_the_forms_csrf_token(owner_client, runs):
    with owner_client.post("/dashboard/recompute") as reply:
        assert reply.status_code == 400
    assert len(runs.started) == 1


def test_the_overview_says_when_the_background_figures_were_computed(
    app, owner_client, history
):
    _, _, html = get(owner_client, f"/dashboard?{MARCH}")
    assert "Being computed now" in html
    app.extensions["wom.analytics"].refresh_background()
    _, _, html = get(owner_client, f"/dashboard?{MARCH}")
    assert re.search(r"Computed <time datetime=\"[^\"]+\">just now</time>", html)
    assert 'action="/dashboard/recompute"' in html
