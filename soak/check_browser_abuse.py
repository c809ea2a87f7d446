"""Check 5, browser abuse: strangers' strings on every page that shows them, in
Chromium, and every parameter that could send a browser to another site.

An XSS corpus (tests/payloads.py) goes into every field a stranger controls
(soak/abuse_planting.py). Each page that shows them is then opened as its
visitor would (landing, share and home pages, the sign-up form sent back with
its errors) or as the owner (every page of the dashboard's navigation, each
cascade, the graph with a person's panel open, the Webhooks page), and each
parameter a link to the owner can carry holds the payload too. Must hold: no
dialog, no CSP violation, no script error, no request to another site.

Open redirects (soak/abuse_redirects.py): every GET route, logged out and as
the owner, gets each address of REDIRECT_CORPUS as ``next``, ``ref`` and path
parameters, and so do the login, logout and sign-up forms; Chromium follows
``/login?next=`` as the owner. No redirect may leave the site.
"""

from __future__ import annotations

from urllib.parse import quote

from soak import Figure
from soak.abuse_browser import BrowserMissing, Watched, chromium, not_run
from soak.abuse_planting import Planted, plant
from soak.abuse_redirects import sweep_site, with_parameter
from soak.abuse_site import OWNER_EMAIL, OWNER_PASSWORD, Site, serve
from tests.payloads import LONG_TEXT, REDIRECT_CORPUS, XSS_SOAK_CORPUS

__all__ = ["BUDGETS", "measure", "pages", "run"]

CHECK = "browser_abuse"
# Per level: payloads of the corpus (the issue: 20 by default), redirect
# targets, graph panels opened (a layout of every node each), sign-up forms sent
# back, and logins with a ``next`` (a password check each).
BUDGETS = {
    "short": {"payloads": 6, "targets": 8, "panels": 1, "forms": 2, "logins": 2},
    "default": {
        "payloads": 20,
        "targets": len(REDIRECT_CORPUS),
        "panels": 4,
        "forms": 20,
        "logins": 6,
    },
    "long": {
        "payloads": len(XSS_SOAK_CORPUS),
        "targets": len(REDIRECT_CORPUS),
        "panels": len(XSS_SOAK_CORPUS),
        "forms": len(XSS_SOAK_CORPUS),
        "logins": len(REDIRECT_CORPUS),
    },
}
GRAPH_READY = '#graph[data-state="drawn"]'
TREE_READY = '#tree[data-state="drawn"]'


def _navigation(site: Site) -> list[str]:
    """Every page of the dashboard's navigation, as the app names it."""
    from flask import url_for

    from wom.web.dashboard import NAV

    with site.app.test_request_context():
        return [url_for(item.endpoint) for item in NAV]


def pages(site: Site, planted: Planted, panels: int) -> list[tuple[str, str | None]]:
    """Every page that shows a payload: ``(path, selector it is ready at)``."""
    found: list[tuple[str, str | None]] = [("/", None), ("/join", None)]
    for path in _navigation(site):
        found.append((path, GRAPH_READY if path.endswith("/graph") else None))
    found += [
        ("/dashboard?range=all", None),
        ("/dashboard/spread?by=depth", None),
        ("/dashboard/figures", None),
        ("/dashboard/account", None),
        (f"/dashboard/webhooks/{planted.endpoint}", None),
    ]
    for i, payload in enumerate(planted.payloads):
        referrer, asked = planted.referrers[i], quote(payload, safe="")
        found += [
            (f"/r/{planted.codes[i]}", None),
            (planted.shares[i], None),
            (f"/dashboard/spread/{referrer}", TREE_READY),
            # The payload in a link someone sends the owner, or a visitor.
            (f"/dashboard/graph?focus={asked}", GRAPH_READY),
            (f"/dashboard/spread?by={asked}", None),
            (f"/dashboard/spread/{asked}", None),
            (f"/r/{asked}", None),
            (f"/?ref={asked}", None),
        ]
        if i < panels:
            found.append((f"/dashboard/graph?focus={referrer}", GRAPH_READY))
    found += [(f"/dashboard/webhooks/{e}", None) for e in planted.named_endpoints]
    return found


