"""Group commit: the events of many request threads in one durable transaction.

Under ``synchronous=FULL`` every COMMIT waits for the disk, so a burst of single
clicks committed one by one is bounded by the disk. Here the request threads
share the work: each one queues its already-checked events, and whichever finds
no commit under way becomes the committer for everything queued so far (its own
events included). It appends each submission inside one ``store.write()``
transaction, derives once for the whole batch, commits, and only then wakes the
others: acknowledged still means durable, and one sync pays for the whole batch.
The threads that queued meanwhile form the next batch, and the first of them is
handed the lead; only the callers whose outcome is known, and that next leader,
are woken. No thread of its own: nothing to start after a fork, or to stop.

Each submission runs in its own SAVEPOINT, so a bad one fails alone and its
caller gets its own error; the others commit. Consecutive submissions of plain
clicks (the landing pages') are first tried together, in one ``append_events``
call and without a savepoint, since appending costs about as much for one click as
for ten, and a click is refused before anything is written; if any of them is
refused, each is tried alone. A batch of nothing but clicks says so in what the
store announces after COMMIT (``Changes.clicks_only``), so that what the landing
pages keep in memory (``LinkCache``) knows the write changed none of it.

The landing pages' clicks and the API's event batches each have a Batcher of their
own, so a click never waits behind a bulk batch. A submission may bring a
``within`` callback, run in its savepoint after its append: the API stores its
idempotent response there. It runs in the committing thread, so it must carry
everything it needs (nothing from the submitting request's thread-locals).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlite_utils import Database

from ..contract import CheckedEvent, now_micros
from .changes import Changes
from .connection import Store
from .derive import derive_batch
from .errors import InvalidInput, StoreLocked
from .ingest import IngestResult, append_events

__all__ = ["Batcher"]

log = logging.getLogger(__name__)


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass
class _Submission:
    """One caller's events, its turn to lead, and (once committed) the outcome."""

    events: Sequence[CheckedEvent]
    source: str
    now: int
    # Runs in the submission's savepoint after its append (the API keeps its
    # idempotent response there, so that both commit or neither does).
    within: Callable[[Database, IngestResult], None] | None = None
    # Held until the caller may go on: released once its outcome is known, or
    # when it is handed the lead. A bare lock rather than an Event: one C call
    # to wait or to wake, where an Event runs a Condition's Python code.
    wake: threading.Lock = field(default_factory=_held_lock)
    lead: bool = False
    done: bool = False
    result: IngestResult | None = None
    error: BaseException | None = None


