"""The load check (#14 check 10) at level ``short``: every surface of wom under
gunicorn, in its production configuration, with many clients at once. Times
and rates are only reported; what must hold is that no surface errs.

The negative control kills the server halfway through the dashboard's turn:
the check must then fail on that surface (and on the webhooks after it), and
not on the surfaces that ran before.
"""

from __future__ import annotations

import pytest

from soak.check_load import measure
from soak.load import SURFACES

pytestmark = pytest.mark.slow

# The soak's checks this file holds at level short.
CHECKS = ["load"]


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    return {f.name: f for f in measure(tmp_path_factory.mktemp("load"), "short")}


def test_nothing_that_must_hold_fails(figures):
    failed = [f"{f.name} = {f.value} ({f.note})" for f in figures.values() if f.failed]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("surface", SURFACES)
def test_each_surface_must_have_no_errors(figures, surface):
    errors = figures[f"{surface}: errors"]
    assert errors.holds is True
    assert errors.value == 0


@pytest.mark.parametrize("surface", SURFACES)
def test_each_surface_reports_its_throughput_and_latencies(figures, surface):
    throughput = figures[f"{surface}: throughput"]
    latencies = figures[f"{surface}: p50 / p99"]
    assert throughput.holds is None and latencies.holds is None
    assert throughput.value > 0
    p50, p99 = (float(part) for part in latencies.value.split(" / "))
    assert 0 < p50 <= p99


def test_the_server_s_peak_rss_and_the_database_s_size_are_reported(figures):
    assert figures["server peak RSS"].value > 0
    assert figures["server peak RSS"].holds is None
    assert "events" in figures["database after the run"].value


def test_a_server_killed_during_a_surface_fails_that_surface(tmp_path):
    broken = {f.name: f for f in measure(tmp_path, "short", break_in="dashboard")}
    assert broken["dashboard: errors"].failed
    assert broken["dashboard: errors"].value > 0
    assert broken["webhooks: errors"].failed
    before = ["landing", "hot link", "sign-up", "ingest"]
    assert not any(broken[f"{surface}: errors"].failed for surface in before)
