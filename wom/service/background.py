"""Figures that cost more than a linear pass, computed in a separate process.

PageRank influence, exact conversation reach, communities, bridges, seeding and the
graph-based fraud checks run in a worker process (spawned, so no SQLite connection
crosses a fork and the server's GIL stays free). The worker reads the SQLite file
itself and returns plain data; the server keeps the newest result, stamped with
``computed_at``, and writes the fraud flags through its own single writer.
"""

from __future__ import annotations

import logging
import multiprocessing
import sqlite3
import threading
import time
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from ..graph import gc_paused
from ..store import queries
from ..store.settings import read_settings

__all__ = ["compute", "BackgroundFigures", "SEED_K"]

log = logging.getLogger(__name__)

#: The most seeds served. One greedy run of this many answers every smaller k (its
#: best j seeds are its first j), and the top starters' totals come for each k.
SEED_K = 10


def _timed(timings: dict, name: str, fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    timings[name] = round(time.perf_counter() - started, 3)
    return result


def _read_only(db_path: str):
    """A read-only connection: the worker never writes, and cannot by mistake."""
    uri = f"{Path(db_path).resolve().as_uri()}?mode=ro"
    return sqlite3.connect(uri, uri=True, check_same_thread=False)


def _load(db_path: str):
    """``(GraphArrays of G and F, credit evidence columns, settings)`` read from
    the store in one snapshot."""
    from ..analytics.arrays import GraphArrays

    db = Database(_read_only(db_path))
    try:
        db.execute("BEGIN")
        ga = GraphArrays.from_columns(
            queries.people_arrays(db),
            queries.touch_arrays(db),
            queries.credit_arrays(db),
        )
        evidence = queries.credit_evidence_arrays(db)
        settings = read_settings(db)
    finally:
        db.conn.close()
    return ga, evidence, settings


def _by_id(ga, values) -> dict:
    """Scores by position -> the ``{person id: score}`` dict the server reads."""
    return dict(zip(ga.ids.tolist(), values.tolist(), strict=True))


def compute(db_path: str, *, seed_k: int = SEED_K) -> dict:
    """Every background figure of the database at ``db_path``, as plain data.

    The worker never builds ``G`` or ``F`` as networkx graphs: it reads the store
    as columns and runs each figure's array entry point, which equals the networkx
    one (tests/test_background_arrays.py).
    """
    from ..analytics import fraud, seeding, structure
    from ..analytics.betweenness import bridges_from_arrays
    from ..analytics.conversation_reach import conversation_reach_from_arrays
    from ..analytics.influence import influence_from_arrays

    timings: dict = {}
    results = {
        "computed_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "timings": timings,
    }
    with gc_paused():
        ga, evidence, settings = _timed(timings, "build", _load, db_path)
        # Fraud first: its referral graph and the sign-up evidence are the
        # largest things built, and are gone before the score dicts exist.
        flags = _timed(
            timings,
            "fraud",
            fraud.flags_from_arrays,
            ga,
            evidence,
            threshold=settings["burst_threshold"],
        )
        del evidence
        n = len(ga)
        results["influence"] = {
            "scores": _timed(
                timings,
                "influence",
                lambda: _by_id(ga, influence_from_arrays(n, ga.src, ga.dst)),
            )
        }
        reach = _timed(
            timings,
            "conversation_reach",
            conversation_reach_from_arrays,
            n,
            ga.src,
            ga.dst,
        )
        results["conversation_reach"] = {"scores": _by_id(ga, reach)}
        results["communities"] = _timed(
            timings, "communities", structure.communities_from_arrays, ga, seed=0
        )
        results["bridges"] = _timed(timings, "bridges", bridges_from_arrays, ga, seed=0)
        seeds = _timed(
            timings, "seed_set", seeding.seed_set_from_arrays, ga, k=seed_k, seed=0
        )
        results["seeds"] = seeds
        # Expected spread is exact for everyone whose reach is a tree, and
        # estimated (Monte Carlo, Independent Cascade) for the rest of the bounded
        # pool that seeding considers; others have none (None, not 0).
        results["expected_spread"] = {
            "scores": _timed(
                timings,
                "expected_spread",
                seeding.expected_spreads_from_arrays,
                ga,
                reach,
                seeds.pop("candidate_spread", {}),
            ),
            "candidates": seeds["candidates"],
        }
        results["flags"] = flags
    return results


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
    """Runs ``compute`` in one spawned worker process, on a schedule and on demand.

    A run that fails is logged and the next one is scheduled; a worker process
    that dies (killed, out of memory) is replaced at the next run. ``stop`` ends
    the schedule and the worker at once; it also runs when the server process
    exits, so that no worker outlives it.
    """

    def __init__(self, db_path: Path, *, interval: float = 900.0):
        self.db_path = str(db_path)
        self.interval = interval
        self._executor: ProcessPoolExecutor | None = None
        self._running: Future | None = None
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._accepted = threading.Event()
        self._stopped = False

    def start(self, service) -> None:
        """First run now, then every ``interval`` seconds."""
        # Before concurrent.futures' own exit hook, which would wait for the run.
        threading._register_atexit(self.stop)
        self.submit(service)

    def submit(self, service, wait: bool = False, *, again: bool = True) -> None:
        """Start a run unless one is under way; with ``wait``, block until done
        (once more if the worker process died under the run)."""
        with self._lock:
            if self._stopped:
                return
            if self._running is None or self._running.done():
                accepted = threading.Event()
                running = self._submit_compute()
                self._running, self._accepted = running, accepted
                running.add_done_callback(
                    lambda f: self._finished(service, f, accepted)
                )
            running, accepted = self._running, self._accepted
        if wait:
            try:
                running.result()
            except BrokenProcessPool:
                if not again:
                    raise
                accepted.wait()
                return self.submit(service, wait, again=False)
            accepted.wait()

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
        try:
            service.accept_background(future.result())
        except BrokenProcessPool:
            if self._stopped:  # ended by stop(): nothing went wrong
                return
            # The next submit finds the pool broken and starts a new worker.
            log.exception("the background worker died; a new one runs next time")
        except CancelledError:
            return
        except Exception:  # a failed run must not stop the schedule
            log.exception("background figures failed")
        finally:
            accepted.set()
        if self.interval and not self._stopped:
            self._timer = threading.Timer(self.interval, self._scheduled, (service,))
            self._timer.daemon = True
            self._timer.start()

    def _scheduled(self, service) -> None:
        try:
            self.submit(service)
        except Exception:  # never let the schedule end on an error
            log.exception("could not start the background figures")

    def stop(self) -> None:
        """Stop the schedule and end the worker process now, mid-run or not."""
        with self._lock:
            self._stopped = True
            executor, self._executor = self._executor, None
        if self._timer is not None:
            self._timer.cancel()
        if executor is not None:
            # A run under way is abandoned: terminate rather than wait for it.
            for process in list((executor._processes or {}).values()):
                process.terminate()
            executor.shutdown(wait=False, cancel_futures=True)