class Batcher:
    """Commit the events of concurrent callers together (group commit).

    ``submit`` returns once the transaction holding the caller's events has
    committed: that submission's ``IngestResult`` (its ``changes`` describe the
    whole batch), or its own error, raised.

    >>> Batcher(store=None).pending()
    0
    """

    def __init__(
        self,
        store: Store,
        *,
        max_batch: int = 2_000,
        timeout: float = 60.0,
    ):
        self.store = store
        self.max_batch = max_batch
        self.timeout = timeout
        self._queue: list[_Submission] = []
        self._lock = threading.Lock()
        self._committing = False
        self.batches = 0
        self.largest_batch = 0

    def pending(self) -> int:
        """How many submissions wait for a commit to start."""
        with self._lock:
            return len(self._queue)

    def submit(
        self,
        events: Sequence[CheckedEvent],
        *,
        source: str = "web",
        now: int | None = None,
        within: Callable[[Database, IngestResult], None] | None = None,
    ) -> IngestResult:
        """Append checked events durably with others'; return once committed.

        ``within(db, result)`` runs inside the transaction, with this
        submission's own result, and fails the submission alone if it raises.
        """
        mine = _Submission(
            list(events), source, now_micros() if now is None else now, within
        )
        with self._lock:
            self._queue.append(mine)
            if not self._committing:
                # Nobody is committing: this thread commits everything queued.
                self._committing = mine.lead = True
        if not mine.lead and not mine.wake.acquire(timeout=self.timeout):
            with self._lock:
                if mine in self._queue and not mine.lead:
                    # Not yet in a transaction: it will never be written.
                    self._queue.remove(mine)
                    raise StoreLocked(
                        f"The database did not commit within {self.timeout:.0f}s; "
                        "try again."
                    )
            # Taken into a transaction (or handed the lead) just in time.
            mine.wake.acquire()
        if not mine.done:
            self._lead()
        if mine.error is not None:
            raise mine.error
        return mine.result

    def _lead(self) -> None:
        """Commit what is queued (the store announces it to its subscribers), then
        wake its callers and the next leader."""
        with self._lock:
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
        later: list = []
        try:
            # The subscribers' rest of work (the analytics service following
            # the batch) runs once the others are on their way: they promise
            # that a read waits for it, and the next batch need not.
            with self.store.deferring() as later:
                self._commit(batch)
        finally:
            with self._lock:
                for submission in batch:
                    submission.done = True
                following = self._queue[0] if self._queue else None
                if following is None:
                    self._committing = False
                else:
                    # Whoever queued during this commit leads the next one.
                    following.lead = True
            # Wake only those whose outcome is known, and the next leader.
            for submission in batch:
                submission.wake.release()
            if following is not None:
                following.wake.release()
        self.store.run_later(later)

    def _commit(self, batch: list[_Submission]) -> Changes:
        changes = Changes()
        clicks_only = all(event.type == "click" for s in batch for event in s.events)
        try:
            with self.store.write() as db:
                for run in _runs(batch):
                    if not (_plain_clicks(run[0]) and self._append_together(db, run)):
                        for submission in run:
                            self._append(db, submission)
                appended = [
                    s.result
                    for s in batch
                    if s.result is not None and s.result.first_seq is not None
                ]
                if appended:
                    lo = min(r.first_seq for r in appended)
                    hi = max(r.last_seq for r in appended)
                    signups = any(
                        event.type == "signup" for s in batch for event in s.events
                    )
                    derive_batch(
                        db,
                        lo,
                        hi,
                        identities=_signed_up(db, lo, hi) if signups else set(),
                        # Of every submission, appended or not: never too few.
                        kinds={e.type for s in batch for e in s.events},
                    )
                # What the landing pages keep in memory (the link cache) stands
                # through a write of clicks alone.
                db.changes.clicks_only = clicks_only
                # What the store announces after COMMIT: the whole batch's.
                changes = db.changes
        except BaseException as exc:  # every waiter must learn, whatever happened
            log.exception("group commit of %d submissions failed", len(batch))
            for submission in batch:
                submission.result, submission.error = None, exc
        else:
            for submission in batch:
                if submission.result is not None:
                    submission.result.changes = changes
        self.batches += 1
        self.largest_batch = max(self.largest_batch, len(batch))
        return changes

    @staticmethod
    def _append_together(db, run: list[_Submission]) -> bool:
        """Append a run of plain clicks with one ``append_events`` call; False
        (and nothing written) if any of them is refused, so each is tried alone.

        No savepoint: a plain click is refused (its link unknown or switched
        off) before anything is written, and any other failure fails the batch.
        """
        events = [event for submission in run for event in submission.events]
        try:
            together = append_events(
                db,
                events,
                source=run[0].source,
                # They arrived within one commit of each other; all by this time.
                now=max(submission.now for submission in run),
                derive=False,
            )
        except InvalidInput:
            return False
        if together.accepted != len(events):
            raise RuntimeError("a plain click was not appended")
        db.changes.merge(together.changes)
        # Each submission's own rows (a repeat click has none: its run counts it).
        seqs = iter(together.seqs)
        for submission in run:
            mine = [next(seqs) for _ in submission.events]
            rows = [seq for seq in mine if seq is not None]
            submission.result = IngestResult(
                accepted=len(mine),
                first_seq=rows[0] if rows else None,
                last_seq=rows[-1] if rows else None,
                seqs=mine,
            )
        return True

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
            if submission.within is not None:
                submission.within(db, submission.result)
        except Exception as exc:
            db.execute("ROLLBACK TO submission")
            db.execute("RELEASE submission")
            submission.error = exc
        else:
            db.execute("RELEASE submission")
            db.changes.merge(submission.result.changes)


def _plain_clicks(submission: _Submission) -> bool:
    """Clicks without a client ``event_id`` or a ``within``: each one becomes
    exactly one row, and nothing else is written for them."""
    return (
        bool(submission.events)
        and submission.within is None
        and all(
            event.type == "click" and event.event_id is None
            for event in submission.events
        )
    )


def _runs(batch: list[_Submission]) -> Iterator[list[_Submission]]:
    """The batch in order, with consecutive plain clicks of one source together
    (appended by one call) and every other submission alone."""
    run: list[_Submission] = []
    for submission in batch:
        if run and not (
            _plain_clicks(submission) and submission.source == run[0].source
        ):
            yield run
            run = []
        run.append(submission)
        if not _plain_clicks(submission):
            yield run
            run = []
    if run:
        yield run


def _signed_up(db, lo: int, hi: int) -> set[int]:
    """People who signed up in ``lo..hi``: the ones whose email may have changed.

    ``append_events`` returns exactly who changed email only when it derives
    itself; a superset is safe, since derivation recomputes dirty rows whole.
    """
    # `+type`: the type index would read every sign-up ever; the range is small.
    return {
        row[0]
        for row in db.execute(
            "SELECT DISTINCT listener_id FROM events "
            "WHERE seq BETWEEN ? AND ? AND +type = 'signup'",
            [lo, hi],
        )
    }
