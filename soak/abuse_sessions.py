"""The owner's side of auth, over HTTP: the dashboard without a session, CSRF on
every cookie-authenticated form, session fixation and logout, and a login brute
force from one address."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from limits import parse_many

from soak.abuse_hammer import Hammered, hammer
from soak.abuse_site import OWNER_EMAIL, OWNER_PASSWORD, Client, Site, csrf_token

__all__ = [
    "BruteForce",
    "Fixation",
    "brute_force",
    "csrf_refusals",
    "dashboard_without_session",
    "fixation",
    "forms",
    "routes_under",
]


def routes_under(site: Site, prefix: str, values: dict) -> list[tuple[str, str]]:
    """``(method, path)`` of every route whose rule starts with ``prefix``, its
    parameters filled from ``values``."""
    found = []
    for rule in site.app.url_map.iter_rules():
        if not rule.rule.startswith(prefix) or rule.endpoint == "static":
            continue
        path = rule.build({name: values.get(name, "x") for name in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    return found


def forms(site: Site, values: dict) -> list[tuple[str, str]]:
    """Every POST route of the app outside the API: its cookie-authenticated
    forms."""
    return [
        (method, path)
        for method, path in routes_under(site, "/", values)
        if method == "POST" and not path.startswith("/api/")
    ]


def _refused(answer) -> bool:
    """Whether an answer kept a request without a session out: 400 (no CSRF
    token), 401 (a twin), or a redirect to the login page."""
    if answer.status_code in (400, 401):
        return True
    location = urlsplit(answer.headers.get("Location", ""))
    return answer.status_code == 303 and location.path == "/login"


def dashboard_without_session(site: Site, values: dict, logged_out: Client):
    """Every dashboard route, without a session in four ways: no cookie, a
    made-up cookie, the cookie of a session that logged out, and a stranger's
    session with its CSRF token (from the sign-up page). The routes, and the
    answers that let one in."""
    stranger = site.client()
    token = csrf_token(stranger.get("/join").text)
    forged = site.client()
    forged.http.cookies.set("session", "eyJvd25lcl9zZXNzaW9uIjoieCJ9.forged.sig")
    routes = routes_under(site, "/dashboard", values)
    let_in = []
    for who, client, data in (
        ("no cookie", site.client(), {}),
        ("made-up cookie", forged, {}),
        ("logged-out session", logged_out, {}),
        ("stranger with a CSRF token", stranger, {"csrf_token": token}),
    ):
        for method, path in routes:
            answer = client.request(
                method, path, data=data if method == "POST" else None
            )
            if not _refused(answer):
                let_in.append((who, method, path, answer.status_code))
    return routes, let_in


_FIELDS = {
    "/login": {"email": OWNER_EMAIL, "password": OWNER_PASSWORD},
    "/join": {"name": "Cross Site", "email": "cross.site@example.org"},
    "/dashboard/account": {
        "current_password": OWNER_PASSWORD,
        "password": "a new passphrase",
        "confirm": "a new passphrase",
    },
    "/dashboard/webhooks": {
        "url": "http://127.0.0.1:9/hooks",
        "events": "customer.created",
    },
}


def csrf_refusals(site: Site, owner: Client, values: dict) -> tuple[list, list]:
    """Every form, posted by the owner's browser and a stranger's without a
    token and with a token of another session: each must be refused (400). The
    forms, and the posts that were taken."""
    stranger = site.client()
    theirs = csrf_token(stranger.get("/join").text)
    ours = csrf_token(owner.get("/dashboard/account").text)
    taken = []
    routes = forms(site, values)
    for who, client, other in (("owner", owner, theirs), ("stranger", stranger, ours)):
        for _, path in routes:
            fields = _FIELDS.get(path, {})
            for how, token in (("no token", None), ("another session's token", other)):
                data = fields if token is None else {**fields, "csrf_token": token}
                answer = client.post(path, data=data)
                if answer.status_code != 400:
                    taken.append((who, path, how, answer.status_code))
    # The sign-up checks where the form came from too.
    elsewhere = stranger.post(
        "/join",
        data={**_FIELDS["/join"], "csrf_token": theirs},
        headers={"Origin": "https://evil.example"},
    )
    if elsewhere.status_code != 400:
        taken.append(
            ("stranger", "/join", "Origin: another site", elsewhere.status_code)
        )
    stranger.close()
    return routes, taken


@dataclass
class Fixation:
    """What logging in and out did to the session ids."""

    reused: int = 0  # a session id seen before a login, still after it
    before_login_works: int = 0  # the cookie from before the login lets one in
    after_logout_works: int = 0  # the cookie from before the logout lets one in
    notes: list = field(default_factory=list)


def _session_of(site: Site, client: Client) -> dict:
    serializer = site.app.session_interface.get_signing_serializer(site.app)
    cookie = client.http.cookies.get(site.app.config["SESSION_COOKIE_NAME"])
    return serializer.loads(cookie) if cookie else {}


def fixation(site: Site, logins: int = 2) -> tuple[Fixation, Client]:
    """Log in ``logins`` times, keeping the cookie from before each login and
    from before a logout, and try each; the findings, and a browser holding a
    logged-out session's cookie."""
    found = Fixation()
    seen: set[str] = set()
    for _ in range(logins):
        browser = site.client()
        page = browser.get("/login").text  # the session a fixer would plant
        before = browser.tab()
        form = {
            "csrf_token": csrf_token(page),
            "email": OWNER_EMAIL,
            "password": OWNER_PASSWORD,
        }
        assert browser.post("/login", data=form).status_code == 303
        session_id = _session_of(site, browser).get("owner_session")
        if session_id in seen or session_id == _session_of(site, before).get(
            "owner_session"
        ):
            found.reused += 1
        seen.add(session_id)
        if before.get("/dashboard.json").status_code != 401:
            found.before_login_works += 1
        kept = browser.tab()
        token = csrf_token(browser.get("/dashboard/account").text)
        assert browser.post("/logout", data={"csrf_token": token}).status_code == 303
        for client in (kept, browser):
            if client.get("/dashboard.json").status_code != 401:
                found.after_logout_works += 1
        before.close()
        browser.close()
    return found, kept


@dataclass
class BruteForce:
    """A password guessed from one address by many threads at once."""

    limit: int
    window: int  # seconds
    tried: int
    threads: int
    guessed: Hammered
    right_password_over_limit: int = 0  # its status
    right_password_elsewhere: int = 0


def brute_force(site: Site, tries: int, threads: int) -> BruteForce:
    """``tries`` wrong passwords from one address (``threads`` at once), then
    the right one from it, then from another address."""
    settings = site.app.extensions["wom.link_cache"].settings()
    tightest = min(parse_many(settings["login_rate_limit"]), key=lambda i: i.amount)
    address = "198.51.100.66"

    def open_client() -> Client:
        client = site.client(address=address)
        client.token = csrf_token(client.get("/login").text)
        return client

    def guess(client: Client, n: int):
        form = {"csrf_token": client.token, "email": OWNER_EMAIL, "password": f"{n}"}
        return client.post("/login", data=form)

    guessed = hammer(open_client, guess, tries, threads)
    found = BruteForce(tightest.amount, tightest.get_expiry(), tries, threads, guessed)
    for where in (address, "198.51.100.67"):
        client = site.client(address=where)
        status = client.log_in().status_code
        client.close()
        if where == address:
            found.right_password_over_limit = status
        else:
            found.right_password_elsewhere = status
    return found
