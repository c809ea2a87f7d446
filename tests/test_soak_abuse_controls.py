"""Each abuse check of the soak can fail: with the defence it watches switched
off, on the same app served the same way, its figure fails (the browser
check's control is in tests/browser/test_soak_abuse_controls.py)."""

from __future__ import annotations

import threading

import pytest
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

import soak.check_rate_limits as rate_limits
from soak.abuse_api_auth import sweep_api
from soak.abuse_fraud_scenario import Replayed, build
from soak.abuse_redirects import lands_off_site
from soak.abuse_scan import address_forms, forms, found_in
from soak.abuse_sessions import (
    brute_force,
    csrf_refusals,
    dashboard_without_session,
    fixation,
)
from soak.abuse_site import serve
from soak.check_auth import prepare
from soak.check_fraud import figures as fraud_figures
from soak.check_fraud import judge
from soak.check_fraud import measure as replay_and_judge
from soak.check_privacy import measure as erase_and_scan

pytestmark = pytest.mark.slow

SITE = "http://127.0.0.1:5000/login"


# -- open redirects: the judge reads a Location as a browser does ---------------


@pytest.mark.parametrize(
    "location",
    [
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "https:evil.example",
        "http:\\\\evil.example",
        " //evil.example",
        "//127.0.0.1:5000@evil.example",
        "HTTPS://EVIL.EXAMPLE/",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_a_location_to_another_site_is_off_the_site(location):
    assert lands_off_site(location, SITE)


@pytest.mark.parametrize(
    "location",
    [
        "/dashboard",
        "/dashboard?range=all",
        "/dashboard@evil.example",
        "%2F%2Fevil.example",
        "/%2F/evil.example",
        "http://127.0.0.1:5000/dashboard",
        "http:dashboard",
    ],
)
def test_a_location_on_this_site_stays(location):
    assert not lands_off_site(location, SITE)


# -- auth -----------------------------------------------------------------------


@pytest.fixture
def site():
    with serve(TRUSTED_PROXIES=1, webhook_loopback=True) as site:
        yield site


def test_an_api_that_lets_everyone_in_fails_the_sweep(site, monkeypatch):
    from wom.web.api import auth

    values = prepare(site)
    everything = {r.endpoint for r in site.app.url_map.iter_rules()}
    monkeypatch.setattr(auth, "PUBLIC_ENDPOINTS", everything)
    document = site.client().get("/api/v1/openapi.json").json()
    assert sweep_api(site, document, values).let_in


def test_a_scope_left_unchecked_fails_the_sweep(site, monkeypatch):
    from wom.web.api import auth

    values = prepare(site)
    monkeypatch.setattr(auth, "_needed", lambda: "read")
    document = site.client().get("/api/v1/openapi.json").json()
    let_in = sweep_api(site, document, values).let_in
    assert any(who.endswith("read token") for _, who, _ in let_in)


def test_a_dashboard_open_to_all_fails(site, monkeypatch):
    import wom.web.dashboard as dashboard

    values = prepare(site)
    _, logged_out = fixation(site, 1)
    monkeypatch.setattr(dashboard, "current_owner", lambda: {"id": 1, "email": "x"})
    _, let_in = dashboard_without_session(site, values, logged_out)
    assert let_in


def test_forms_without_csrf_checks_fail(monkeypatch):
    import flask_wtf.csrf

    # The checks off, the pages as they are (each form still carries a token).
    monkeypatch.setattr(flask_wtf.csrf, "validate_csrf", lambda *args: None)
    with serve(TRUSTED_PROXIES=1, webhook_loopback=True) as site:
        values = prepare(site)
        forms, taken = csrf_refusals(site, site.owner(), values)
    assert {path for _, path, *_ in taken} == {path for _, path in forms}


def test_a_logout_that_ends_nothing_fails(site, monkeypatch):
    import wom.actions

    site.make_owner()
    monkeypatch.setattr(wom.actions, "log_out", lambda *args, **kwargs: None)
    found, _ = fixation(site, 1)
    assert found.after_logout_works


def test_a_login_without_a_limit_fails(site, monkeypatch):
    import wom.web.limits

    site.make_owner()
    site.settings(login_rate_limit="1 per 15 minutes")
    monkeypatch.setattr(wom.web.limits, "check", lambda setting, key: None)
    force = brute_force(site, tries=3, threads=2)
    assert force.guessed.passed == 3 > force.limit
    assert force.right_password_over_limit == 303


# -- rate limits ----------------------------------------------------------------


class PerThread:
    """A limiter with a storage per thread: limits that hold in no total."""

    def __init__(self):
        self.local = threading.local()

    def __getattr__(self, name):
        if not hasattr(self.local, "limiter"):
            self.local.limiter = MovingWindowRateLimiter(MemoryStorage())
        return getattr(self.local.limiter, name)


def test_limits_counted_per_thread_fail(monkeypatch):
    small = {"api_rate_limit": 4, "signup_rate_limit": 2, "login_rate_limit": 1}
    monkeypatch.setattr(rate_limits, "LIMITS", small)

    def per_thread(app):
        app.extensions["wom.rate_limits"] = PerThread()

    with serve(TRUSTED_PROXIES=1, extend=per_thread) as site:
        secrets = rate_limits.prepare(site.store)
        budget = {"rounds": 1, "threads": 6, "times_limit": 3}
        found = rate_limits.measure(site.url, secrets, budget)
    failed = {figure.name for figure in found if figure.failed}
    assert "API, one token: most passed in a window" in failed


# -- privacy --------------------------------------------------------------------


def test_the_scans_find_what_is_there(tmp_path):
    stored = tmp_path / "wom.db"
    stored.write_bytes(
        b"\x00Zo\\u00eb\x00" + b"2001:0db8:0000:0000:0000:0000:0000:00fa"
    )
    found = found_in(
        [stored], {"name": forms("Zoë"), "ip": address_forms("2001:db8::fa")}
    )
    assert found == [("wom.db", "name"), ("wom.db", "ip")]


@pytest.fixture(scope="module")
def careless_erasure():
    """The privacy figures with the erasure's scrub and webhook redaction, and
    the IP address's HMAC, switched off."""
    import wom.store.erasure
    import wom.web.visits

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(wom.store.erasure, "scrub", lambda store: True)
        patch.setattr(wom.store.erasure, "redact_from_webhooks", lambda *a: 0)
        patch.setattr(wom.web.visits, "hmac_ip", lambda address, key: address)
        with serve(TRUSTED_PROXIES=1, webhook_loopback=True) as site:
            found = erase_and_scan(site, scrub_deadline=0.5)
    return {figure.name: figure for figure in found}


@pytest.mark.parametrize(
    "name",
    [
        "her strings in the database file, WAL and backup after",
        "her strings in the webhook outbox after",
        "her strings in the delivery records after",
        "raw client addresses stored",
    ],
)
def test_a_careless_erasure_fails(careless_erasure, name):
    assert careless_erasure[name].failed


def test_the_aggregates_hold_even_so(careless_erasure):
    assert not careless_erasure["aggregate figures unchanged"].failed


# -- fraud ----------------------------------------------------------------------


def test_the_scenario_fails_with_the_ring_detector_off(monkeypatch):
    import wom.analytics.fraud

    def no_rings(H, limit):
        return {"rings": [], "truncated": False}

    monkeypatch.setattr(wom.analytics.fraud, "_rings_of", no_rings)
    with serve(TRUSTED_PROXIES=1) as site:
        verdict = replay_and_judge(site, 0)
    assert verdict.missed == ["ring 0", "ring 1", "ring 2"]
    assert fraud_figures([verdict], (0,))[0].failed


@pytest.fixture
def planted():
    """Scenario 0 with made-up ids, and every flag its planted cases need."""
    scenario = build(0)
    made = Replayed(ids={p.key: f"id-{p.key}" for p in _everyone(scenario)})
    ids = made.ids
    flags = [_flag("self_referral", ids[a.key], ids[c.key]) for c, a in scenario.cheats]
    flags += [
        _flag("ring", members=[ids[p.key] for p in ring]) for ring in scenario.rings
    ]
    flags += [
        _flag("burst", referrer=ids[scenario.fraudster.key]),
        _flag("click_flood", referrer=ids[scenario.flooded.key]),
    ]
    credits = {
        f.key: {"id": ids[r.key], "status": "credited"} for r, f, _ in scenario.friends
    }
    return scenario, made, flags, credits


def _everyone(scenario):
    return [
        *scenario.referrers,
        *(friend for _, friend, _ in scenario.friends),
        *(p for pair in scenario.cheats for p in pair),
        *(p for ring in scenario.rings for p in ring),
        scenario.fraudster,
        *scenario.accounts,
    ]


def _flag(kind, customer=None, referrer=None, members=()):
    return {
        "kind": kind,
        "customer": customer,
        "referrer": referrer,
        "members": list(members),
    }


def test_every_case_flagged_is_full_recall_and_precision(planted):
    verdict = judge(*planted)
    assert (verdict.caught, verdict.planted, verdict.right, verdict.flags) == (
        15,
        15,
        15,
        15,
    )


def test_a_flag_on_legitimate_people_lowers_precision(planted):
    scenario, made, flags, credits = planted
    referrer, friend, _ = scenario.friends[0]
    wrong = _flag(
        "burst", referrer=made.ids[referrer.key], members=[made.ids[friend.key]]
    )
    verdict = judge(scenario, made, [*flags, wrong], credits)
    assert (verdict.right, verdict.flags) == (15, 16)


def test_households_held_count_neither_way(planted):
    scenario, made, flags, credits = planted
    homes = [(r, f) for r, f, home in scenario.friends if home]
    held = [_flag("held", made.ids[f.key], made.ids[r.key]) for r, f in homes]
    verdict = judge(scenario, made, [*flags, *held], credits)
    assert (verdict.household_holds, verdict.right, verdict.flags) == (2, 15, 15)


def test_a_friend_credited_to_someone_else_is_voided(planted):
    scenario, made, flags, credits = planted
    _, friend, _ = scenario.friends[3]
    credits[friend.key] = None
    assert judge(scenario, made, flags, credits).voided == [(friend.key, None)]
