"""The scheduled job that approves rewards when their hold ends.

A thread of the serving process runs ``run_once`` every ``interval`` seconds
(and once at start): each run writes an ``approved`` entry to the reward log
for every pending reward whose hold has ended and whose credit is not held. The
clock is a parameter, so tests run a hold of weeks in a moment; where no server
runs, ``flask --app wom approve-rewards`` from cron does the same.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ..contract.times import now_micros
from ..store import Store
from .rewards import approve_due_rewards

__all__ = ["INTERVAL", "RewardApprover"]

log = logging.getLogger(__name__)

#: Seconds between runs: a hold is counted in days, so a minute late is nothing.
INTERVAL = 60.0


class RewardApprover:
    """Approves due rewards: ``run_once`` for one run, ``start`` for the thread
    that runs until ``stop``."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], int] = now_micros,
        interval: float = INTERVAL,
    ):
        self.store = store
        self.clock = clock
        self.interval = interval
        self.runs = 0
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run_once(self) -> int:
        """Approve what is due by the clock's now; return how many."""
        approved = approve_due_rewards(self.store, now=self.clock())
        self.runs += 1
        return approved

    def start(self) -> None:
        """Start the thread (once; later calls do nothing)."""
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="wom-reward-approver", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        """Stop the thread after its current run."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                approved = self.run_once()
            except Exception:  # the next run tries again; a bug is logged
                log.exception("approving rewards failed")
            else:
                if approved:
                    log.info("approved %d rewards whose hold ended", approved)
            self._stopped.wait(self.interval)
