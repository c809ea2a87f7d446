"""The short seeded soak of the browser abuse check, as ``make test`` and CI
run it: level ``short`` in the browser tests' Chromium (without it, the browser
tests' rule: skipped, and failed under CI). No figure that must hold may fail:
0 dialogs, 0 CSP violations, 0 script errors, 0 requests to other sites, 0
redirects off the site."""

from __future__ import annotations

import pytest

from soak import check_browser_abuse
from tests.soak_assertions import assert_holds

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHECKS = ["browser_abuse"]


def test_the_short_browser_abuse_soak_holds(chromium):
    figures = check_browser_abuse.run("short", browser=chromium)
    assert_holds(figures)
    assert [f.name for f in figures if f.holds] == [
        "dialogs",
        "CSP violations",
        "script errors",
        "requests to other sites",
        "redirects off the site",
    ]
