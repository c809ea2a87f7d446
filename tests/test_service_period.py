"""A period's figures from the service: the spread series kept per bucket and
cut per range, and what the store counts kept until the graphs change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import wom.analytics.spread as spread_module
from wom.service import AnalyticsService
from wom.service.period import headcount, period_figures

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
    """One entry for each spread series computed from now on."""
    seen = []
    real = spread_module.spread_series
    monkeypatch.setattr(
        spread_module,
        "spread_series",
        lambda *args, **kwargs: seen.append(kwargs["bucket"]) or real(*args, **kwargs),
    )
    return seen


def test_a_new_range_cuts_the_kept_series_instead_of_computing_it_again(
    service, store, computed
):
    service.spread("week", now=NOW)
    march = service.spread("week", *MARCH, now=NOW)
    assert computed == ["week"]
    assert march == AnalyticsService(store, background=False).spread(
        "week", *MARCH, now=NOW
    )


def test_a_write_that_moves_the_graphs_computes_the_series_again(
    service, record, computed
):
    service.spread("week", *MARCH, now=NOW)
    record({"type": "signup", "customer": "d", "at": "2026-03-20T12:00:00Z"})
    after = service.spread("week", *MARCH, now=NOW)
    assert computed == ["week", "week"]
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
