"""What the ingest benchmark serves and sends: wom under gunicorn on a fresh
database, and a deterministic stream of mixed events in the API's shape."""

from __future__ import annotations

import http.client
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BATCH = 10_000
SEED_CUSTOMERS = 1_000
START = datetime(2026, 1, 1, tzinfo=UTC)

__all__ = [
    "BATCH",
    "SEED_CUSTOMERS",
    "START",
    "Server",
    "largest_reach_in_store",
    "make_events",
    "server_cpu_seconds",
    "through_api",
]


def make_events(count: int, seed: int = 0) -> list[dict]:
    """A deterministic stream of every event type, roughly in time order.

    Sign-ups of new customers (some through the seed customers' links, some with
    an email), mentions and "heard from" answers between customers and new
    prospects, imported referrals and purchases.
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
        else:
            event = {
                "type": "purchase",
                "customer": rng.choice(customers),
                "value": round(rng.paretovariate(1.5) * 10, 2),
                "at": at,
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
            "WOM_WEBHOOK_KEY": "w" * 64,
            "PYTHONPATH": str(REPO),
        }
        self.process: subprocess.Popen | None = None
        # Where gunicorn's output goes (a file open for writing); None: inherited.
        self.output = None

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
            stdout=self.output,
            stderr=None if self.output is None else subprocess.STDOUT,
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


def through_api(
    server: Server, token: str, events: list[dict], in_flight: int
) -> float:
    """Send every batch (``in_flight`` at a time); the seconds it took."""
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
    threads = [threading.Thread(target=worker) for _ in range(in_flight)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"batches failed: {failures[:3]}")
    return elapsed


def largest_reach_in_store(path: Path) -> tuple[str, int]:
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
