"""Fresh figures: the owner's recompute starts one background run at a time, needs the
form's CSRF token, and the page says when the figures were computed."""

from __future__ import annotations

import re
from concurrent.futures import Future

import pytest

from tests.overview.helpers import (
    MARCH,
    get,
    twin,
)
from wom.service.schedule import BackgroundFigures


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
