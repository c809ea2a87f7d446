"""The short seeded soak of the server checks (crash, concurrency, live
Schemathesis, bad input), as ``make test`` and CI run it: each at level
``short`` against wom under gunicorn, and no figure that must hold may fail.
Together they take well under three minutes.

The crash check's negative control (retries without keys store duplicates)
runs here too: at level ``short`` the check itself leaves it out.
"""

from __future__ import annotations

import pytest

from soak import run_check
from soak.crash import crash_run
from tests.soak_assertions import assert_holds

CHECKS = ["crash", "concurrency", "schemathesis", "bad_input"]


@pytest.mark.slow
@pytest.mark.parametrize("name", CHECKS)
def test_the_short_soak_holds(name):
    assert_holds(run_check(name, "short"))


@pytest.mark.slow
def test_retries_without_keys_after_a_kill_store_events_twice(tmp_path):
    unkeyed = crash_run(tmp_path, seed=0, rounds=1, keyed=False)
    assert unkeyed.duplicates > 0
