"""Events through the HTTP API against a raw sqlite3 insert of the same rows.

A fresh database is served by a real gunicorn (``--worker-class gthread --workers 1
--threads 8``, as in production). 1,000,000 events of every type go in as NDJSON,
10,000 per request, with a few requests in flight; every derived table is kept
current per batch, and so is the analytics service (it is loaded before the first
batch, and a figure is checked against the store at the end). In the same run a
raw ``sqlite3.executemany`` of the same rows goes into a bare events table, with
the same batches, WAL and ``synchronous=FULL``.

The API's rate limit is a setting; this benchmark RAISES IT (``api_rate_limit``)
so that loopback traffic is not throttled, and says so when it runs.

``WOM_BENCH_EVENTS`` sets the event count (default 1,000,000) and
``WOM_BENCH_IN_FLIGHT`` the requests in flight (default 3).
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EVENTS = int(os.environ.get("WOM_BENCH_EVENTS", 1_000_000))
BATCH = 10_000
IN_FLIGHT = int(os.environ.get("WOM_BENCH_IN_FLIGHT", 3))  # requests at once
SEED_CUSTOMERS = 1_000
RATE_LIMIT = "1000000 per minute"
START = datetime(2026, 1, 1, tzinfo=UTC)

__all__ = ["main", "make_events", "Server"]


def make_events(count: int, seed: int = 0) -> list[dict]:
    """A deterministic stream of every event type, roughly in time order.

    Sign-ups of new customers (some through the seed customers' links, some with
    an email), mentions and "heard from" answers between customers and new
    prospects, imported referrals, purchases, and clicks by people and bots.
    """
    rng = random.Random(seed)
    customers = [f"s{i}" for i in range(SEED_CUSTOMERS)]
    prospects: list[str] = []
    span = 180 * 86400
    events = []
    for i in range(count):
        at = (START + timedelta(seconds=span * i / count + rng.random())).isoformat()
        roll = rng.random()
        if roll < 0.22:
            name = f"c{i}"
            event = {"type": "signup", "customer": name, "at": at}
            if rng.random() < 0.5:
                event["email"] = f"{name}@example.org"
            if rng.random() < 0.2:
                event["link"] = f"seed-{rng.randrange(SEED_CUSTOMERS)}"
                event["visitor"] = f"v{rng.randrange(1 << 30)}"
            customers.append(name)
        elif roll < 0.45:
            talker = rng.choice(customers)
            if prospects and rng.random() < 0.3:
                listener = rng.choice(prospects)
            else:
                listener = f"p{i}"
                prospects.append(listener)
            if listener != talker:
                kind = "mention" if rng.random() < 0.7 else "heard_from"
                event = {"type": kind, "from": talker, "to": listener, "at": at}
                if rng.random() < 0.3:
                    event["channel"] = rng.choice(["podcast", "dinner", "work"])
            else:
                event = {"type": "signup", "customer": talker, "at": at}
        elif roll < 0.55 and prospects:
            # A prospect who was told converts.
            event = {"type": "signup", "customer": rng.choice(prospects), "at": at}
        elif roll < 0.60:
            talker = rng.choice(customers)
            listener = f"r{i}"
            event = {"type": "referral", "from": talker, "to": listener, "at": at}
            customers.append(listener)
        elif roll < 0.82:
            event = {
                "type": "purchase",
                "customer": rng.choice(customers),
                "value": round(rng.paretovariate(1.5) * 10, 2),
                "at": at,
            }
        else:
            event = {
                "type": "click",
                "link": f"seed-{rng.randrange(SEED_CUSTOMERS)}",
                "visitor": f"v{rng.randrange(1 << 30)}",
                "at": at,
                "user_agent": "Slackbot 1.0"
                if rng.random() < 0.1
                else "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
            }
        if rng.random() < 0.5:
            event["event_id"] = f"e{i}"
        events.append(event)
    return events


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A gunicorn serving wom on a fresh database in ``folder``."""

    def __init__(self, folder: Path, threads: int = 8):
        self.folder = folder
        self.port = _free_port()
        self.threads = threads
        self.env = os.environ | {
            "WOM_DATABASE": str(folder / "wom.db"),
            "WOM_SECRET_KEY": "b" * 64,
            "WOM_IP_KEY": "k" * 64,
            "PYTHONPATH": str(REPO),
        }
        self.process: subprocess.Popen | None = None

    def flask(self, *args: str) -> str:
        """Run a ``flask --app wom`` command against the database; its stdout."""
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "wom", *args],
            env=self.env,
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    def start(self) -> None:
        """Start gunicorn and wait until it answers."""
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--worker-class",
                "gthread",
                "--workers",
                "1",
                "--threads",
                str(self.threads),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "wom.wsgi:app",
            ],
            env=self.env,
            cwd=REPO,
            # Its own process group, so that kill() takes every process it made.
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                # Ready: the analytics service has loaded (see /readyz).
                status, _ = self.request("GET", "/readyz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        """Stop gunicorn (SIGTERM) and wait for it."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None

    def kill(self) -> None:
        """SIGKILL gunicorn, its worker and everything they started, at once."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)
            self.process = None

    def call(self, method, path, body=None, headers=None, timeout=600):
        """One request on a new connection: (status, headers, body bytes)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def request(self, method, path, body=None, headers=None, timeout=600):
        """One request on a new connection: (status, body bytes)."""
        status, _, body = self.call(method, path, body, headers, timeout)
        return status, body


def server_cpu_seconds(server: Server) -> tuple[float, float]:
    """CPU time (user, system) used so far by gunicorn's worker processes."""
    master = server.process.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    ticks = os.sysconf("SC_CLK_TCK")
    user = system = 0.0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        user += int(fields[11]) / ticks
        system += int(fields[12]) / ticks
    return user, system


def _ndjson(batch: list[dict]) -> bytes:
    return b"\n".join(map(orjson.dumps, batch)) + b"\n"


def through_api(server: Server, token: str, events: list[dict]) -> float:
    """Send every batch (``IN_FLIGHT`` at a time); the seconds it took."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/x-ndjson",
    }
    bodies = [_ndjson(events[i : i + BATCH]) for i in range(0, len(events), BATCH)]
    queue = list(enumerate(bodies))[::-1]
    lock = threading.Lock()
    failures = []

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
        while True:
            with lock:
                if not queue or failures:
                    break
                index, body = queue.pop()
            connection.request(
                "POST",
                "/api/v1/events",
                body=body,
                headers=headers | {"Idempotency-Key": f"batch-{index}"},
            )
            response = connection.getresponse()
            answer = response.read()
            if response.status != 200:
                failures.append((index, response.status, answer[:500]))
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(IN_FLIGHT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"batches failed: {failures[:3]}")
    return elapsed


_COLUMNS = (
    "type",
    "at",
    "from",
    "to",
    "customer",
    "link",
    "visitor",
    "value",
    "email",
    "channel",
    "user_agent",
    "event_id",
)


def raw_insert(folder: Path, events: list[dict]) -> float:
    """The same rows into a bare table, same batches, WAL and FULL sync."""
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(
        f"CREATE TABLE events (seq INTEGER PRIMARY KEY, "
        f"{', '.join(f'{name!r}' for name in _COLUMNS)})"
    )
    marks = ", ".join("?" * len(_COLUMNS))
    started = time.perf_counter()
    for i in range(0, len(events), BATCH):
        rows = [tuple(map(e.get, _COLUMNS)) for e in events[i : i + BATCH]]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO events VALUES (NULL, {marks})", rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def _largest_reach_in_store(path: Path) -> tuple[str, int]:
    """The top starter's reach, counted in SQL straight from the credits table."""
    conn = sqlite3.connect(path)
    try:
        top = conn.execute(
            """
            WITH RECURSIVE below(root, customer) AS (
                SELECT c.referrer_id, c.customer_id FROM credits c
                WHERE c.status = 'credited'
                UNION ALL
                SELECT b.root, c.customer_id FROM below b
                JOIN credits c ON c.referrer_id = b.customer AND c.status = 'credited'
            )
            SELECT p.external_id, count(*) AS reach FROM below b
            JOIN people p ON p.id = b.root
            GROUP BY b.root ORDER BY reach DESC, p.external_id LIMIT 1
            """
        ).fetchone()
    finally:
        conn.close()
    return top


def main() -> None:
    print(
        f"NOTE: this benchmark raises the api_rate_limit setting to {RATE_LIMIT!r} "
        "so that loopback traffic is not throttled.",
        flush=True,
    )
    events = make_events(EVENTS)
    with tempfile.TemporaryDirectory(prefix="wom-bench-api-") as name:
        folder = Path(name)
        server = Server(folder)
        server.flask("init-db")
        server.flask("settings", "api_rate_limit", RATE_LIMIT)
        token = server.flask("create-token", "bench")
        server.start()
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        try:
            seeds = [
                {"type": "signup", "customer": f"s{i}", "at": START.isoformat()}
                for i in range(SEED_CUSTOMERS)
            ]
            status, body = server.request(
                "POST", "/api/v1/events", orjson.dumps({"events": seeds}), auth
            )
            assert status == 200, body
            for i in range(SEED_CUSTOMERS):
                status, body = server.request(
                    "POST",
                    f"/api/v1/customers/s{i}/links",
                    orjson.dumps({"code": f"seed-{i}"}),
                    auth,
                )
                assert status == 201, body
            # Load the analytics service now, so that it follows every batch.
            status, _ = server.request("GET", "/api/v1/starters?limit=1", None, auth)
            assert status == 200
            user, system = server_cpu_seconds(server)
            elapsed = through_api(server, token, events)
            user, system = (
                after - before
                for after, before in zip(
                    server_cpu_seconds(server), (user, system), strict=True
                )
            )
            cpu = user + system
            started = time.perf_counter()
            status, body = server.request(
                "GET", "/api/v1/starters?by=reach&limit=1", None, auth
            )
            read = time.perf_counter() - started
            top = orjson.loads(body)["items"][0]
        finally:
            server.stop()
        expected = _largest_reach_in_store(folder / "wom.db")
        raw = raw_insert(folder, events)
    api_rate, raw_rate = EVENTS / elapsed, EVENTS / raw
    print(
        f"events through the API : {EVENTS:>10,} in {elapsed:6.2f}s = "
        f"{api_rate:>10,.0f} events/s (target >= 50,000)"
    )
    print(
        f"raw sqlite3.executemany: {EVENTS:>10,} in {raw:6.2f}s = "
        f"{raw_rate:>10,.0f} events/s"
    )
    print(
        f"server CPU time        : {cpu:6.2f}s ({user:.1f}s user, {system:.1f}s "
        f"system) = {EVENTS / cpu:,.0f} events per CPU-second "
        f"({cpu / elapsed:.2f} cores busy on {os.cpu_count()})"
    )
    print(
        f"ratio API / raw        : {api_rate / raw_rate:.3f} "
        f"(raw is {raw_rate / api_rate:.1f}x faster)"
    )
    print(
        f"service current at the end: top starter {top['id']} reach {top['reach']} "
        f"(store says {expected[0]} {expected[1]}); read in {read * 1000:.0f} ms"
    )
    if (top["id"], top["reach"]) != tuple(expected):
        raise SystemExit("the analytics service is not current with the store")


if __name__ == "__main__":
    main()
