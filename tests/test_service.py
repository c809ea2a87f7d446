"""The analytics service: incremental updates equal a full rebuild, always."""

from __future__ import annotations

import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wom.analytics.spread as spread_module
from tests.wom_events import events, resolve_links
from wom.analytics import influence, seeding
from wom.service import AnalyticsService
from wom.store import Store, graph_rows, ingest


def snapshot(service: AnalyticsService) -> dict:
    """Every figure the service serves, in comparable form."""
    people = {}
    for node in service.G:
        figures = service.person(node)
        figures["referred_value"] = round(figures["referred_value"], 9)
        people[node] = figures
    cascades = service.cascades("size", limit=10_000)
    for row in cascades:
        if row["structural_virality"] is not None:
            row["structural_virality"] = round(row["structural_virality"], 9)
    edges = sorted(service.G.edges(data=True), key=lambda e: (e[0], e[1]))
    forest = sorted(service.F.edges())
    starters = {
        by: service.starters(by, limit=5)["items"]
        for by in ("reach", "conversations", "direct", "value")
    }
    for rows in starters.values():
        for row in rows:
            row["referred_value"] = round(row["referred_value"], 9)
    return {
        "people": people,
        # The series counts clicks, which a batch of clicks alone moves.
        "spread": service.spread("day"),
        "cascades": cascades,
        "edges": edges,
        "forest": forest,
        "starters": starters,
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(events(), min_size=1, max_size=6), min_size=1, max_size=6))
def test_incremental_updates_equal_a_fresh_load(batches):
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "wom.db")
        store.migrate()
        live = AnalyticsService(store, background=False)
        live.ensure_loaded()
        for batch in batches:
            ingest(store, resolve_links(store, batch), source="test")
        fresh = AnalyticsService(store, background=False)
        fresh.ensure_loaded()
        assert snapshot(live) == snapshot(fresh)
        store.close()


def test_a_sign_up_updates_the_ancestor_path(service, record):
    record(
        {"type": "signup", "customer": "a", "at": "2026-01-01T00:00:00Z"},
        {"type": "referral", "from": "a", "to": "b", "at": "2026-01-02T00:00:00Z"},
    )
    version = service.version
    record(
        {"type": "referral", "from": "b", "to": "c", "at": "2026-01-03T00:00:00Z"},
        {"type": "purchase", "customer": "c", "value": 8, "at": "2026-01-03T00:00:00Z"},
    )
    assert service.version == version + 1
    a = service.person(1)
    # 8 EUR is 800 cents; decayed by 0.5 one generation up: 400 cents.
    assert (a["reach"], a["generations"], a["referred_value"]) == (2, 2, 400.0)


def test_a_repeat_purchase_moves_only_the_totals_up_the_path(
    service, store, record, monkeypatch
):
    record(
        {"type": "signup", "customer": "a", "at": "2026-01-01T00:00:00Z"},
        {"type": "referral", "from": "a", "to": "b", "at": "2026-01-02T00:00:00Z"},
        {"type": "purchase", "customer": "b", "value": 8, "at": "2026-01-03T00:00:00Z"},
    )
    read_people = graph_rows.people_of
    reread = []

    def people_of(db, ids):
        reread.extend(ids)
        return read_people(db, ids)

    monkeypatch.setattr(graph_rows, "people_of", people_of)
    record(
        {"type": "purchase", "customer": "b", "value": 4, "at": "2026-01-04T00:00:00Z"}
    )
    # b was followed already: their whole row is not read again.
    assert reread == []
    # 8 + 4 EUR is 1200 cents, all of it a's direct referee's.
    assert service.person(1)["referred_value"] == 1200.0
    fresh = AnalyticsService(store, background=False)
    fresh.ensure_loaded()
    assert snapshot(service) == snapshot(fresh)


def test_a_batch_committed_while_the_service_loads_is_followed(
    store, record, monkeypatch
):
    record({"type": "signup", "customer": "a", "at": "2026-01-01T00:00:00Z"})
    read_credits = graph_rows.credit_table

    def credits_with_a_commit_meanwhile(db):
        # Another request thread commits after the load has begun reading.
        writer = threading.Thread(
            target=record,
            args=(
                {
                    "type": "mention",
                    "from": "a",
                    "to": "b",
                    "at": "2026-01-02T00:00:00Z",
                },
                {"type": "signup", "customer": "b", "at": "2026-01-03T00:00:00Z"},
            ),
        )
        writer.start()
        writer.join()
        return read_credits(db)

    monkeypatch.setattr(graph_rows, "credit_table", credits_with_a_commit_meanwhile)
    loading = AnalyticsService(store, background=False)
    loading.ensure_loaded()
    monkeypatch.setattr(graph_rows, "credit_table", read_credits)
    fresh = AnalyticsService(store, background=False)
    fresh.ensure_loaded()
    assert snapshot(loading) == snapshot(fresh)
    assert loading.person(1)["reach"] == 1


