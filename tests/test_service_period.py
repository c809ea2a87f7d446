"""A period's figures from the service: the spread's range figures without a
series, one pass over the edges for every series, and the purchases and
touches counted as they are appended."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wom.analytics.spread as spread_module
from wom.service import AnalyticsService
from wom.service.period import headcount, period_figures
from wom.service.series import SpreadSeries

NOW = datetime(2026, 4, 1, tzinfo=UTC).timestamp()
MARCH = (
    datetime(2026, 3, 1, tzinfo=UTC).timestamp(),
    datetime(2026, 4, 1, tzinfo=UTC).timestamp(),
)


@pytest.fixture
def service(store, record):
    record(
        {"type": "signup", "customer": "a", "at": "2026-02-10T12:00:00Z"},
        {"type": "referral", "from": "a", "to": "b", "at": "2026-03-02T12:00:00Z"},
        {"type": "mention", "from": "b", "to": "c", "at": "2026-03-03T12:00:00Z"},
        {
            "type": "purchase",
            "customer": "b",
            "value": 10,
            "at": "2026-03-04T12:00:00Z",
        },
    )
    service = AnalyticsService(store, background=False)
    service.ensure_loaded()
    return service


@pytest.fixture
def computed(monkeypatch) -> list:
    """The name of each series, or pass over G's edges, computed from now on."""
    seen = []
    for name in ("spread_series", "conversations"):
        real = getattr(spread_module, name)

        def spy(*args, real=real, name=name, **kwargs):
            seen.append(name)
            return real(*args, **kwargs)

        monkeypatch.setattr(spread_module, name, spy)
    return seen


def test_a_periods_figures_compute_no_series(service, store, computed):
    period_figures(service, *MARCH, now=NOW)
    period_figures(service, None, MARCH[0], now=NOW)
    assert computed == ["conversations"], "one pass over G's edges, no series"
    assert (
        period_figures(service, *MARCH, now=NOW)["wom_share"]
        == (
            AnalyticsService(store, background=False).spread("week", *MARCH, now=NOW)[
                "wom_share"
            ]
        )
    )


def test_series_of_new_ranges_share_one_pass_over_the_edges(service, store, computed):
    service.spread("week", now=NOW)
    march = service.spread("week", *MARCH, now=NOW)
    assert computed == ["conversations", "spread_series", "spread_series"]
    assert march == AnalyticsService(store, background=False).spread(
        "week", *MARCH, now=NOW
    )


def test_a_write_that_moves_the_graphs_computes_the_series_again(
    service, record, computed
):
    service.spread("week", *MARCH, now=NOW)
    record({"type": "signup", "customer": "d", "at": "2026-03-20T12:00:00Z"})
    after = service.spread("week", *MARCH, now=NOW)
    assert computed.count("spread_series") == 2
    assert computed.count("conversations") == 2
    assert sum(row["root"] for row in after["series"]) == 1


def test_period_figures_count_the_period_alone(service):
    figures = period_figures(service, *MARCH, now=NOW)
    assert figures["new_customers"] == 1  # b; c was only told
    assert (figures["purchases"], figures["purchase_value"]) == (1, 1000)
    assert figures["buyers"] == 1
    assert figures["channels"] == [
        {"kind": "referral", "channel": None, "touches": 1},
        {"kind": "mention", "channel": None, "touches": 1},
    ]
    assert headcount(service) == {"customers": 2, "prospects": 1}


def test_appended_rows_are_counted_in_their_own_period(service, record):
    period_figures(service, *MARCH, now=NOW)
    record(
        {"type": "purchase", "customer": "a", "value": 4, "at": "2026-03-20T12:00:00Z"},
        # Arriving later, but from February: an older row than those kept.
        {"type": "purchase", "customer": "a", "value": 2, "at": "2026-02-20T12:00:00Z"},
        {
            "type": "mention",
            "from": "a",
            "to": "d",
            "channel": "phone",
            "at": "2026-03-21T12:00:00Z",
        },
    )
    march = period_figures(service, *MARCH, now=NOW)
    assert (march["purchases"], march["purchase_value"]) == (2, 1400)
    assert {"kind": "mention", "channel": "phone", "touches": 1} in march["channels"]
    february = period_figures(service, None, MARCH[0], now=NOW)
    assert (february["purchases"], february["purchase_value"]) == (1, 200)
    assert february["channels"] == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 20), max_size=10),
    st.lists(
        st.tuples(
            st.lists(st.integers(0, 20), max_size=4),  # clicks added
            st.integers(0, 3),  # how many counted ones stop counting
            st.tuples(st.integers(0, 21), st.integers(0, 21)),  # a period asked
        ),
        min_size=1,
        max_size=6,
    ),
    st.randoms(use_true_random=False),
)
def test_clicks_in_a_period_are_the_counted_clicks_in_it(first, batches, rng):
    kept, counting = SpreadSeries([float(x) for x in first]), [float(x) for x in first]
    for added, dropping, (a, b) in batches:
        counting += [float(x) for x in added]
        removed = rng.sample(counting, min(dropping, len(counting)))
        for at in removed:
            counting.remove(at)
        kept.add_clicks([float(x) for x in added], removed=removed)
        low, high = min(a, b), max(a, b)
        assert kept.clicks_between(low, high) == sum(low <= x < high for x in counting)
    assert kept.clicks_between(None, None) == len(counting)
