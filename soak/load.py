"""The load harness: many clients at once on each surface of wom in turn, for a
fixed time each, against the production configuration.

wom runs as the README serves it in production (gunicorn gthread, one worker,
eight threads, ``WOM_HTTPS=1``, ``WOM_TRUSTED_PROXIES=1``) with the settings'
default rate limits. Each client thread plays the proxy in front: one keep-alive
connection carrying many visitors, each with its own address in
``X-Forwarded-For`` and its own user agent, so that a visitor's limits are a
visitor's. The surfaces, one after the other:

- landing: ``/r/<code>``, every request a new visitor, while one visitor floods
  one link (``hot link``);
- sign-up: a new visitor opens a link and sends its form with the CSRF token;
- ingest: NDJSON batches to ``/api/v1/events``, each client its own write token;
- dashboard: the owner's session in every client, Overview and Customers;
- webhooks: an endpoint on a loopback receiver subscribed to new customers,
  fed sign-ups through the API; deliveries timed from their records
  (soak/load_webhooks.py).

Every answer is timed and judged; what is not the expected status (a 5xx, a
429, a broken connection) is an error of its surface.
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import orjson

from soak.load_webhooks import webhooks
from soak.servers import (
    OWNER_EMAIL,
    OWNER_PASSWORD,
    Client,
    Wom,
    csrf_token,
)
from tests.webhook_receiver import Receiver
from wom.store import Store, accounts, now_micros

__all__ = ["PRODUCTION", "SURFACES", "Loaded", "Surface", "load_run"]

PRODUCTION = {"WOM_HTTPS": "1", "WOM_TRUSTED_PROXIES": "1"}
SURFACES = ("landing", "hot link", "sign-up", "ingest", "dashboard", "webhooks")
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 load"
REFERRERS = 10
BATCH = 100  # events in an ingest request
PAGES = ("/dashboard", "/dashboard/customers")
OWNER = 1_000_000  # the owner's browsers, as visitors: past the others
EVENTS = "/api/v1/events"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
NDJSON = {"Content-Type": "application/x-ndjson"}


@dataclass
class Surface:
    """What the clients of one surface saw: each answer's time, and errors."""

    name: str
    clients: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # ms
    errors: int = 0
    samples: list[str] = field(default_factory=list)  # the first few errors
    note: str = ""

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.samples) < 3:
            self.samples.append(what[:200])

    @property
    def rate(self) -> float:
        """Answers (or deliveries) a second."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0


@dataclass
class Loaded:
    """The surfaces, and the server's state after the run."""

    surfaces: dict[str, Surface]
    peak_rss_mib: float | None = None
    size: str = ""
    tracebacks: list[str] = field(default_factory=list)


def visitor(n: int) -> dict:
    """What the proxy forwards for visitor ``n``: an address and an agent.

    >>> visitor(70000)["X-Forwarded-For"]
    '10.1.17.112'
    """
    address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
    return {
        "X-Forwarded-For": address,
        "X-Forwarded-Proto": "https",
        "User-Agent": f"{BROWSER}/{n}",
    }


def batch(n: int) -> bytes:
    """Ingest request ``n``: new customers, their mentions and purchases."""
    at = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    events = []
    for i in range(BATCH):
        who, kind = f"l{n}-{i % 40}", i % 10
        if kind < 4:
            events.append({"type": "signup", "customer": who, "at": at})
        elif kind < 7:
            mention = {"type": "mention", "from": who, "to": f"q{n}-{i}", "at": at}
            events.append(mention)
        else:
            events.append({"type": "purchase", "customer": who, "value": 9.5, "at": at})
    return b"\n".join(map(orjson.dumps, events)) + b"\n"