def _forms_sent_back(watched: Watched, planted: Planted, count: int) -> None:
    """Send payloads through the sign-up form in a way it refuses (too long, no
    email), so that the form comes back holding what was typed."""
    page = watched.page
    for code, payload in list(zip(planted.codes, planted.payloads, strict=True))[
        :count
    ]:
        watched.visit(f"/r/{code}")
        watched.at = f"/r/{code} (the form sent back)"
        page.fill("#name", payload + LONG_TEXT[:100])
        page.fill("#email", payload[:200])
        page.fill("#heard_from", payload)
        # The browser's own checks would stop the form before it is sent.
        page.evaluate("document.querySelector('form[data-signup]').noValidate = true")
        with page.expect_navigation():
            page.click("form[data-signup] button[type=submit]")
        watched.loads += 1
        watched.settle()


def _log_in(watched: Watched) -> None:
    page = watched.page
    watched.visit("/login")
    page.fill("#email", OWNER_EMAIL)
    page.fill("#password", OWNER_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def _first(found: list) -> str:
    if not found:
        return ""
    # Where first: a long message (a CSP report) would cut the page off.
    return f"first at {found[0][0]}: {found[0][-1]!r}"[:160]


def _must_be_none(name: str, found: list) -> Figure:
    return Figure(CHECK, name, len(found), holds=not found, note=_first(found))


def measure(
    site: Site,
    browser,
    payloads: list[str],
    targets: list[str],
    budget: dict,
    *,
    extra_pages: list[str] = (),
) -> list[Figure]:
    """Plant ``payloads``, open every page in ``browser``, sweep ``targets``;
    the figures. ``extra_pages`` are opened too (a negative control's)."""
    planted = plant(site, payloads)
    owner = site.owner()
    # The background figures (communities, flags) for the pages that show them.
    ran = owner.form("/dashboard/figures", "/dashboard/recompute")
    assert ran.status_code == 303, ran.status_code
    owner.close()
    watched = Watched(browser, site.url)
    try:
        _forms_sent_back(watched, planted, budget["forms"])
        _log_in(watched)
        for path, ready in pages(site, planted, budget["panels"]):
            watched.visit(path, ready=ready)
            watched.settle()
        for path in extra_pages:
            watched.visit(path)
            watched.settle()
        for target in targets:  # Chromium follows ``next`` as the owner
            watched.visit(with_parameter("/login", "next", target))
    finally:
        watched.close()
    sweep = sweep_site(site, planted, targets, logins=budget["logins"])
    return [
        Figure(
            CHECK,
            "payloads",
            len(payloads),
            note=f"of {len(XSS_SOAK_CORPUS)}; in webhook URLs too: "
            f"{len(planted.named_endpoints)}",
        ),
        Figure(CHECK, "page loads in Chromium", watched.loads),
        _must_be_none("dialogs", watched.dialogs),
        _must_be_none("CSP violations", watched.csp_violations),
        _must_be_none("script errors", watched.script_errors),
        _must_be_none("requests to other sites", watched.off_site),
        Figure(
            CHECK,
            "redirect attempts",
            sweep.tried,
            note=f"{len(targets)} targets; {sweep.redirects} redirects followed",
        ),
        _must_be_none("redirects off the site", sweep.off_site),
    ]


def _at_level(level: str, browser) -> list[Figure]:
    budget = BUDGETS[level]
    payloads = XSS_SOAK_CORPUS[: budget["payloads"]]
    targets = REDIRECT_CORPUS[: budget["targets"]]
    with serve(webhook_loopback=True) as site:
        return measure(site, browser, payloads, targets, budget)


def run(level: str, browser=None) -> list[Figure]:
    """The check at ``level``: its figures. In ``browser`` if given (the test
    session's: Playwright's sync API runs one instance per thread), else in a
    Chromium of its own."""
    if browser is not None:
        return _at_level(level, browser)
    try:
        with chromium() as own:
            return _at_level(level, own)
    except BrowserMissing as missing:
        return not_run(CHECK, missing)
