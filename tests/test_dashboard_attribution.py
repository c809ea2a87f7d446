"""The Attribution page and its twin: the comparison, and the switch of the rule."""

from __future__ import annotations

import re

import pytest

from wom.actions.switching import finish_switch
from wom.store import ingest
from wom.store.settings import read_settings

T0 = "2026-01-01T00:00:00Z"


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


@pytest.fixture
def shop(app):
    """ann and bob from the start; cat heard of ann, then of bob, then joined."""
    store = app.extensions["wom.store"]
    ingest(
        store,
        [
            {
                "type": "signup",
                "customer": "ann",
                "name": "Ann <i>",
                "at": "2026-01-01T00:00:00Z",
            },
            {"type": "signup", "customer": "bob", "at": "2026-01-01T00:00:00Z"},
            {
                "type": "mention",
                "from": "ann",
                "to": "cat",
                "at": "2026-01-02T00:00:00Z",
            },
            {
                "type": "mention",
                "from": "bob",
                "to": "cat",
                "at": "2026-01-03T00:00:00Z",
            },
            {"type": "signup", "customer": "cat", "at": "2026-01-04T00:00:00Z"},
        ],
        source="test",
    )
    app.extensions["wom.analytics"].refresh_background()
    return store


def twin(client) -> dict:
    with client.get("/dashboard/attribution.json") as reply:
        assert reply.status_code == 200
        return reply.json


def switch(client, **fields):
    with client.get("/dashboard/attribution") as page:
        token = csrf(page.get_data(True))
    return client.post(
        "/dashboard/attribution/switch", data={"csrf_token": token, **fields}
    )


def test_the_twin_compares_the_rules_by_name(owner_client, shop):
    found = twin(owner_client)
    assert (found["rule"], found["window_days"]) == ("first", 90)
    compared = found["comparison"]
    assert compared["different_referrer"] == 1
    assert compared["examples"] == [
        {
            "customer": "cat",
            "first": "ann",
            "last": "bob",
            "customer_name": None,
            "first_name": "Ann <i>",
            "last_name": None,
        }
    ]
    assert [r["external_id"] for r in compared["top_starters"]["last"][:1]] == ["bob"]
    assert found["computed_at"] and found["switch"] is None


def test_the_page_renders_the_twins_figures(owner_client, shop):
    with owner_client.get("/dashboard/attribution") as page:
        html = page.get_data(True)
    assert 'id="different-referrer">1<' in html
    assert "Ann &lt;i&gt;" in html and "Ann <i>" not in html


def test_switching_the_rule_rederives_and_reports_it(owner_client, app, shop):
    with switch(owner_client, rule="last", window_days="90") as reply:
        assert reply.status_code == 303
    progress = finish_switch(shop)
    assert progress["rule"] == "last" and progress["finished_at"]
    assert read_settings(shop.reader())["attribution_rule"] == "last"
    found = twin(owner_client)
    assert found["rule"] == "last"
    assert found["switch"]["running"] is False and found["switch"]["percent"] == 100
    assert found["switch"]["done"] == 3


def test_a_bad_window_changes_nothing(owner_client, shop):
    with switch(owner_client, rule="last", window_days="0") as reply:
        assert reply.status_code == 422
        assert "attribution_window_days" in reply.get_data(True)
    assert read_settings(shop.reader())["attribution_rule"] == "first"
    assert twin(owner_client)["switch"] is None


def test_an_interrupted_switch_offers_to_continue(owner_client, shop):
    from wom.store import now_micros
    from wom.store.rederivation import begin_switch
    from wom.store.settings import write_setting

    with shop.write() as db:  # as a server that stopped mid-switch leaves it
        write_setting(db, "attribution_rule", "last")
        begin_switch(db, now_micros())
    found = twin(owner_client)["switch"]
    assert found["running"] and found["interrupted"]
    with owner_client.get("/dashboard/attribution") as page:
        html = page.get_data(True)
        assert "Continue the switch" in html
    form = {"csrf_token": csrf(html)}
    with owner_client.post("/dashboard/attribution/continue", data=form) as reply:
        assert reply.status_code == 303
    assert finish_switch(shop)["finished_at"] is not None


def test_an_empty_database_says_how_to_start(owner_client, app):
    app.extensions["wom.analytics"].refresh_background()
    with owner_client.get("/dashboard/attribution") as page:
        html = page.get_data(True)
    assert "No customers yet: start here" in html and "/api/v1/events" in html


def test_before_the_first_background_run_it_says_so(owner_client, app):
    store = app.extensions["wom.store"]
    ingest(store, [{"type": "signup", "customer": "a", "at": T0}], source="test")
    found = twin(owner_client)
    assert found["comparison"] is None
    with owner_client.get("/dashboard/attribution") as page:
        assert "Being computed now" in page.get_data(True)


def test_the_twin_needs_a_login(client):
    with client.get("/dashboard/attribution.json") as reply:
        assert reply.status_code == 401