def test_a_moved_credit_moves_the_subtree(service, record):
    record(
        {"type": "signup", "customer": "a", "at": "2026-01-01T00:00:00Z"},
        {"type": "signup", "customer": "z", "at": "2026-01-01T00:00:00Z"},
        {"type": "mention", "from": "a", "to": "b", "at": "2026-01-05T00:00:00Z"},
        {"type": "signup", "customer": "b", "at": "2026-01-06T00:00:00Z"},
        {"type": "referral", "from": "b", "to": "c", "at": "2026-01-07T00:00:00Z"},
    )
    assert service.person(1)["reach"] == 2
    # A late, earlier mention by z moves b (and c below it) under z.
    record({"type": "mention", "from": "z", "to": "b", "at": "2026-01-02T00:00:00Z"})
    assert service.person(1)["reach"] == 0
    assert service.person(2)["reach"] == 2
    assert service.person(3)["credited_referrer"] == "z"


def test_empty_database_gives_defined_answers(service):
    assert service.starters()["items"] == []
    assert service.cascades() == []
    assert service.spread("week")["series"] == []
    assert service.person(42) is None
    assert service.cascade(42) is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(events(), min_size=1, max_size=8), min_size=1, max_size=4),
    st.sampled_from(sorted(influence.RANKINGS)),
    st.integers(1, 6),
)
def test_rankings_equal_the_pure_reference(batches, by, limit):
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "wom.db")
        store.migrate()
        for batch in batches:
            ingest(store, resolve_links(store, batch), source="test")
        service = AnalyticsService(store, background=False)
        service.ensure_loaded()
        service.refresh_background()
        scores = service.background_result("influence")["scores"]
        served = service.starters(by, limit=limit)["items"]
        reference = influence.top_starters(
            service.G, service.F, by, limit, influence_scores=scores
        )
        assert [row["node"] for row in served] == [row["node"] for row in reference]
        store.close()


def test_a_batch_of_clicks_moves_the_spread_and_keeps_the_forest(service, record):
    record(
        {"type": "signup", "customer": "a", "at": "2026-01-01T00:00:00Z"},
        {"type": "referral", "from": "a", "to": "b", "at": "2026-01-02T00:00:00Z"},
    )
    code = service.store.reader().execute("SELECT code FROM links").fetchone()[0]
    before = service.spread("day")
    starters = service.starters("reach", 5)
    version = service.version
    browser = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
    record(
        *(
            {
                "type": "click",
                "link": code,
                "visitor": visitor,
                "at": "2026-01-02T10:00:00Z",
                "user_agent": browser,
            }
            for visitor in ("v1", "v2")
        )
    )
    after = service.spread("day")
    assert sum(row["clicks"] for row in after["series"]) == 2
    assert sum(row["clicks"] for row in before["series"]) == 0
    assert service.version == version
    assert service.starters("reach", 5) == starters


def test_expected_spread_is_exact_on_a_tree_through_the_service(store, record):
    # a -> b -> c, all customers: c converted after b told them, b after a.
    record(
        {"type": "signup", "customer": "a", "at": "2026-01-01T00:00:00Z"},
        {"type": "mention", "from": "a", "to": "b", "at": "2026-01-02T00:00:00Z"},
        {"type": "signup", "customer": "b", "at": "2026-01-03T00:00:00Z"},
        {"type": "mention", "from": "b", "to": "c", "at": "2026-01-04T00:00:00Z"},
        {"type": "signup", "customer": "c", "at": "2026-01-05T00:00:00Z"},
    )
    service = AnalyticsService(store, background=False)
    service.refresh_background()
    exact = {node: seeding.expected_spread(service.G, node) for node in service.G}
    assert {e["method"] for e in exact.values()} == {"exact"}
    for node, reference in exact.items():
        assert service.person(node)["expected_spread"] == pytest.approx(
            reference["expected_spread"], abs=1e-12
        )
    # b converted (2/11 = 0.1818...), and a reaches b, then c through b.
    assert service.person(2)["expected_spread"] == pytest.approx(2 / 11)
    ranked = service.starters("expected_spread", limit=3)["items"]
    assert [row["external_id"] for row in ranked] == ["a", "b", "c"]


