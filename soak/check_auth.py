"""Check 6, auth: who gets in, and who must not.

- Every operation of the OpenAPI document with no token, a malformed or an
  unknown one, a revoked one, and each scope below the one it declares: the
  401 or 403 the document lists, never a 2xx (soak/abuse_api_auth.py).
- Every dashboard page and twin, and its forms, without a live session.
- A login brute force from one address, many threads at once: no more tries
  than ``login_rate_limit`` let through, and the right password refused too.
- CSRF: every POST route of the app outside the API (its cookie-authenticated
  forms, enumerated from the URL map) refused without a valid token.
- Session fixation: a new server-side session id at each login; the cookie from
  before a login, and from before a logout, lets nobody in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from soak import Figure
from soak.abuse_api_auth import sweep_api
from soak.abuse_sessions import (
    brute_force,
    csrf_refusals,
    dashboard_without_session,
    fixation,
)
from soak.abuse_site import Site, serve
from wom.store.answers import unresolved_answers
from wom.store.reward_rules import check_rules, set_rules

__all__ = ["BUDGETS", "measure", "run"]

CHECK = "auth"
# Per level: the login limit the brute force meets (the product's default is
# 10 per 15 minutes; each try that gets through costs a password check), how
# many guesses and threads, and how many logins the fixation check makes.
BUDGETS = {
    "short": {
        "login_limit": "4 per 15 minutes",
        "tries": 12,
        "threads": 4,
        "logins": 1,
    },
    "default": {
        "login_limit": "10 per 15 minutes",
        "tries": 40,
        "threads": 8,
        "logins": 2,
    },
    "long": {
        "login_limit": "10 per 15 minutes",
        "tries": 200,
        "threads": 16,
        "logins": 5,
    },
}


def _at(days: int) -> str:
    moment = datetime.now(UTC) - timedelta(days=30 - days)
    return moment.isoformat().replace("+00:00", "Z")


def _reward_rules(site: Site) -> None:
    """A reward for both sides of a sign-up, in force from before the customers
    came (set through the store: the API takes rules from now on only)."""
    since = int((datetime.now(UTC) - timedelta(days=31)).timestamp() * 1_000_000)
    rules = check_rules([{"side": "both", "trigger": "signup", "amount": "5"}], "EUR")
    with site.store.write() as db:
        set_rules(db, rules, effective_at=since, now=since, by="soak")


def prepare(site: Site) -> dict:
    """A customer, a flag, a reward, a stranger's answer to "who told you" and
    a webhook endpoint with a delivery: real values for every path parameter,
    so that a request let in would not stop at a made-up one."""
    site.make_owner()
    _reward_rules(site)
    admin = site.client(token=site.token("admin"))
    for person, email, day in (
        ("auth-a", "auth.a@gmail.com", 0),
        ("auth-b", "autha+b@gmail.com", 2),
    ):
        made = admin.post(
            "/api/v1/customers",
            json={
                "id": person,
                "name": person,
                "email": email,
                "acquired_at": _at(day),
            },
        )
        assert made.status_code in (200, 201), made.text
        if person == "auth-a":
            told = {"type": "referral", "from": "auth-a", "to": "auth-b", "at": _at(1)}
            assert admin.post("/api/v1/events", json=told).status_code == 200
    flag = admin.get("/api/v1/flags").json()["items"][0]["id"]
    reward = admin.get("/api/v1/rewards").json()["items"][0]["id"]
    stranger = site.client()
    joined = stranger.sign_up(
        "/join", name="Auth C", email="auth.c@example.org", heard_from="a stall"
    )
    assert joined.status_code == 303, joined.text
    answer = unresolved_answers(site.store.reader())[0]["id"]
    made = admin.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hooks", "events": ["customer.created"]},
    )
    assert made.status_code == 201, made.text
    endpoint = made.json()["id"]
    assert admin.post(f"/api/v1/webhooks/{endpoint}/test").status_code == 202
    site.app.extensions["wom.webhooks"].deliverer.run_once()
    tries = admin.get(f"/api/v1/webhooks/{endpoint}/deliveries").json()["items"]
    admin.close()
    return {
        "external_id": "auth-a",
        "root_id": "auth-a",
        "flag_id": flag,
        "reward_id": reward,
        "answer_id": str(answer),
        "kind": "gexf",
        "endpoint_id": endpoint,
        "delivery": str(tries[0]["delivery"]) if tries else "1",
    }


def _none(name: str, found: list, note: str = "") -> Figure:
    first = f"first: {found[0]}" if found else ""
    return Figure(
        CHECK,
        name,
        len(found),
        holds=not found,
        note="; ".join(x for x in (note, first) if x)[:160],
    )


def measure(site: Site, budget: dict) -> list[Figure]:
    """The auth figures of ``site``."""
    values = prepare(site)
    document = site.client().get("/api/v1/openapi.json").json()
    api = sweep_api(site, document, values)
    found, logged_out = fixation(site, budget["logins"])
    routes, let_in = dashboard_without_session(site, values, logged_out)
    owner = site.owner(address="198.51.100.10")
    forms, taken = csrf_refusals(site, owner, values)
    still_in = owner.get("/dashboard.json").status_code == 200
    site.settings(login_rate_limit=budget["login_limit"])
    force = brute_force(site, budget["tries"], budget["threads"])
    return [
        Figure(
            CHECK,
            "API operations",
            sum(len(methods) for methods in document["paths"].values()),
            note=f"public: {', '.join(api.public)}",
        ),
        Figure(CHECK, "API calls that must be refused", api.calls),
        _none("API calls let in without the right token", api.let_in),
        _none(
            "API refusals not as documented",
            api.undocumented,
            "401 (WWW-Authenticate) or 403, listed by the operation",
        ),
        _none("operations refused at their declared scope", api.refused_at_scope),
        Figure(CHECK, "dashboard routes", len(routes)),
        _none(
            "dashboard requests let in without a session",
            let_in,
            "no cookie, made-up, logged out, a stranger's",
        ),
        Figure(
            CHECK,
            "login tries let through",
            force.guessed.passed,
            holds=force.guessed.passed <= force.limit and force.guessed.refused > 0,
            note=f"limit {force.limit}; {force.tried} wrong passwords from one "
            f"address, {force.threads} threads",
        ),
        Figure(
            CHECK,
            "right password over the limit let in",
            int(force.right_password_over_limit != 429),
            holds=force.right_password_over_limit == 429,
            note=f"answered {force.right_password_over_limit}; from another "
            f"address {force.right_password_elsewhere}",
        ),
        Figure(
            CHECK,
            "429 without a Retry-After within the window",
            force.guessed.bad_retry_after(force.window),
            holds=force.guessed.bad_retry_after(force.window) == 0,
        ),
        Figure(
            CHECK,
            "cookie-authenticated forms",
            len(forms),
            note="every POST route outside /api",
        ),
        _none("form posts taken without a valid CSRF token", taken),
        Figure(
            CHECK, "owner session kept through refused posts", still_in, holds=still_in
        ),
        Figure(
            CHECK,
            "session ids kept across a login",
            found.reused,
            holds=found.reused == 0,
            note=f"{budget['logins']} logins",
        ),
        Figure(
            CHECK,
            "pre-login cookies let in after login",
            found.before_login_works,
            holds=found.before_login_works == 0,
        ),
        Figure(
            CHECK,
            "sessions usable after logout",
            found.after_logout_works,
            holds=found.after_logout_works == 0,
        ),
    ]


def run(level: str) -> list[Figure]:
    """The check at ``level``: its figures."""
    with serve(TRUSTED_PROXIES=1, webhook_loopback=True) as site:
        return measure(site, BUDGETS[level])