class _Run:
    def __init__(self, folder: Path, seconds: float, clients: int, break_in):
        self.server = Wom(folder)
        self.server.env |= PRODUCTION
        self.seconds = seconds
        self.clients = clients
        self.break_in = break_in
        self.loaded = Loaded({name: Surface(name) for name in SURFACES})
        self.lock = threading.Lock()
        self.numbers = itertools.count(1)
        self.codes: list[str] = []
        self.tokens: list[str] = []
        self.owner: dict[str, str] = {}
        self.stopping = threading.Event()  # set when the phase's time is up

    # -- one request ---------------------------------------------------------

    def call(
        self, surface, client, method, path, expect, body=None, headers=None, keep=True
    ):
        """One timed request, judged (its time kept unless ``keep`` is false);
        its body, or None when it failed."""
        started = time.perf_counter()
        try:
            status, _, answer = client.call(method, path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            with self.lock:
                surface.error(f"{method} {path}: {exc!r}")
            return None
        took = (time.perf_counter() - started) * 1000
        with self.lock:
            if status != expect:
                surface.error(f"{method} {path}: {status} {answer[:80]!r}")
                return None
            if keep:
                surface.latencies.append(took)
        return answer

    # -- the surfaces' clients -----------------------------------------------

    def landing(self, surface: Surface, me: int, client: Client) -> None:
        n = next(self.numbers)
        client.cookies.clear()
        code = self.codes[n % len(self.codes)]
        self.call(surface, client, "GET", f"/r/{code}", 200, headers=visitor(n))

    def hot_link(self, surface: Surface, me: int, client: Client) -> None:
        code = self.codes[0]
        self.call(surface, client, "GET", f"/r/{code}", 200, headers=visitor(0))

    def sign_up(self, surface: Surface, me: int, client: Client) -> None:
        n = next(self.numbers)
        client.cookies.clear()
        code, headers = self.codes[n % len(self.codes)], visitor(n)
        started = time.perf_counter()
        page = self.call(
            surface, client, "GET", f"/r/{code}", 200, None, headers, keep=False
        )
        if page is None:
            return
        fields = {
            "csrf_token": csrf_token(page),
            "name": f"Load Visitor {n}",
            "email": f"load-{n}@example.org",
            "heard_from": "a friend",
            "ref": code,
        }
        body = urlencode(fields).encode()
        if self.call(
            surface, client, "POST", "/join", 303, body, headers | FORM, keep=False
        ):
            # A sign-up's time is its page's and its form's together.
            took = (time.perf_counter() - started) * 1000
            with self.lock:
                surface.latencies.append(took)

    def ingest(self, surface: Surface, me: int, client: Client) -> None:
        n = next(self.numbers)
        headers = self.api(me) | {"Idempotency-Key": f"load-{n}"}
        self.call(surface, client, "POST", EVENTS, 200, batch(n), headers)

    def dashboard(self, surface: Surface, me: int, client: Client) -> None:
        if not client.cookies:
            client.cookies.update(self.owner)
        page = PAGES[next(self.numbers) % len(PAGES)]
        self.call(surface, client, "GET", page, 200, headers=visitor(OWNER + me))

    # -- the phases ----------------------------------------------------------

    def api(self, me: int) -> dict:
        """The headers of API client ``me``: its own write token, NDJSON."""
        return {"Authorization": f"Bearer {self.tokens[me]}"} | NDJSON

    def surface(self, name: str) -> Surface:
        return self.loaded.surfaces[name]

    def phase(self, parts: list[tuple[Surface, Callable, int]]) -> None:
        """Each part's clients at once for the budget, ``work(surface, me,
        client)`` over and over (the server killed halfway when the run is told
        to break in on one of these surfaces)."""
        stop = self.stopping = threading.Event()

        def loop(surface: Surface, work: Callable, me: int) -> None:
            client = self.server.client()
            try:
                while not stop.is_set():
                    work(surface, me, client)
            except Exception as exc:  # counted, never lost in a thread
                with self.lock:
                    surface.error(f"a client broke: {exc!r}")
            finally:
                client.close()

        threads = []
        for surface, work, count in parts:
            surface.clients = count
            threads += [
                threading.Thread(target=loop, args=(surface, work, me))
                for me in range(count)
            ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        if self.break_in in {surface.name for surface, _, _ in parts}:
            stop.wait(self.seconds / 2)
            self.server.kill()
        stop.wait(self.seconds - (time.perf_counter() - started))
        stop.set()
        for thread in threads:
            thread.join(60)
        for surface, _, _ in parts:
            surface.seconds = time.perf_counter() - started

    # -- set-up and the run --------------------------------------------------

    def prepare(self) -> None:
        """The owner, tokens; a write token for each client (several API
        clients, each under the default limit of its own token)."""
        self.server.prepare(owner=True, raise_limits=False)
        store = Store(self.server.path)
        try:
            with store.write() as db:
                self.tokens = [
                    accounts.create_token(
                        db, f"load-{i}", scope="write", now=now_micros()
                    )
                    for i in range(self.clients)
                ]
        finally:
            store.close()

    def seed(self) -> None:
        """Referrers with links, and the owner's session."""
        at = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        events = [
            {"type": "signup", "customer": f"r{i}", "at": at} for i in range(REFERRERS)
        ]
        self.server.api("POST", "/events", {"events": events})
        for i in range(REFERRERS):
            links = self.server.api("GET", f"/customers/r{i}/links")
            self.codes.append(links["items"][0]["code"])
        client = self.server.client()
        try:
            self.owner = log_in(client, self.server.port)
        finally:
            client.close()

    def sample_rss(self) -> None:
        try:
            rss = self.server.peak_rss_mib()
        except (AttributeError, OSError, ValueError, IndexError):
            return  # no server to read: it was killed
        self.loaded.peak_rss_mib = max(self.loaded.peak_rss_mib or 0, rss)

    def run(self) -> Loaded:
        self.prepare()
        many = self.clients
        on = self.surface
        phases = [
            [
                (on("landing"), self.landing, many - 1),
                (on("hot link"), self.hot_link, 1),
            ],
            [(on("sign-up"), self.sign_up, many)],
            [(on("ingest"), self.ingest, many)],
            [(on("dashboard"), self.dashboard, many)],
        ]
        with Receiver() as receiver:
            self.server.start()
            try:
                self.seed()
                for parts in phases:
                    self.phase(parts)
                    self.sample_rss()
                webhooks(self, self.surface("webhooks"), receiver)
                self.sample_rss()
            finally:
                self.server.stop()
        self.loaded.size = self.server.size()
        self.loaded.tracebacks = self.server.tracebacks()
        return self.loaded


def log_in(client: Client, port: int) -> dict[str, str]:
    """Log in as the owner through the proxy (over HTTPS, so the form's
    CSRF check wants a referrer of this site); the session's cookies."""
    forwarded = visitor(OWNER)
    _, _, page = client.call("GET", "/login", headers=forwarded)
    fields = {
        "csrf_token": csrf_token(page),
        "email": OWNER_EMAIL,
        "password": OWNER_PASSWORD,
    }
    headers = forwarded | FORM | {"Referer": f"https://127.0.0.1:{port}/login"}
    status, _, answer = client.call(
        "POST", "/login", urlencode(fields).encode(), headers
    )
    if status != 303:
        raise RuntimeError(f"the owner could not log in: {status} {answer[:200]}")
    return dict(client.cookies)


def load_run(
    folder: Path, seconds: float, clients: int, break_in: str | None = None
) -> Loaded:
    """Every surface for ``seconds`` with ``clients`` clients against a fresh
    wom; ``break_in``: the surface during which the server is killed, halfway
    (the check's negative control)."""
    return _Run(folder, seconds, clients, break_in).run()
