"""Group commit: the events of many request threads in one durable transaction.

Under ``synchronous=FULL`` every COMMIT waits for the disk (about 1,350 commits/s
on these machines, RELIABILITY.md), so a burst of single clicks committed one by
one is bounded by the disk. Here request threads hand their already-checked events
to one committer thread and wait. The committer takes everything queued, appends
each submission inside one ``store.write()`` transaction, derives once for the
whole batch, commits, and only then wakes the waiters: acknowledged still means
durable, and one sync pays for the whole batch.

Each submission runs in its own SAVEPOINT, so a bad one fails alone and its
waiter gets its own error; the others commit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from .connection import Store
from .derive import Changes, derive_batch
from .errors import StoreLocked
from .ingest import CheckedEvent, IngestResult, append_events, now_micros

__all__ = ["Batcher"]

log = logging.getLogger(__name__)


@dataclass
class _Submission:
    """One caller's events and, once committed (or failed), the outcome."""

    events: Sequence[CheckedEvent]
    source: str
    now: int
    done: threading.Event = field(default_factory=threading.Event)
    result: IngestResult | None = None
    error: BaseException | None = None


class Batcher:
    """Commit the events of concurrent callers together (group commit).

    ``submit`` blocks until the transaction holding the caller's events has
    committed, then returns that submission's ``IngestResult`` (its ``changes``
    describe the whole batch) or raises that submission's error. The committer
    thread starts on the first submission and stops after ``idle_seconds``
    without work, so no thread exists before a fork and none lingers after.

    >>> batcher = Batcher(store=None)
    >>> batcher.pending()
    0
    """

    def __init__(
        self,
        store: Store,
        *,
        max_batch: int = 2_000,
        idle_seconds: float = 5.0,
        timeout: float = 60.0,
    ):
        self.store = store
        self.max_batch = max_batch
        self.idle_seconds = idle_seconds
        self.timeout = timeout
        self._queue: list[_Submission] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.batches = 0
        self.largest_batch = 0

    def pending(self) -> int:
        """How many submissions wait for the committer."""
        with self._cond:
            return len(self._queue)

    def submit(
        self,
        events: Sequence[CheckedEvent],
        *,
        source: str = "web",
        now: int | None = None,
    ) -> IngestResult:
        """Append checked events durably with others'; return once committed."""
        submission = _Submission(
            list(events), source, now_micros() if now is None else now
        )
        with self._cond:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            self._queue.append(submission)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="wom-group-commit", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        if not submission.done.wait(self.timeout):
            # The commit may still land; the caller only learns it was not
            # acknowledged in time.
            raise StoreLocked(
                f"The database did not commit within {self.timeout:.0f}s; try again."
            )
        if submission.error is not None:
            raise submission.error
        return submission.result

    def close(self) -> None:
        """Commit what is queued, then stop the committer thread."""
        with self._cond:
            self._closed = True
            thread = self._thread
            self._cond.notify_all()
        if thread is not None:
            thread.join()

    # -- the committer thread ---------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    if self._closed or not self._cond.wait(self.idle_seconds):
                        if not self._queue:
                            self._thread = None
                            return
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
            self._commit(batch)

    def _commit(self, batch: list[_Submission]) -> None:
        changes = Changes()
        try:
            with self.store.write() as db:
                for submission in batch:
                    self._append(db, submission)
                appended = [s.result for s in batch if s.result and s.result.accepted]
                if appended:
                    lo = min(r.first_seq for r in appended)
                    hi = max(r.last_seq for r in appended)
                    changes = derive_batch(
                        db, lo, hi, identities=_signed_up(db, lo, hi)
                    )
        except BaseException as exc:  # every waiter must wake, whatever happened
            log.exception("group commit of %d submissions failed", len(batch))
            for submission in batch:
                submission.result, submission.error = None, exc
        else:
            for submission in batch:
                if submission.result is not None:
                    submission.result.changes = changes
        self.batches += 1
        self.largest_batch = max(self.largest_batch, len(batch))
        # Wake the waiters first: their COMMIT is done, and the listeners below
        # (the analytics service) need not delay the responses.
        for submission in batch:
            submission.done.set()
        try:
            self.store.notify(changes)
        except Exception:
            log.exception("a store listener failed after a group commit")

    @staticmethod
    def _append(db, submission: _Submission) -> None:
        db.execute("SAVEPOINT submission")
        try:
            # Derivation runs once for the whole batch, in _commit.
            submission.result = append_events(
                db,
                list(submission.events),
                source=submission.source,
                now=submission.now,
                derive=False,
            )
        except Exception as exc:
            db.execute("ROLLBACK TO submission")
            db.execute("RELEASE submission")
            submission.error = exc
        else:
            db.execute("RELEASE submission")


def _signed_up(db, lo: int, hi: int) -> set[int]:
    """People who signed up in ``lo..hi``: the ones whose email may have changed.

    ``append_events`` returns exactly who changed email only when it derives
    itself; a superset is safe, since derivation recomputes dirty rows whole.
    """
    return {
        row[0]
        for row in db.execute(
            "SELECT DISTINCT listener_id FROM events "
            "WHERE seq BETWEEN ? AND ? AND type = 'signup'",
            [lo, hi],
        )
    }
