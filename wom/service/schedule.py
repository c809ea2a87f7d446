"""When the background figures run: after a write that moved the graphs, at most
once a minute, one run at a time, and whenever the owner asks.

What a run computes is ``background.compute``, in one spawned worker process.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ..store import Changes
from .background import compute

__all__ = ["BackgroundFigures", "MIN_GAP", "moves_background"]

log = logging.getLogger(__name__)

#: Seconds between the starts of two runs that writes asked for.
MIN_GAP = 60.0
#: Seconds ``stop`` waits at most for the executor's thread to end.
STOP_WAIT = 5.0
# Settings that a run reads itself (attribution settings move credits, which
# the graphs' changes already say).
_SETTINGS_READ = frozenset({"burst_threshold"})


def moves_background(changes: Changes) -> bool:
    """Whether a committed write can change what a background run finds: the
    conversation graph, the forest or a setting the run reads; clicks cannot.

    >>> moves_background(Changes(clicks=[1.0], links={3}, clicks_only=True))
    False
    >>> moves_background(Changes(pairs={(1, 2)})), moves_background(
    ...     Changes(settings={"burst_threshold"}))
    (True, True)
    """
    return changes.graphs or bool(changes.settings & _SETTINGS_READ)


def _die_with_parent() -> None:
    """In the spawned worker: end when the server process ends, however it ends
    (Linux's parent-death signal), rather than linger as an orphan."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the server's stop() still ends it
        pass


class BackgroundFigures:
    """Runs ``compute`` in one spawned worker process whenever the figures are
    stale, and on demand.

    ``start`` makes the first run. A write that changed the graphs (``changed``)
    makes the figures stale: a run starts once ``min_gap`` seconds have passed
    since the last run started, and never while one is under way (a change
    during a run is followed by one more run when it ends). Without writes
    nothing runs: the figures are a function of the store. ``submit`` starts a
    run now unless one is under way (the owner's recompute). A failed run is
    logged and tried again ``retry`` seconds later (0: at the next change); a
    worker process that dies (killed, out of memory) is replaced at the next
    run. ``stop`` ends the schedule and the worker at once; it also runs when
    the server process exits, so that no worker outlives it.

    ``clock`` (seconds), ``timer`` (made like ``threading.Timer``) and ``run``
    (starts a run: a Future of ``compute``'s result) let tests stand in for
    time and for the worker process.
    """

    def __init__(
        self,
        db_path: Path,
        *,
        retry: float = 900.0,
        min_gap: float = MIN_GAP,
        clock: Callable[[], float] = time.monotonic,
        timer: Callable = threading.Timer,
        run: Callable[[], Future] | None = None,
    ):
        self.db_path = str(db_path)
        self.retry = retry
        self.min_gap = min_gap
        self._clock, self._make_timer = clock, timer
        self._run = run or self._submit_compute
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        # A run under way is ``_running`` until its results are taken.
        self._running: Future | None = None
        self._accepted = threading.Event()
        self._last_start: float | None = None
        self._stale = False
        self._timer = None
        self._timer_due = 0.0
        self._timers = 0
        self._started = self._stopped = False

    def start(self, service) -> None:
        """The first run, now; later runs follow the writes."""
        # Before concurrent.futures' own exit hook, which would wait for the run.
        threading._register_atexit(self.stop)
        with self._lock:
            self._started = True
        self.submit(service)

    def changed(self, service) -> None:
        """A write moved the graphs: run again as soon as the gap allows."""
        with self._lock:
            self._stale = True
            if self._started:
                self._wake(service)

    def status(self) -> dict:
        """Whether a run is under way, whether writes wait for the next, and
        how many seconds ago the last run started (None before the first)."""
        with self._lock:
            last = self._last_start
            return {
                "running": self._running is not None,
                "stale": self._stale,
                "started_ago": None if last is None else self._clock() - last,
            }

    def submit(self, service, wait: bool = False, *, again: bool = True) -> bool:
        """Start a run now unless one is under way; True if this call started
        one. With ``wait``, block until the run's results are taken (once more
        if the worker process died under it)."""
        with self._lock:
            if self._stopped:
                return False
            started = self._running is None
            if started:
                self._begin()
            running, accepted = self._running, self._accepted
        if started:
            running.add_done_callback(lambda f: self._finished(service, f, accepted))
        if wait:
            try:
                running.result()
            except BrokenProcessPool:
                if not again:
                    raise
                accepted.wait()
                return self.submit(service, wait, again=False)
            accepted.wait()
        return started

    # -- under the lock ----------------------------------------------------------

    def _wake(self, service) -> None:
        """Arm the timer for the next run, if one is due and none is under way."""
        if self._stopped or self._running is not None or not self._stale:
            return
        self._arm(service, self._gap_left())

    def _gap_left(self) -> float:
        """Seconds until ``min_gap`` has passed since the last run started."""
        if self._last_start is None:
            return 0.0
        return max(0.0, self._last_start + self.min_gap - self._clock())

    def _arm(self, service, delay: float) -> None:
        due = self._clock() + delay
        if self._timer is not None:
            if self._timer_due <= due:
                return  # an earlier timer serves
            self._timer.cancel()
        self._timers += 1
        timer = self._make_timer(delay, self._due, (service, self._timers))
        timer.daemon = True
        self._timer, self._timer_due = timer, due
        timer.start()

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _begin(self) -> None:
        """Start a run: whatever was written before now is in it."""
        self._disarm()
        self._stale = False
        self._last_start = self._clock()
        self._running, self._accepted = self._run(), threading.Event()

    # -- threads of their own ----------------------------------------------------

    def _due(self, service, number: int) -> None:
        """The timer fired: start the run if it is still due."""
        try:
            with self._lock:
                if number != self._timers:
                    return  # a timer replaced since (cancelled too late)
                self._timer = None
                if self._stopped or self._running is not None or not self._stale:
                    return
                if self._gap_left() > 0:
                    self._arm(service, self._gap_left())
                    return
                self._begin()
                running, accepted = self._running, self._accepted
            running.add_done_callback(lambda f: self._finished(service, f, accepted))
        except Exception:  # never let the schedule end on an error
            log.exception("could not start the background figures")

    def _submit_compute(self) -> Future:
        """``compute`` in the worker process, started anew if the last one died."""
        if self._executor is not None:
            try:
                return self._executor.submit(compute, self.db_path)
            except BrokenProcessPool:
                pass
        self._executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_die_with_parent,
        )
        return self._executor.submit(compute, self.db_path)

    def _finished(self, service, future: Future, accepted: threading.Event) -> None:
        failed = False
        try:
            service.accept_background(future.result())
        except (BrokenProcessPool, CancelledError):
            # Ended by stop(), or the worker died: the next run starts a new one.
            failed = not self._stopped
            if failed:
                log.exception("the background worker died; a new one runs next time")
        except Exception:  # a failed run must not stop the schedule
            failed = True
            log.exception("background figures failed")
        finally:
            with self._lock:
                if self._running is future:
                    self._running = None
                if failed:
                    self._stale = True
                    if self.retry and not self._stopped:
                        self._arm(service, self.retry)
                else:
                    self._wake(service)
            accepted.set()

    def stop(self) -> None:
        """Stop the schedule and end the worker process now, mid-run or not."""
        with self._lock:
            self._stopped = True
            executor, self._executor = self._executor, None
            self._disarm()
        if executor is not None:
            manager = executor._executor_manager_thread
            # A run under way is abandoned: terminate rather than wait for it.
            for process in list((executor._processes or {}).values()):
                process.terminate()
            executor.shutdown(wait=False, cancel_futures=True)
            # Let the executor's own thread finish closing its wake-up pipe.
            # At exit concurrent.futures writes to that pipe without the lock
            # the close takes (CPython 3.11), so a close under that write
            # printed "OSError: [Errno 9] Bad file descriptor" as a server
            # stopped. The worker is terminated: this takes milliseconds.
            if manager is not None and manager is not threading.current_thread():
                manager.join(timeout=STOP_WAIT)
