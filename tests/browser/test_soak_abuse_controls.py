"""The browser abuse check can fail: on a deliberately unsafe page served the
same way (the same app, server and headers) it finds the dialog, the CSP
violation and the open redirect."""

from __future__ import annotations

import pytest
from flask import Blueprint, Response, redirect, request

from soak.abuse_site import serve
from soak.check_browser_abuse import measure
from tests.payloads import XSS_CORPUS

pytestmark = pytest.mark.browser

PAYLOADS = XSS_CORPUS[:2]
# Nothing but what the unsafe pages need: no panels, forms or logins.
TINY = {"payloads": 2, "targets": 1, "panels": 0, "forms": 0, "logins": 0}


def unsafe_pages(app) -> None:
    """Pages that show strangers' strings unescaped, and a redirect to anywhere."""
    unsafe = Blueprint("soak_unsafe", __name__)
    html = "<!doctype html><title>unsafe</title>" + "".join(
        f"<p>{payload}</p>" for payload in PAYLOADS
    )

    @unsafe.get("/soak-unsafe/names")
    def names():
        return html  # under wom's own CSP

    @unsafe.get("/soak-unsafe/names-without-csp")
    def names_without_csp():
        # A view's own policy stands (wom/web/security.py): this one lets all in.
        policy = "default-src * 'unsafe-inline'"
        return Response(html, headers={"Content-Security-Policy": policy})

    @unsafe.get("/soak-unsafe/go")
    def go():
        return redirect(request.args.get("next", "/"))

    app.register_blueprint(unsafe)


@pytest.fixture(scope="module")
def figures(chromium):
    with serve(extend=unsafe_pages, webhook_loopback=True) as site:
        found = measure(
            site,
            chromium,
            PAYLOADS,
            ["//evil.example"],
            TINY,
            extra_pages=["/soak-unsafe/names", "/soak-unsafe/names-without-csp"],
        )
    return {figure.name: figure for figure in found}


@pytest.mark.parametrize(
    "name", ["dialogs", "CSP violations", "redirects off the site"]
)
def test_the_unsafe_page_fails_the_figure(figures, name):
    assert figures[name].failed
    assert "soak-unsafe" in figures[name].note


def test_wom_s_own_pages_stay_clean_beside_it(figures):
    assert not figures["script errors"].failed
    assert not figures["requests to other sites"].failed
