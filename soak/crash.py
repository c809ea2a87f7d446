"""The crash harness: SIGKILL wom during bulk ingest from four clients, with
webhook deliveries in flight, restart it, and let every client retry what was
not acknowledged, with the same ``Idempotency-Key``.

Each round kills the server at a random point: once a random share of the
batches is acknowledged, a random client's next batch is sent, and as soon as
it has committed (seen by a read-only connection) and before its answer is
read, the whole process group gets SIGKILL after a random few milliseconds
more. That batch is in doubt by construction (stored, never acknowledged); the
other clients are wherever the moment finds them. ``keyed=False`` retries
without keys, the negative control: the same harness then finds duplicates.

Every event names its batch: a sign-up by its customer, a mention by its
channel. Afterwards the file is read directly: every acknowledged event there,
none twice, ``integrity_check`` ok, and every message of the outbox delivered
and received (signature verified) at least once.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from soak.servers import Wom, read_only
from tests.webhook_receiver import Receiver

__all__ = ["CLIENTS", "Outcome", "crash_run"]

CLIENTS = 4
SIGNUPS = 20  # per batch: each a new customer, so a customer.created message
MENTIONS = 230  # per batch
BATCHES_PER_ROUND = 4  # per client
AT = "2026-04-01T00:00:00Z"
WAIT = 120  # seconds any one step may take before the harness gives up


def batch(client: int, number: int) -> tuple[bytes, list[str], list[str]]:
    """One batch as NDJSON, with the customers and the channels it names."""
    customers = [f"k{client}-{number}-{i}" for i in range(SIGNUPS)]
    channels = [f"m{client}-{number}-{i}" for i in range(MENTIONS)]
    events = [{"type": "signup", "customer": c, "at": AT} for c in customers]
    events += [
        {
            "type": "mention",
            "from": customers[i % SIGNUPS],
            "to": f"p{client}-{number}-{i}",
            "at": AT,
            "channel": channel,
        }
        for i, channel in enumerate(channels)
    ]
    return b"\n".join(map(orjson.dumps, events)) + b"\n", customers, channels


@dataclass
class Outcome:
    """What one seed's run found."""

    acknowledged: int = 0  # batches
    events: int = 0  # acknowledged events
    missing: int = 0
    duplicates: int = 0
    integrity: str = ""
    in_doubt: int = 0  # batches whose answer a kill cut off, retried
    replayed: int = 0  # retries answered from the stored response
    refused: list[str] = field(default_factory=list)  # anything but a 200
    restarts: list[float] = field(default_factory=list)  # seconds to /readyz
    size_at_restart: str = ""
    messages: int = 0
    deliveries_unsent: int = 0
    messages_not_received: int = 0
    unverified: int = 0
    sent_again: int = 0  # tries a crash cut off, sent again under their id
    drain_seconds: float = 0.0


