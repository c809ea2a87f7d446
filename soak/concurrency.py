"""The concurrency harness: twenty clients at once against one wom, each doing
what one kind of user does, for a fixed time.

- clickers open referral links (``/r/<code>``), a new browser each time;
- sign-ups open a link, then send its form (with its CSRF token) as a visitor;
- API writers send small batches of events with an Idempotency-Key, and read
  the top starters after each;
- owners, logged in, open dashboard pages, ask for a recompute and send a test
  webhook from the dashboard (forms with their CSRF tokens);
- reviewers decide the flags they were given, through the API.

Every answer is timed and judged: a 5xx, a "database is locked" anywhere (an
answer or the server's output) and any answer but the expected one count as
errors. Afterwards the file must hold exactly what was acknowledged: the clicks,
the sign-ups, the API's events, the decisions and the test webhooks.
"""

from __future__ import annotations

import http.client
import itertools
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from soak.servers import Client, Wom, csrf_token, read_only
from tests.webhook_receiver import Receiver

__all__ = ["ROLES", "Tally", "concurrency_run"]

# How many of the twenty clients play each part.
ROLES = {"click": 6, "signup": 4, "api": 5, "owner": 3, "review": 2}
REFERRERS = 10
FLAGS = 60  # self-referrals planted for the reviewers
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 soak"
JSON = {"Content-Type": "application/json"}
LOCKED = b"database is locked"


