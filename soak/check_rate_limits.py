"""Check 7, rate limits: they hold in total across threads, and a 429 says when
to come back.

The server runs as production does (gunicorn, one process, eight threads; the
README's way, bench/serving.py). Each limited road is hit by many threads at
once, all counted against one key: the API by one token, the API by a new
made-up token each time (counted by address), the sign-up form and the login
form from one address. In each window no more requests may pass than the limit
lets through (and some must be refused), counted by when each request that
passed was sent and answered, so that a slow machine stretching a round over
two windows fails nothing; every 429 carries an integer Retry-After no longer
than the window. Rounds are a window apart.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.serving import Gunicorn
from soak import Figure
from soak.abuse_hammer import Hammered, at_once, hammer
from soak.abuse_site import KEYS, OWNER_EMAIL, Client, csrf_token, owner_hash
from wom.store import Store, accounts, now_micros
from wom.store.settings import write_setting

__all__ = ["BUDGETS", "LIMITS", "WINDOW", "measure", "prepare", "run"]

CHECK = "rate_limits"
WINDOW = 15  # seconds
# Each road's limit for the soak (a setting each: the product's defaults count
# per minute or hour, too long to wait for between rounds).
LIMITS = {
    "api_rate_limit": 20,
    "signup_rate_limit": 8,
    "login_rate_limit": 4,  # each try that passes costs a password check
}
# Per level: rounds (a window apart), threads at once, and requests a round on
# each road as a multiple of its limit.
BUDGETS = {
    "short": {"rounds": 1, "threads": 16, "times_limit": 3},
    "default": {"rounds": 2, "threads": 32, "times_limit": 4},
    "long": {"rounds": 5, "threads": 64, "times_limit": 8},
}


def prepare(store: Store) -> dict:
    """The soak's limits, an owner, and the API token the threads share."""
    with store.write() as db:
        for setting, amount in LIMITS.items():
            write_setting(db, setting, f"{amount} per {WINDOW} seconds")
        if not accounts.has_owner(db):
            accounts.create_owner(db, OWNER_EMAIL, owner_hash(), now_micros())
        token = accounts.create_token(db, "soak-limits", scope="read", now=now_micros())
    return {"token": token}


@dataclass
class Road:
    """A limited road, from its own client address: what a thread opens first
    (a form's page), how it sends a request, and what passing looks like."""

    name: str
    setting: str
    passes: int
    send: Callable
    page: str | None = None


def _form(path: str, **fields) -> Callable:
    def send(client: Client, n: int):
        unique = f"{time.time_ns()}.{n}"
        data = {key: value.format(unique) for key, value in fields.items()}
        return client.post(path, data={"csrf_token": client.token, **data})

    return send


def _api(token: Callable[[int], str]) -> Callable:
    def send(client: Client, n: int):
        headers = {"Authorization": f"Bearer {token(n)}"}
        return client.get("/api/v1/customers?limit=1", headers=headers)

    return send


def _roads(secrets: dict) -> list[Road]:
    return [
        Road("API, one token", "api_rate_limit", 200, _api(lambda n: secrets["token"])),
        Road(
            "API, a made-up token each time",
            "api_rate_limit",
            401,
            _api(lambda n: f"wom_made-up-{n}-{time.time_ns()}"),
        ),
        Road(
            "sign-up form",
            "signup_rate_limit",
            303,
            _form("/join", name="Limited", email="limited.{}@example.org"),
            "/join",
        ),
        Road(
            "login form",
            "login_rate_limit",
            401,
            _form("/login", email=OWNER_EMAIL, password="not it {}"),
            "/login",
        ),
    ]


def _round(base: str, roads: list[Road], budget: dict) -> dict[str, Hammered]:
    """Every road at once, each from its own address by ``threads`` threads."""
    found: dict[str, Hammered] = {}

    def down(road: Road, address: str) -> None:
        def open_client() -> Client:
            client = Client(base, address=address)
            if road.page is not None:
                client.token = csrf_token(client.get(road.page).text)
            return client

        total = LIMITS[road.setting] * budget["times_limit"]
        found[road.name] = hammer(open_client, road.send, total, budget["threads"])

    at_once(
        [
            lambda road=road, n=n: down(road, f"198.51.100.{n + 1}")
            for n, road in enumerate(roads)
        ]
    )
    return found


def measure(base: str, secrets: dict, budget: dict) -> list[Figure]:
    """Hit every road of the site at ``base`` in rounds; the figures."""
    roads = _roads(secrets)
    rounds: list[dict[str, Hammered]] = []
    longest = 0.0
    for n in range(budget["rounds"]):
        if n:
            time.sleep(WINDOW + 1)  # a fresh window
        began = time.monotonic()
        rounds.append(_round(base, roads, budget))
        longest = max(longest, time.monotonic() - began)
    figures = []
    other: set[int] = set()
    for road in roads:
        limit, seen = LIMITS[road.setting], [r[road.name] for r in rounds]
        passed = [hammered.passed for hammered in seen]
        during = [span for hammered in seen for span in hammered.passed_during]
        most = Hammered(passed_during=during).most_passed_within(WINDOW)
        figures.append(
            Figure(
                CHECK,
                f"{road.name}: most passed in a window",
                most,
                holds=most <= limit and all(h.refused for h in seen),
                note=f"limit {limit} per {WINDOW} s; "
                f"{limit * budget['times_limit']} sent by {budget['threads']} "
                f"threads a round; passed {passed}",
            )
        )
        for hammered in seen:
            other |= set(hammered.statuses) - {road.passes, 429}
    everything = [hammered for found in rounds for hammered in found.values()]
    bad = sum(hammered.bad_retry_after(WINDOW + 1) for hammered in everything)
    return figures + [
        # Reported only: passes are counted in any window, however long a round.
        Figure(CHECK, "longest round", round(longest, 1), "s"),
        Figure(CHECK, "429 answers", sum(h.refused for h in everything)),
        Figure(
            CHECK,
            "answers neither the road's own nor 429",
            len(other),
            holds=not other,
            note=f"statuses: {sorted(other)}" if other else "",
        ),
        Figure(
            CHECK, "429 without a Retry-After within the window", bad, holds=not bad
        ),
    ]


def run(level: str) -> list[Figure]:
    """The check at ``level``, against gunicorn as the README runs it."""
    with tempfile.TemporaryDirectory(prefix="wom-soak-") as folder:
        database = Path(folder) / "wom.db"
        store = Store(database)
        store.migrate()
        secrets = prepare(store)
        store.close()
        server = Gunicorn(
            "wom.wsgi:app",
            {
                "WOM_DATABASE": str(database),
                "WOM_SECRET_KEY": KEYS["SECRET_KEY"],
                "WOM_IP_KEY": KEYS["IP_HMAC_KEY"],
                "WOM_WEBHOOK_KEY": KEYS["WEBHOOK_KEY"],
                "WOM_TRUSTED_PROXIES": "1",
            },
            ready_path="/readyz",
            ready_body=b"ready",
        )
        try:
            return measure(server.url, secrets, BUDGETS[level])
        finally:
            server.stop()
            server.log.close()  # its output, kept in a temporary file
