"""The delivery worker: a thread of the server process that sends the outbox.

Each round fans new messages out to their endpoints, takes the deliveries that
are due, tries them at once (a few threads, each try under its own 5 s deadline,
to the addresses checked just before), and records every try in one
transaction. A failure is tried again after an exponential backoff with jitter
(5 s doubling to an hour, each wait between half and all of it) until a day has
passed; every try carries the same webhook-id. A crash between a try and its
record sends it again on restart: at least once. The clock and the jitter's
random source are parameters, so tests can run a day in a moment.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ..contract.times import now_micros
from ..store import Changes, Store
from ..store.deliveries import Due, Outcome, due, fan_out, prune, record
from . import signing
from .addresses import Policy, Refused
from .sealing import Sealer, WrongKey
from .transport import Answer, post

__all__ = ["Deliverer", "backoff"]

log = logging.getLogger(__name__)

FIRST_WAIT_US = 5 * 1_000_000
LONGEST_WAIT_US = 3600 * 1_000_000
POLL_SECONDS = 1.0
PRUNE_EVERY_US = 3600 * 1_000_000


def backoff(failures: int, rng: random.Random) -> int:
    """Microseconds to wait after the ``failures``-th failed try in a row.

    >>> rng = random.Random(0)
    >>> [round(backoff(n, rng) / 1e6) for n in (1, 2, 3, 12)]
    [4, 9, 11, 2356]
    """
    longest = min(FIRST_WAIT_US * 2 ** min(failures - 1, 30), LONGEST_WAIT_US)
    return longest // 2 + rng.randrange(longest // 2 + 1)


class Deliverer:
    """Sends what the outbox holds; ``run_once`` for one round, ``start`` for the
    thread that runs rounds until ``stop``."""

    def __init__(
        self,
        store: Store,
        sealer: Sealer,
        policy: Policy,
        *,
        clock: Callable[[], int] = now_micros,
        rng: random.Random | None = None,
        send: Callable[..., Answer] = post,
        batch: int = 200,
        senders: int = 8,
    ):
        self.store = store
        self.sealer = sealer
        self.policy = policy
        self.clock = clock
        self.rng = rng or random.Random()
        self.send = send
        self.batch = batch
        self.senders = senders
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pruned_at = 0

    # -- one round -------------------------------------------------------------

    def run_once(self) -> int:
        """Fan out, try every delivery that is due (up to ``batch``), record the
        tries; return how many were tried."""
        now = self.clock()
        if not self._work_waiting(now):
            return 0
        with self.store.write() as db:
            # Nothing the landing pages keep in memory changes (the link cache
            # stays): a delivery round is not a write of clicks, but promises
            # what clicks_only promises.
            db.changes.clicks_only = True
            fan_out(db)
            todo = due(db, now, self.batch)
        if not todo:
            return 0
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.senders, "wom-webhook-send")
        outcomes = list(self._pool.map(self._try, todo))
        with self.store.write() as db:
            db.changes.clicks_only = True
            for public_id in record(db, outcomes, self.clock()):
                log.warning(
                    "webhook endpoint %s disabled: failing for a day", public_id
                )
        return len(todo)

    def _work_waiting(self, now: int) -> bool:
        """A read: are there messages to fan out, or deliveries due?"""
        with self.store.snapshot() as db:
            return bool(
                db.execute(
                    "SELECT (SELECT fanned_upto FROM webhook_state) < "
                    "(SELECT coalesce(max(id), 0) FROM webhook_messages) "
                    "OR EXISTS (SELECT 1 FROM webhook_deliveries "
                    "WHERE state = 'pending' AND next_at <= ?)",
                    [now],
                ).fetchone()[0]
            )

    def _try(self, item: Due) -> Outcome:
        tried_at = self.clock()
        try:
            signing_secrets = [self.sealer.open(item.secret, item.public_id)]
            if item.previous_secret is not None:
                signing_secrets.append(
                    self.sealer.open(item.previous_secret, item.public_id)
                )
            target = self.policy.target(item.url)
        except (Refused, WrongKey) as exc:
            answer = Answer(None, None, f"not sent: {exc}", 0)
        else:
            # The header's time is the wall clock's: receivers check it is recent.
            headers = signing.headers(
                item.message_id, int(time.time()), item.payload, signing_secrets
            )
            answer = self.send(target, item.payload, headers)
        return Outcome(
            item.delivery,
            item.endpoint,
            tried_at,
            answer.status,
            answer.latency_ms,
            answer.error,
            answer.excerpt,
            tried_at + backoff(item.attempts + 1, self.rng),
        )

    def prune(self) -> int:
        """Delete what was delivered or given up more than 30 days ago."""
        now = self.clock()
        with self.store.write() as db:
            db.changes.clicks_only = True  # as in run_once: nothing cached moves
            return prune(db, now)

    # -- the thread ------------------------------------------------------------

    def notice(self, changes: Changes) -> None:
        """A store subscriber: wake the thread when a write added messages."""
        if changes.messages:
            self._wake.set()

    def start(self) -> None:
        """Run rounds in a thread of this process until ``stop`` (once; called
        before every request, so the common case takes no lock)."""
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is not None or self._stopped.is_set():
                return
            self._thread = threading.Thread(
                target=self._run, name="wom-webhooks", daemon=True
            )
            # Before the interpreter's own exit: a try under way ends cleanly.
            threading._register_atexit(self.stop)
            self._thread.start()

    def _run(self) -> None:
        while not self._stopped.is_set():
            tried = 0
            try:
                tried = self.run_once()
                if self.clock() - self._pruned_at > PRUNE_EVERY_US:
                    self._pruned_at = self.clock()
                    self.prune()
            except Exception:  # a bad round must not end the deliveries
                log.exception("a webhook delivery round failed")
            if tried < self.batch:
                self._wake.wait(POLL_SECONDS)
                self._wake.clear()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after its round; tries under way finish first."""
        self._stopped.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
