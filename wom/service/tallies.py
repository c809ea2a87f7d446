"""Counts of appended rows by time, kept in memory as columns sorted by time, so
that any period's count, sum or split by label is two binary searches and one
slice.

The counts come from tables that only grow at their end (the event log, and
the purchases derived one per event), read already grouped by quarter hour:
each question first reads what was appended past the highest ``seq`` seen, so
every row is counted from the store once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import numpy as np

__all__ = ["Tally"]

#: Seconds in the grain of the counts (the store's quarter hour).
GRAIN = 900.0


class Tally:
    """Counts read by ``read(db, after_seq)`` as rows ``(last seq, quarter
    hour, *label, count)``, or with a summed value after the count when
    ``valued``. A period's bounds are exact on a quarter hour.

    >>> rows = [(2, 4, "mention", 2, 1.0), (3, 8, "link", 1, 2.0)]
    >>> tally = Tally(lambda db, after: [r for r in rows if r[0] > after], valued=True)
    >>> tally.catch_up(None)
    >>> tally.count(None, None), tally.total(4500.0, None), tally.split(0.0, 8100.0)
    (3, 2.0, [(('mention',), 2), (('link',), 1)])

    Counts appended later, for an earlier quarter hour, join it:

    >>> rows.append((5, 4, "link", 4, 0.5)); tally.catch_up(None)
    >>> tally.count(0.0, 3600.0 + 900.0), tally.split(3600.0, 3600.0 + 900.0)
    (6, [(('link',), 4), (('mention',), 2)])
    """

    def __init__(
        self, read: Callable[[object, int], Iterator[tuple]], *, valued: bool = False
    ):
        self._read = read
        self._valued = valued
        self._lock = threading.Lock()
        self._seq = 0
        self._at = np.zeros(0)
        self._code = np.zeros(0, np.int64)
        self._weight = np.zeros(0)
        self._value = np.zeros(0)
        # Running sums: the first i rows' counts and values.
        self._counts = self._sums = np.zeros(1)
        self._labels: list[tuple] = []
        self._codes: dict[tuple, int] = {}

    def catch_up(self, db) -> None:
        """Count what was appended since the last call."""
        with self._lock:
            rows = list(self._read(db, self._seq))
            if not rows:
                return
            self._seq = max(self._seq, max(row[0] for row in rows))
            last = -2 if self._valued else -1
            at = np.array([row[1] for row in rows], np.float64) * GRAIN
            code = np.array([self._code_of(row[2:last]) for row in rows], np.int64)
            weight = np.array([row[last] for row in rows], np.float64)
            value = np.array(
                [row[-1] or 0.0 for row in rows]
                if self._valued
                else np.zeros(len(rows))
            )
            self._at, self._code, self._weight, self._value = (
                np.concatenate((old, new))
                for old, new in (
                    (self._at, at),
                    (self._code, code),
                    (self._weight, weight),
                    (self._value, value),
                )
            )
            # Timsort: the old rows and the new are each in order already.
            order = np.argsort(self._at, kind="stable")
            self._at, self._code, self._weight, self._value = (
                column[order]
                for column in (self._at, self._code, self._weight, self._value)
            )
            self._counts = np.concatenate(([0.0], np.cumsum(self._weight)))
            self._sums = np.concatenate(([0.0], np.cumsum(self._value)))

    def _code_of(self, label: tuple) -> int:
        if label not in self._codes:
            self._codes[label] = len(self._labels)
            self._labels.append(label)
        return self._codes[label]

    def _slice(self, start: float | None, end: float | None) -> tuple[int, int]:
        """Positions of the rows in ``[start, end)`` (POSIX seconds)."""
        low = 0 if start is None else int(np.searchsorted(self._at, start))
        high = len(self._at) if end is None else int(np.searchsorted(self._at, end))
        return low, max(low, high)

    def count(self, start: float | None, end: float | None) -> int:
        """How many were counted in ``[start, end)``."""
        with self._lock:
            low, high = self._slice(start, end)
            return round(self._counts[high] - self._counts[low])

    def total(self, start: float | None, end: float | None) -> float:
        """The sum of the values counted in ``[start, end)``."""
        with self._lock:
            low, high = self._slice(start, end)
            return float(self._sums[high] - self._sums[low])

    def split(self, start: float | None, end: float | None) -> list[tuple]:
        """``(label, count)`` in ``[start, end)``, the most first (ties in the
        order the labels were first seen)."""
        with self._lock:
            low, high = self._slice(start, end)
            counts = np.bincount(
                self._code[low:high],
                weights=self._weight[low:high],
                minlength=len(self._labels),
            )
            order = np.argsort(-counts, kind="stable")
            return [
                (self._labels[i], round(counts[i])) for i in order.tolist() if counts[i]
            ]
