"""The load run's webhook surface: an endpoint on a loopback receiver subscribed
to new customers, fed sign-ups through the API for the budget, then each
delivery's time read from its record (from the message's commit to the
delivery's), and the deliveries a second over the span they took.

The feeders hold back while ``WAITING`` messages are sent and not yet received,
so that the outbox works at its pace with a bounded queue, as a steady stream of
events gives it, rather than draining a backlog that grows with the run.
"""

from __future__ import annotations

import itertools
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from soak.servers import percentile, read_only
from tests.webhook_receiver import Receiver

__all__ = ["DRAIN", "FEED", "FEEDERS", "WAITING", "webhooks"]

FEEDERS = 4  # API clients feeding the endpoint
FEED = 20  # sign-ups (so messages) in a request of theirs
WAITING = 400  # most messages sent and not yet received before they hold back
DRAIN = 60  # seconds the outbox may take to empty after the feed stops
_DELIVERIES = (
    "SELECT d.state, m.created_at, d.done_at FROM webhook_deliveries d "
    "JOIN webhook_messages m ON m.id = d.message_id "
    "JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE e.public_id = ?"
)


def _signups(n: int) -> bytes:
    """Feed request ``n``: ``FEED`` new customers, one message each."""
    at = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    return b"\n".join(
        orjson.dumps({"type": "signup", "customer": f"w{n}-{i}", "at": at})
        for i in range(FEED)
    )


def webhooks(run, surface, receiver: Receiver) -> None:
    """The surface on ``run`` (soak/load.py's): subscribe, feed for the
    budget, let the outbox empty, and read the deliveries' records."""
    subscribe = {"url": receiver.url, "events": ["customer.created"]}
    try:
        made = run.server.api("POST", "/webhooks", subscribe)
    except (OSError, RuntimeError) as exc:
        surface.error(f"no endpoint: {exc!r}")
        return
    receiver.secrets.append(made["secret"])
    numbers = itertools.count()
    sent = [0]

    def feed(surface, me: int, client) -> None:
        while sent[0] - len(receiver.receipts) > WAITING:
            if run.stopping.wait(0.005):
                return
        body = _signups(next(numbers))
        if run.call(
            surface,
            client,
            "POST",
            "/api/v1/events",
            200,
            body,
            run.api(me),
            keep=False,
        ):
            with run.lock:
                sent[0] += FEED

    run.phase([(surface, feed, FEEDERS)])
    _delivered(run.server.path, surface, made["id"], sent[0], receiver)


def _delivered(path: Path, surface, endpoint: str, messages: int, receiver) -> None:
    """Wait (``DRAIN`` seconds at most) for ``messages`` deliveries to the
    endpoint, then judge them: every one made, every try answered 2xx, every
    signature verified by the receiver."""
    deadline = time.monotonic() + DRAIN
    while True:
        with closing(read_only(path)) as db:
            rows = db.execute(_DELIVERIES, [endpoint]).fetchall()
            tries = db.execute("SELECT status, latency_ms FROM webhook_attempts")
            tries = tries.fetchall()
        done = [(made, at) for state, made, at in rows if state == "delivered"]
        if len(done) >= messages or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    surface.latencies = [(at - made) / 1000 for made, at in done]
    if done:
        span = max(at for _, at in done) - min(made for made, _ in done)
        surface.seconds = span / 1e6
    if len(done) < messages:
        surface.error(f"{messages - len(done)} of {messages} never delivered")
    refused = sum(status is None or not 200 <= status < 300 for status, _ in tries)
    unverified = len(receiver.receipts) - len(receiver.delivered)
    for what, count in (
        ("a try not answered 2xx", refused),
        ("a delivery whose signature the receiver refused", unverified),
    ):
        for _ in range(count):
            surface.error(what)
    round_trip = percentile([took for _, took in tries], 0.5)
    surface.note = (
        f"{messages:,} messages, feeders held to {WAITING} waiting; "
        f"a try's round trip p50 {round_trip} ms"
    )
