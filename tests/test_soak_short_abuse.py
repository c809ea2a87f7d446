"""The short seeded soak of the abuse checks, as ``make test`` and CI run it:
auth, rate limits, privacy and fraud, each at level ``short``, and no figure that
must hold may fail. The browser abuse check's short soak is with the browser
tests (tests/browser/test_soak_short_browser_abuse.py), in their Chromium.
"""

from __future__ import annotations

import pytest

from soak import run_check
from tests.soak_assertions import assert_holds

CHECKS = ["auth", "rate_limits", "privacy", "fraud"]


@pytest.mark.slow
@pytest.mark.parametrize("name", CHECKS)
def test_the_short_soak_holds(name):
    assert_holds(run_check(name, "short"))