@dataclass
class Tally:
    """What the clients saw, and what the file holds afterwards."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    acknowledged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    stored: dict[str, int] = field(default_factory=dict)
    server_errors: int = 0
    locked: int = 0
    unexpected: list[str] = field(default_factory=list)
    decisions: dict[str, str] = field(default_factory=dict)  # flag -> status
    size: str = ""
    server_log_problems: int = 0

    def mismatches(self) -> list[str]:
        """Each kind whose stored count differs from the acknowledged one."""
        return [
            f"{kind}: {self.acknowledged.get(kind, 0)} acknowledged, {stored} stored"
            for kind, stored in self.stored.items()
            if stored != self.acknowledged.get(kind, 0)
        ]


class _Run:
    def __init__(self, folder: Path, seconds: float, seed: int):
        self.server = Wom(folder)
        self.seconds = seconds
        self.seed = seed
        self.tally = Tally()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.codes: list[str] = []
        self.flags: list[str] = []
        self.endpoint = ""
        self.counter = itertools.count()
        self.clients: list[Client] = []

    def client(self) -> Client:
        """A new client of the server, closed at the end of the run if its part
        has not closed it (a part that breaks leaves its connection open)."""
        client = self.server.client()
        with self.lock:
            self.clients.append(client)
        return client

    # -- judging an answer ---------------------------------------------------

    def call(
        self, client: Client, kind: str, expect: int, method: str, path: str, **kwargs
    ) -> tuple[int, bytes] | None:
        """One timed request; None when it failed (and is counted so)."""
        started = time.perf_counter()
        try:
            if "form" in kwargs:
                status, _, body = client.form(path, kwargs["form"])
            else:
                status, _, body = client.call(
                    method, path, kwargs.get("body"), kwargs.get("headers")
                )
        except (OSError, http.client.HTTPException) as exc:
            with self.lock:
                self.tally.unexpected.append(f"{kind} {path}: {exc!r}")
            return None
        took = (time.perf_counter() - started) * 1000
        with self.lock:
            self.tally.latencies[kind].append(took)
            self.tally.server_errors += status >= 500
            self.tally.locked += LOCKED in body
            if status != expect:
                self.tally.unexpected.append(f"{kind} {method} {path}: {status}")
                return None
        return status, body

    def acknowledge(self, kind: str, count: int = 1) -> None:
        with self.lock:
            self.tally.acknowledged[kind] += count

    # -- the parts -----------------------------------------------------------

    def clicker(self, me: int) -> None:
        rng = random.Random(self.seed * 100 + me)
        while not self.stop.is_set():
            client = self.client()
            agent = {"User-Agent": f"{BROWSER}/{me}-{next(self.counter)}"}
            if self.call(
                client,
                "click",
                200,
                "GET",
                f"/r/{rng.choice(self.codes)}",
                headers=agent,
            ):
                self.acknowledge("click")
            client.close()

    def signup(self, me: int) -> None:
        rng = random.Random(self.seed * 100 + me)
        while not self.stop.is_set():
            client = self.client()
            code = rng.choice(self.codes)
            agent = {"User-Agent": f"{BROWSER}/{me}-{next(self.counter)}"}
            page = self.call(client, "click", 200, "GET", f"/r/{code}", headers=agent)
            if page is None:
                continue
            self.acknowledge("click")
            number = next(self.counter)
            fields = {
                "csrf_token": csrf_token(page[1]),
                "name": f"Soak Visitor {number}",
                "email": f"soak-{number}@example.org",
                "heard_from": rng.choice(["", "a friend", "the podcast"]),
                "ref": code,
            }
            if self.call(client, "signup", 303, "POST", "/join", form=fields):
                self.acknowledge("signup")
            client.close()

    def api(self, me: int) -> None:
        client = self.client()
        headers = self.server.auth() | JSON
        while not self.stop.is_set():
            number = next(self.counter)
            at = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
            events = [
                {"type": "signup", "customer": f"a{number}-{i}", "at": at}
                for i in range(3)
            ]
            events += [
                {
                    "type": "mention",
                    "from": f"a{number}-{i % 3}",
                    "to": f"q{number}-{i}",
                    "at": at,
                    "channel": "soak",
                }
                for i in range(4)
            ]
            events += [
                {
                    "type": "purchase",
                    "customer": f"a{number}-{i}",
                    "value": 12.5,
                    "at": at,
                }
                for i in range(3)
            ]
            body = orjson.dumps({"events": events})
            keyed = headers | {"Idempotency-Key": f"api-{number}"}
            if self.call(
                client,
                "api write",
                200,
                "POST",
                "/api/v1/events",
                body=body,
                headers=keyed,
            ):
                self.acknowledge("api event", len(events))
            self.call(
                client,
                "api read",
                200,
                "GET",
                "/api/v1/starters?limit=5",
                headers=headers,
            )

    def owner(self, me: int) -> None:
        client = self.client()
        client.log_in()
        pages = [
            "/dashboard",
            "/dashboard/graph.json",
            "/dashboard/spread",
            "/dashboard/webhooks",
            "/dashboard/account",
        ]
        for turn in itertools.count():
            if self.stop.is_set():
                break
            self.call(client, "dashboard page", 200, "GET", pages[turn % len(pages)])
            if turn % 3 == me % 3:
                figures = self.call(
                    client, "dashboard page", 200, "GET", "/dashboard/figures"
                )
                if figures and self.call(
                    client,
                    "dashboard action",
                    303,
                    "POST",
                    "/dashboard/recompute",
                    form={"csrf_token": csrf_token(figures[1])},
                ):
                    self.acknowledge("recompute")
            if turn % 4 == me % 4:
                where = f"/dashboard/webhooks/{self.endpoint}"
                found = self.call(client, "dashboard page", 200, "GET", where)
                if found and self.call(
                    client,
                    "dashboard action",
                    303,
                    "POST",
                    where + "/test",
                    form={"csrf_token": csrf_token(found[1])},
                ):
                    self.acknowledge("test webhook")

    def reviewer(self, me: int) -> None:
        client = self.client()
        headers = self.server.auth() | JSON
        mine = self.flags[me :: ROLES["review"]]
        # A self-referral is void for good: voiding is the decision it takes.
        for flag in mine:
            if self.stop.is_set():
                break
            if self.call(
                client,
                "flag decision",
                200,
                "POST",
                f"/api/v1/flags/{flag}",
                body=orjson.dumps({"decision": "void"}),
                headers=headers,
            ):
                with self.lock:
                    self.tally.decisions[flag] = "voided"
            self.stop.wait(self.seconds / len(mine))

    # -- the run -------------------------------------------------------------

    def _part(self, part, me: int) -> None:
        """Play one part; a client that breaks is an error of the run."""
        try:
            part(me)
        except Exception as exc:  # counted, never lost in a thread
            with self.lock:
                self.tally.unexpected.append(f"{part.__name__} {me} broke: {exc!r}")

    def _seed(self, receiver: Receiver) -> None:
        """Referrers with links, self-referrals to review, and an endpoint."""
        server = self.server
        at = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        events = [
            {"type": "signup", "customer": f"r{i}", "at": at,
             "email": f"referrer{i}@gmail.com"}
            for i in range(REFERRERS)
        ]  # fmt: skip
        server.api("POST", "/events", {"events": events})
        for i in range(REFERRERS):
            links = server.api("GET", f"/customers/r{i}/links")
            self.codes.append(links["items"][0]["code"])
        # A referrer's own address, tagged: a self-referral, flagged for review.
        selves = [
            {"type": "signup", "customer": f"self{i}", "at": at,
             "email": f"referrer{i % REFERRERS}+{i}@gmail.com",
             "link": self.codes[i % REFERRERS]}
            for i in range(FLAGS)
        ]  # fmt: skip
        server.api("POST", "/events", {"events": selves})
        flags = server.api("GET", "/flags?kind=self_referral&limit=1000")
        self.flags = [flag["id"] for flag in flags["items"]]
        subscribe = {"url": receiver.url, "events": ["customer.created"]}
        self.endpoint = server.api("POST", "/webhooks", subscribe)["id"]

    def run(self) -> Tally:
        server = self.server
        server.prepare(owner=True)
        with Receiver() as receiver:
            server.start()
            try:
                self._seed(receiver)
                parts = {
                    "click": self.clicker,
                    "signup": self.signup,
                    "api": self.api,
                    "owner": self.owner,
                    "review": self.reviewer,
                }
                threads = [
                    threading.Thread(
                        target=self._part, args=(parts[role], me), daemon=True
                    )
                    for role, count in ROLES.items()
                    for me in range(count)
                ]
                for thread in threads:
                    thread.start()
                self.stop.wait(self.seconds)
                self.stop.set()
                for thread in threads:
                    thread.join(60)
                self.tally.size = server.size()
                self._decided()
            finally:
                for client in self.clients:
                    client.close()
                server.stop()
        self._count()
        return self.tally

    def _count(self) -> None:
        tally = self.tally
        log = self.server.log_text()
        tally.locked += log.count("database is locked")
        tally.server_log_problems = log.count("Traceback")
        with read_only(self.server.path) as db:
            one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
            tally.stored = {
                "click": one("SELECT coalesce(sum(clicks), 0) FROM click_runs"),
                "signup": one(
                    "SELECT count(*) FROM identities WHERE email LIKE 'soak-%'"
                ),
                "api event": one(
                    "SELECT count(*) FROM events WHERE source = 'soak-write'"
                ),
                "test webhook": one(
                    "SELECT count(*) FROM webhook_messages WHERE type = 'webhook.test'"
                ),
            }
        tally.acknowledged["flag decision"] = len(tally.decisions)

    def _decided(self) -> None:
        """How many flags the API lists as decided as the reviewers were told."""
        status, body = self.server.request(
            "GET",
            "/api/v1/flags?kind=self_referral&status=voided&limit=1000",
            headers=self.server.auth(),
        )
        voided = {flag["id"] for flag in orjson.loads(body)["items"]}
        self.tally.stored["flag decision"] = len(voided & set(self.tally.decisions))


def concurrency_run(folder: Path, seconds: float, seed: int = 0) -> Tally:
    """Twenty clients (``ROLES``) for ``seconds`` against a fresh wom."""
    return _Run(folder, seconds, seed).run()