def test_the_series_counts_clicks_as_the_link_does(service, store, record):
    record({"type": "signup", "customer": "a", "at": "2026-01-01T00:00:00Z"})
    code = store.reader().execute("SELECT code FROM links").fetchone()[0]

    def click(at):
        browser = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
        return {
            "type": "click",
            "link": code,
            "visitor": "v-1",
            "at": at,
            "user_agent": browser,
        }

    def both():
        series = sum(row["clicks"] for row in service.spread("day")["series"])
        on_link = store.reader().execute("SELECT clicks FROM links").fetchone()[0]
        return series, on_link

    # A repeat within 30 minutes counts once, in the series as on the link.
    record(click("2026-01-05T10:00:00Z"), click("2026-01-05T10:05:00Z"))
    assert both() == (1, 1)
    record(click("2026-01-05T11:00:00Z"))
    assert both() == (2, 2)
    # A late click, 2 minutes before the first, makes that one a repeat.
    record(click("2026-01-05T09:58:00Z"))
    assert both() == (2, 2)
    fresh = AnalyticsService(store, background=False)
    assert fresh.spread("day")["series"] == service.spread("day")["series"]


def test_a_back_dated_click_is_followed_without_reading_every_click(
    service, store, record, monkeypatch
):
    record({"type": "signup", "customer": "a", "at": "2026-01-01T00:00:00Z"})
    code = store.reader().execute("SELECT code FROM links").fetchone()[0]

    def click(at):
        return {
            "type": "click",
            "link": code,
            "visitor": "v-1",
            "at": at,
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        }

    record(click("2026-01-05T10:00:00Z"), click("2026-01-05T10:40:00Z"))
    assert sum(row["clicks"] for row in service.spread("day")["series"]) == 2

    def read_all(db):
        raise AssertionError("the service read every click again")

    monkeypatch.setattr(graph_rows, "click_seconds", read_all)
    # Sent late, it joins the two runs: the later click stops counting.
    record(click("2026-01-05T10:20:00Z"))
    assert sum(row["clicks"] for row in service.spread("day")["series"]) == 1
    monkeypatch.undo()
    fresh = AnalyticsService(store, background=False)
    assert fresh.spread("day")["series"] == service.spread("day")["series"]


def test_clicks_committed_just_before_a_load_are_counted_once(store, record):
    record({"type": "signup", "customer": "a", "at": "2026-01-01T00:00:00Z"})
    code = store.reader().execute("SELECT code FROM links").fetchone()[0]
    click = {
        "type": "click",
        "link": code,
        "visitor": "v-1",
        "at": "2026-01-05T10:00:00Z",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    }
    # Committed before the load reads, but told to the listeners during it.
    late_news = []
    store._announce, tell = late_news.append, store._announce
    try:
        record(click)
    finally:
        store._announce = tell
    read_credits = graph_rows.credit_table

    def credits_while_the_news_arrives(db):
        for changes in late_news:
            store._announce(changes)
        return read_credits(db)

    loading = AnalyticsService(store, background=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(graph_rows, "credit_table", credits_while_the_news_arrives)
        loading.ensure_loaded()
    assert loading.series.clicks == graph_rows.click_seconds(store.reader())
    assert len(loading.series.clicks) == 1


NOW = datetime(2026, 1, 10, 12, tzinfo=UTC).timestamp()
FIRST_WEEK = (datetime(2026, 1, 1, tzinfo=UTC).timestamp(), NOW)


@pytest.mark.parametrize(
    ("clicks", "period", "computed_again"),
    [
        # Clicks inside the series' buckets are counted in place.
        (
            ["2026-01-05T10:00:00Z", "2026-01-05T10:05:00Z", "2026-01-09T08:00:00Z"],
            (None, None),
            False,
        ),
        # A click before the first bucket brings new buckets: computed again.
        (["2025-12-01T00:00:00Z"], (None, None), True),
        # A click after a closed period's end, whose rows reach it, changes nothing.
        (["2026-01-09T08:00:00Z"], (FIRST_WEEK[0], FIRST_WEEK[0] + 86400), False),
    ],
)
def test_clicks_update_a_cached_series_as_a_fresh_one_would_be(
    service, store, record, monkeypatch, clicks, period, computed_again
):
    record({"type": "signup", "customer": "a", "at": "2026-01-01T00:00:00Z"})
    code = store.reader().execute("SELECT code FROM links").fetchone()[0]
    browser = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
    service.spread("day", *period, now=NOW)
    computed = []
    real = spread_module.spread_series
    monkeypatch.setattr(
        spread_module,
        "spread_series",
        lambda *args, **kwargs: computed.append(1) or real(*args, **kwargs),
    )
    record(
        *(
            {
                "type": "click",
                "link": code,
                "visitor": "v-1",
                "at": at,
                "user_agent": browser,
            }
            for at in clicks
        )
    )
    after = service.spread("day", *period, now=NOW)
    assert bool(computed) is computed_again
    fresh = AnalyticsService(store, background=False)
    assert after == fresh.spread("day", *period, now=NOW)
