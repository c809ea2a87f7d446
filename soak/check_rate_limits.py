"""Check 7, rate limits: they hold in total across threads, and a 429 says when
to come back.

The server runs as production does (gunicorn, one process, eight threads; the
README's way, bench/serving.py). Each limited road is hit by many threads at
once, all counted against one key: the API by one token, the API by a new
made-up token each time (counted by address), the sign-up form and the login
form from one address. In each window no more requests may pass than the limit
lets through (and some must be refused); every 429 carries an integer
Retry-After no longer than the window. Rounds are a window apart.
"""

from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.serving import Gunicorn
from soak import Figure
from soak.abuse_site import KEYS, OWNER_EMAIL, Client, csrf_token, owner_hash
from wom.store import Store, accounts, now_micros
from wom.store.settings import write_setting

__all__ = ["BUDGETS", "LIMITS", "Road", "measure", "prepare", "run"]

CHECK = "rate_limits"
WINDOW = 15  # seconds
# Each road's limit for the soak (a setting each: the product's defaults count
# per minute or hour, too long to wait for between rounds).
LIMITS = {
    "api_rate_limit": 20,
    "signup_rate_limit": 8,
    "login_rate_limit": 4,  # each try that passes costs a password check
}
# Per level: rounds (a window apart), threads at once, requests a round (per road,
# as a multiple of its limit).
BUDGETS = {
    "short": {"rounds": 1, "threads": 16, "times_limit": 3},
    "default": {"rounds": 2, "threads": 32, "times_limit": 4},
    "long": {"rounds": 5, "threads": 64, "times_limit": 8},
}
ADDRESS = "198.51.100.{}"  # each road its own client address


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
    """A limited road: how one thread sends one request down it."""

    name: str
    setting: str
    address: str
    passes: int  # the status of a request the limit lets through
    send: object  # (client, n) -> response
    opened: object = None  # client -> None: what a thread does first


@dataclass
class Tally:
    """One road's counts over every round."""

    passed: list[int] = field(default_factory=list)  # per round
    refused: int = 0
    bad_retry_after: int = 0
    other: list = field(default_factory=list)  # neither the road's answer nor 429


def _roads(secrets: dict) -> list[Road]:
    def login_page(client):
        client.token = csrf_token(client.get("/login").text)

    def join_page(client):
        client.token = csrf_token(client.get("/join").text)

    return [
        Road(
            "API, one token",
            "api_rate_limit",
            ADDRESS.format(1),
            200,
            lambda c, n: c.get(
                "/api/v1/customers?limit=1",
                headers={"Authorization": f"Bearer {secrets['token']}"},
            ),
        ),
        Road(
            "API, a made-up token each time",
            "api_rate_limit",
            ADDRESS.format(2),
            401,
            lambda c, n: c.get(
                "/api/v1/customers?limit=1",
                headers={"Authorization": f"Bearer wom_made-up-{n}-{time.time_ns()}"},
            ),
        ),
        Road(
            "sign-up form",
            "signup_rate_limit",
            ADDRESS.format(3),
            303,
            lambda c, n: c.post(
                "/join",
                data={
                    "csrf_token": c.token,
                    "name": "Limited",
                    "email": f"limited.{time.time_ns()}.{n}@example.org",
                },
            ),
            join_page,
        ),
        Road(
            "login form",
            "login_rate_limit",
            ADDRESS.format(4),
            401,
            lambda c, n: c.post(
                "/login",
                data={
                    "csrf_token": c.token,
                    "email": OWNER_EMAIL,
                    "password": f"no {n}",
                },
            ),
            login_page,
        ),
    ]


def _round(base: str, road: Road, threads: int, total: int, tally: Tally) -> None:
    """``total`` requests down ``road`` from ``threads`` threads started at once."""
    lock = threading.Lock()
    numbers = iter(range(total))
    start = threading.Barrier(threads)
    passed = 0

    def work() -> None:
        nonlocal passed
        client = Client(base, address=road.address)
        if road.opened is not None:
            road.opened(client)
        start.wait()
        while True:
            with lock:
                n = next(numbers, None)
            if n is None:
                break
            answer = road.send(client, n)
            with lock:
                if answer.status_code == 429:
                    tally.refused += 1
                    wait = answer.headers.get("Retry-After", "")
                    if not (wait.isdigit() and 1 <= int(wait) <= WINDOW + 1):
                        tally.bad_retry_after += 1
                else:
                    passed += 1
                    if answer.status_code != road.passes:
                        tally.other.append(answer.status_code)
        client.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    tally.passed.append(passed)


def measure(base: str, secrets: dict, budget: dict) -> list[Figure]:
    """Hit every road of the site at ``base`` in rounds; the figures."""
    roads = _roads(secrets)
    tallies = {road.name: Tally() for road in roads}
    longest = 0.0
    for n in range(budget["rounds"]):
        if n:
            time.sleep(WINDOW + 1)  # a fresh window
        began = time.monotonic()
        rounds = [
            threading.Thread(
                target=_round,
                args=(
                    base,
                    road,
                    budget["threads"],
                    LIMITS[road.setting] * budget["times_limit"],
                    tallies[road.name],
                ),
            )
            for road in roads
        ]
        for thread in rounds:
            thread.start()
        for thread in rounds:
            thread.join()
        longest = max(longest, time.monotonic() - began)
    figures = []
    for road in roads:
        tally, limit = tallies[road.name], LIMITS[road.setting]
        figures.append(
            Figure(
                CHECK,
                f"{road.name}: most passed in a window",
                max(tally.passed),
                holds=max(tally.passed) <= limit and tally.refused > 0,
                note=f"limit {limit} per {WINDOW} s; {limit * budget['times_limit']} "
                f"sent by {budget['threads']} threads, {budget['rounds']} rounds; "
                f"passed {tally.passed}",
            )
        )
    refused = sum(t.refused for t in tallies.values())
    bad = sum(t.bad_retry_after for t in tallies.values())
    other = [status for t in tallies.values() for status in t.other]
    figures += [
        # Counted per round, a round must fit in a window.
        Figure(CHECK, "longest round", round(longest, 1), "s", holds=longest < WINDOW),
        Figure(CHECK, "429 answers", refused),
        Figure(
            CHECK,
            "answers neither the road's own nor 429",
            len(other),
            holds=not other,
            note=f"statuses: {sorted(set(other))}" if other else "",
        ),
        Figure(
            CHECK, "429 without a Retry-After within the window", bad, holds=bad == 0
        ),
    ]
    return figures


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
