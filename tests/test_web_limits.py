"""The rate limits' storage under many threads: its expiry timer is started once,
whichever request threads find it stopped at the same moment."""

from __future__ import annotations

import sys
import threading
import time

from limits.storage import MemoryStorage

from wom.web.limits import LockedMemoryStorage

THREADS = 8
ROUNDS = 15


def with_a_slow_timer_swap(storage_type: type) -> type:
    """``storage_type`` with a pause just after a new timer is put in place,
    before it is started: the moment another thread can find the new timer
    still stopped, widened from a thread switch to two milliseconds."""

    class SlowSwap(storage_type):
        @property
        def timer(self):
            return self._timer_now

        @timer.setter
        def timer(self, timer):
            self._timer_now = timer
            time.sleep(0.002)

    return SlowSwap


def failures_under_threads(storage) -> list[str]:
    """What went wrong while ``THREADS`` threads took entries at once, round after
    round (each round once the last round's timer has run out)."""
    failed: list[str] = []
    barrier = threading.Barrier(THREADS)

    def take(me: int) -> None:
        barrier.wait()
        try:
            storage.acquire_entry(f"visitor-{me}", limit=100, expiry=60)
        except Exception as error:  # a request would have answered 500
            failed.append(repr(error))

    hook = sys.unraisablehook
    # A thread started twice fails in threading's start-up, where only the
    # unraisable hook hears of it.
    sys.unraisablehook = lambda unraisable: failed.append(repr(unraisable.exc_value))
    try:
        for _ in range(ROUNDS):
            threads = [threading.Thread(target=take, args=(n,)) for n in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            storage.timer.join()
    finally:
        sys.unraisablehook = hook
    return failed


def test_the_expiry_timer_starts_once_however_many_threads_find_it_stopped():
    storage = with_a_slow_timer_swap(LockedMemoryStorage)()
    assert failures_under_threads(storage) == []
    assert storage.get_moving_window("visitor-0", 100, 60)[1] == ROUNDS


def test_limits_own_memory_storage_starts_one_timer_twice():
    # The control: the same threads fail limits' own storage, so the test
    # above would see the race if the lock were gone.
    failed = failures_under_threads(with_a_slow_timer_swap(MemoryStorage)())
    assert failed
    assert all("KeyError" in f or "started once" in f for f in failed), failed
