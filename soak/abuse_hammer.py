"""Many threads at once down one road: what the rate-limit and brute-force
checks send, and what came back."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Hammered", "at_once", "hammer"]


def at_once(works: list[Callable[[], None]]) -> None:
    """Run each of ``works`` in a thread of its own, and wait for them all."""
    workers = [threading.Thread(target=work) for work in works]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


@dataclass
class Hammered:
    """The statuses that came back, every 429's Retry-After, and when each
    request that passed was sent and answered (monotonic seconds)."""

    statuses: Counter = field(default_factory=Counter)
    retry_after: list[str] = field(default_factory=list)
    passed_during: list[tuple[float, float]] = field(default_factory=list)

    @property
    def refused(self) -> int:
        """How many were 429."""
        return self.statuses[429]

    @property
    def passed(self) -> int:
        """How many the limit let through."""
        return self.statuses.total() - self.refused

    def most_passed_within(self, window: float) -> int:
        """The most requests that passed and surely reached the server within
        one ``window`` of seconds: sent and answered inside it. (A moving
        window lets no more than its limit through in any such span, however
        long the whole run took.)

        >>> spans = [(0, 1), (2, 3), (8, 9), (11, 12)]
        >>> Hammered(passed_during=spans).most_passed_within(10)
        3
        """
        starts = sorted(self.passed_during)
        return max(
            (
                sum(
                    first <= sent and answered < first + window
                    for sent, answered in starts
                )
                for first, _ in starts
            ),
            default=0,
        )

    def bad_retry_after(self, longest: int) -> int:
        """429s without a whole number of seconds from 1 to ``longest``.

        >>> Hammered(retry_after=["3", "", "0", "99"]).bad_retry_after(10)
        3
        """
        return sum(
            not (wait.isdigit() and 1 <= int(wait) <= longest)
            for wait in self.retry_after
        )


def hammer(open_client: Callable, send: Callable, total: int, threads: int):
    """``total`` requests, ``send(client, n)`` each, from ``threads`` threads
    released together; each thread's client from ``open_client()`` (which may
    fetch a page first: that is before the start)."""
    found = Hammered()
    lock = threading.Lock()
    numbers = iter(range(total))
    start = threading.Barrier(threads)

    def work() -> None:
        client = open_client()
        start.wait()
        while True:
            with lock:
                n = next(numbers, None)
            if n is None:
                break
            sent = time.monotonic()
            answer = send(client, n)
            answered = time.monotonic()
            with lock:
                found.statuses[answer.status_code] += 1
                if answer.status_code != 429:
                    found.passed_during.append((sent, answered))
                if answer.status_code == 429:
                    found.retry_after.append(answer.headers.get("Retry-After", ""))
        client.close()

    at_once([work] * threads)
    return found
