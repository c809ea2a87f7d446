"""The spread figures' version of the graphs, rebuilt in the background after a
write: a page asked meanwhile answers from the last built version without
rebuilding in the request, one build runs at a time, and once the build is done
the figures are a full recompute's."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import orjson
import pytest

import wom.analytics.spread as spread_module
from wom.service import AnalyticsService
from wom.service.period import period_figures

MARCH = "from=2026-03-01&to=2026-03-28"
BOUNDS = (
    datetime(2026, 3, 1, tzinfo=UTC).timestamp(),
    datetime(2026, 3, 29, tzinfo=UTC).timestamp(),
)


@pytest.fixture
def history(app_record):
    app_record(
        {"type": "signup", "customer": "maya", "at": "2026-02-10T12:00:00Z"},
        {"type": "referral", "from": "maya", "to": "leo", "at": "2026-03-02T12:00:00Z"},
        {"type": "mention", "from": "leo", "to": "tom", "at": "2026-03-09T12:00:00Z"},
        {"type": "signup", "customer": "tom", "at": "2026-03-10T12:00:00Z"},
    )


@pytest.fixture
def service(app):
    """The app's service, every version built in the background (as at a
    million customers)."""
    service = app.extensions["wom.analytics"]
    service.derivations.inline_below = 0
    return service


@pytest.fixture
def gate(monkeypatch):
    """Holds the background build inside its pass over the conversations until
    opened; records which threads made that pass."""
    opened, passes = threading.Event(), []
    real = spread_module.conversations

    def conversations(*args, **kwargs):
        passes.append(threading.current_thread().name)
        if threading.current_thread().name == "wom-derive":
            assert opened.wait(30), "the test never opened the gate"
        return real(*args, **kwargs)

    monkeypatch.setattr(spread_module, "conversations", conversations)
    yield opened, passes
    opened.set()


def overview(client) -> dict:
    with client.get(f"/dashboard.json?{MARCH}") as reply:
        assert reply.status_code == 200, reply.text
        return orjson.loads(reply.data)


def referral(app_record, n: int = 0):
    """Tom refers a new customer (a write that changes the graphs)."""
    at = "2026-03-20T12:00:00Z"
    app_record(
        {"type": "referral", "from": "tom", "to": f"ivy{n}", "at": at},
        {"type": "signup", "customer": f"ivy{n}", "at": at},
    )


def new_customers(data: dict) -> int:
    return next(r for r in data["headline"] if r["name"] == "new_customers")["value"]


def test_a_page_after_a_write_answers_from_the_last_built_version(
    owner_client, history, service, app_record, gate
):
    opened, passes = gate
    before = overview(owner_client)
    assert before["figures"]["updating"] is False
    passes.clear()
    referral(app_record)
    during = overview(owner_client)
    assert set(passes) <= {"wom-derive"}, "the request made no pass of its own"
    assert during["figures"]["version"] == before["figures"]["version"]
    assert during["figures"]["updating"] is True
    assert new_customers(during) == new_customers(before) == 2
    with owner_client.get(f"/dashboard?{MARCH}") as page:
        assert "the latest changes are being counted" in page.text
    opened.set()
    assert service.derivations.wait(30)
    after = overview(owner_client)
    assert after["figures"]["updating"] is False
    assert after["figures"]["version"] == service.version
    assert new_customers(after) == 3


def test_writes_during_a_build_make_one_more_build_not_one_each(
    owner_client, history, service, app_record, gate
):
    opened, passes = gate
    overview(owner_client)
    builds = service.derivations.builds
    referral(app_record, 0)
    referral(app_record, 1)
    referral(app_record, 2)
    opened.set()
    assert service.derivations.wait(30)
    assert passes.count("wom-derive") <= 2
    assert service.derivations.builds - builds == passes.count("wom-derive")
    assert service.derivations.published.version == service.version


def test_once_built_the_figures_are_a_full_recomputes(
    owner_client, history, service, app_record, app, gate
):
    opened, _ = gate
    overview(owner_client)
    service.spread("week", *BOUNDS)
    referral(app_record)
    opened.set()
    assert service.derivations.wait(30)
    fresh = AnalyticsService(app.extensions["wom.store"], background=False)
    assert period_figures(service, *BOUNDS) == period_figures(fresh, *BOUNDS)
    assert service.spread("week", *BOUNDS) == fresh.spread("week", *BOUNDS)
    assert service.spread("month") == fresh.spread("month")


def test_the_series_asked_before_a_write_are_ready_once_the_build_is_done(
    owner_client, history, service, app_record, gate, monkeypatch
):
    opened, _ = gate
    overview(owner_client)
    referral(app_record)
    opened.set()
    assert service.derivations.wait(30)
    series = []
    real = spread_module.spread_series

    def spread_series(*args, **kwargs):
        series.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(spread_module, "spread_series", spread_series)
    assert new_customers(overview(owner_client)) == 3
    assert series == [], "the overview's series was computed in the background"


def test_a_small_store_is_always_fresh(owner_client, history, app, app_record):
    service = app.extensions["wom.analytics"]
    overview(owner_client)
    referral(app_record)
    data = overview(owner_client)
    assert data["figures"]["updating"] is False
    assert new_customers(data) == 3
    assert service.derivations.published.version == service.version


@pytest.mark.parametrize(
    "moved",
    [ValueError("operands could not be broadcast together"), RuntimeError, KeyError],
)
def test_a_pass_broken_by_a_write_mid_pass_is_made_again_not_logged(
    owner_client, history, service, app_record, monkeypatch, caplog, moved
):
    """A person appended while the build's pass runs without the lock leaves
    arrays one short of the graphs: the build makes its pass again under the
    lock (or leaves it to the next build), and logs no failure."""
    overview(owner_client)
    real, raised = spread_module.conversations, []

    def conversations(*args, **kwargs):
        if threading.current_thread().name == "wom-derive" and not raised:
            raised.append(moved)
            raise moved
        return real(*args, **kwargs)

    monkeypatch.setattr(spread_module, "conversations", conversations)
    referral(app_record)
    assert service.derivations.wait(30)
    assert raised, "the build made its pass"
    assert "failed" not in caplog.text
    assert service.derivations.published.version == service.version
    assert new_customers(overview(owner_client)) == 3