class _State:
    """What the clients and the killer share."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.generation = 0  # the server's starts so far
        self.acknowledged: set[tuple[int, int]] = set()
        self.doubt: int | None = None  # the client whose next batch is in doubt
        self.committed = threading.Event()
        self.finished: set[int] = set()

    def wait_restart(self, generation: int) -> bool:
        """Wait until the server has started again after ``generation``."""
        with self.lock:
            return self.lock.wait_for(lambda: self.generation > generation, WAIT)


class _Run:
    def __init__(self, folder: Path, seed: int, rounds: int, keyed: bool):
        self.rng = random.Random(seed)
        self.rounds = rounds
        self.keyed = keyed
        self.per_client = BATCHES_PER_ROUND * (rounds + 1)
        self.server = Wom(folder)
        self.state = _State()
        self.outcome = Outcome()

    # -- a client ----------------------------------------------------------

    def _committed(self, customer: str) -> bool:
        with read_only(self.server.path) as db:
            row = db.execute(
                "SELECT 1 FROM people WHERE external_id = ?", [customer]
            ).fetchone()
        return row is not None

    def _hold_in_doubt(self, customer: str) -> None:
        """Wait until the batch naming ``customer`` committed, then let the
        killer go; its answer is never read."""
        deadline = time.monotonic() + WAIT
        while not self._committed(customer):
            if time.monotonic() > deadline:
                self.outcome.refused.append("an in-doubt batch never committed")
                break
            time.sleep(0.002)
        self.state.committed.set()

    def client(self, me: int) -> None:
        state, server = self.state, self.server
        for number in range(self.per_client):
            body, customers, _ = batch(me, number)
            headers = server.auth() | {"Content-Type": "application/x-ndjson"}
            if self.keyed:
                headers["Idempotency-Key"] = f"c{me}-b{number}"
            first = True
            while True:
                generation = state.generation
                connection = http.client.HTTPConnection(
                    "127.0.0.1", server.port, timeout=WAIT
                )
                try:
                    connection.request("POST", "/api/v1/events", body, headers)
                    with state.lock:
                        held = first and state.doubt == me
                        if held:
                            state.doubt = None
                    if held:
                        self._hold_in_doubt(customers[0])
                        raise ConnectionAbortedError("killed before the answer")
                    response = connection.getresponse()
                    answer = response.read()
                except (OSError, http.client.HTTPException):
                    first = False
                    self.outcome.in_doubt += 1
                    if not state.wait_restart(generation):
                        self.outcome.refused.append("the server never came back")
                        return
                    continue
                finally:
                    connection.close()
                if response.status == 200:
                    replayed = response.headers.get("Idempotent-Replayed") == "true"
                    with state.lock:
                        self.outcome.replayed += replayed
                        state.acknowledged.add((me, number))
                        state.lock.notify_all()
                else:
                    self.outcome.refused.append(f"{response.status}: {answer[:200]!r}")
                break
        with state.lock:
            state.finished.add(me)
            if state.doubt == me:  # chosen as it finished: no batch left to hold
                state.doubt = None
                state.committed.set()
            state.lock.notify_all()

    # -- the killer --------------------------------------------------------

    def _kill_at_a_random_point(self, round_number: int) -> None:
        state, rng = self.state, self.rng
        total = CLIENTS * self.per_client
        share = (round_number + rng.uniform(-0.3, 0.3)) / (self.rounds + 1)
        with state.lock:
            state.lock.wait_for(lambda: len(state.acknowledged) >= share * total, WAIT)
            running = sorted(set(range(CLIENTS)) - state.finished)
            state.committed.clear()
            state.doubt = rng.choice(running) if running else None
        if running:
            state.committed.wait(WAIT)
        time.sleep(rng.uniform(0, 0.05))
        self.server.kill()
        self.outcome.size_at_restart = self.server.size()
        self.server.start()
        with state.lock:
            state.generation += 1
            state.lock.notify_all()

    def run(self, receiver: Receiver) -> Outcome:
        server = self.server
        server.prepare()
        server.start()
        try:
            subscribe = {"url": receiver.url, "events": ["customer.created"]}
            status, answer = server.request(
                "POST",
                "/api/v1/webhooks",
                orjson.dumps(subscribe),
                server.auth("admin") | {"Content-Type": "application/json"},
            )
            if status != 201:
                raise RuntimeError(f"could not subscribe: {status} {answer[:300]!r}")
            receiver.secrets.append(orjson.loads(answer)["secret"])
            clients = [
                threading.Thread(target=self.client, args=(me,), daemon=True)
                for me in range(CLIENTS)
            ]
            for thread in clients:
                thread.start()
            for round_number in range(1, self.rounds + 1):
                self._kill_at_a_random_point(round_number)
            for thread in clients:
                thread.join(WAIT * 2)
            self._drain()
        finally:
            if server.process is not None:
                server.stop()
        self.outcome.restarts = server.starts[1:]
        self._count(receiver)
        return self.outcome

    def _drain(self) -> None:
        """Wait until the outbox is fanned out and nothing is pending."""
        started = time.perf_counter()
        while time.perf_counter() - started < WAIT:
            with read_only(self.server.path) as db:
                waiting = db.execute(
                    "SELECT (SELECT fanned_upto FROM webhook_state) < "
                    "(SELECT coalesce(max(id), 0) FROM webhook_messages) "
                    "OR EXISTS (SELECT 1 FROM webhook_deliveries "
                    "WHERE state = 'pending')"
                ).fetchone()[0]
            if not waiting:
                break
            time.sleep(0.1)
        self.outcome.drain_seconds = round(time.perf_counter() - started, 1)

    # -- what the file holds -----------------------------------------------

    def _count(self, receiver: Receiver) -> None:
        outcome = self.outcome
        with read_only(self.server.path) as db:
            signups = Counter(
                dict(
                    db.execute(
                        "SELECT p.external_id, count(*) FROM events e "
                        "JOIN people p ON p.id = e.listener_id "
                        "WHERE e.type = 'signup' GROUP BY 1"
                    )
                )
            )
            mentions = Counter(
                dict(
                    db.execute(
                        "SELECT channel, count(*) FROM events "
                        "WHERE type = 'mention' GROUP BY 1"
                    )
                )
            )
            outcome.integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
            instance = db.execute("SELECT instance FROM webhook_state").fetchone()[0]
            messages = [row[0] for row in db.execute("SELECT id FROM webhook_messages")]
            outcome.deliveries_unsent = (
                db.execute(
                    "SELECT count(*) FROM webhook_deliveries WHERE state != 'delivered'"
                ).fetchone()[0]
                + len(messages)
                - db.execute("SELECT count(*) FROM webhook_deliveries").fetchone()[0]
            )
        for client, number in self.state.acknowledged:
            _, customers, channels = batch(client, number)
            outcome.acknowledged += 1
            outcome.events += len(customers) + len(channels)
            outcome.missing += sum(signups[c] == 0 for c in customers)
            outcome.missing += sum(mentions[c] == 0 for c in channels)
        outcome.duplicates = sum(n - 1 for n in signups.values() if n > 1) + sum(
            n - 1 for n in mentions.values() if n > 1
        )
        received = {r.message_id for r in receiver.delivered}
        outcome.messages = len(messages)
        outcome.messages_not_received = sum(
            f"msg_{instance}{m:x}" not in received for m in messages
        )
        outcome.unverified = sum(not r.verified for r in receiver.receipts)
        outcome.sent_again = len(receiver.receipts) - len(
            {r.message_id for r in receiver.receipts}
        )


def crash_run(folder: Path, seed: int, rounds: int, *, keyed: bool = True) -> Outcome:
    """One seed: ``rounds`` kills during bulk ingest from four clients, with a
    slow loopback receiver subscribed to every new customer."""
    with Receiver(delay=0.01) as receiver:
        return _Run(folder, seed, rounds, keyed).run(receiver)
