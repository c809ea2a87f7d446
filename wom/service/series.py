"""The spread over time, kept for the service: the counted clicks, each asked
series, and each asked range's figures, of one version of the graphs.

The version is ``derived.Derived``: the forest arrays and the pass over ``G``
that every series and k-factor needs (``spread.conversations``), built once a
version and, at scale, in the background; ``use`` moves to a newer one. A series
covers the buckets of the range asked only, and a range's figures (wom_share,
k_factor, cycle_time) are kept apart from any series. A batch of clicks alone is
counted into the kept series in place: recomputed, a series would hold the
service's lock for seconds at a million customers.
"""

from __future__ import annotations

import time
from collections import Counter

import numpy as np

from ..analytics import spread

__all__ = ["SpreadSeries"]

#: The most answers (bucket and range) kept at once.
_MAX_KEPT = 256


class SpreadSeries:
    """Counted human clicks (POSIX seconds) and the series computed from them.

    The owner (the analytics service) calls it under its own lock.

    >>> kept = SpreadSeries([1.0])
    >>> kept.add_clicks([2.0]); kept.counted()
    [1.0, 2.0]
    >>> kept.add_clicks([0.5], removed=[1.0]); kept.counted()
    [2.0, 0.5]
    """

    def __init__(self, clicks: list[float]):
        self.clicks = clicks
        # Clicks that stopped counting, taken out of ``clicks`` only when a
        # series is computed anew (a pass over them all then anyway).
        self._removed: Counter = Counter()
        self._forget_sorted()
        #: How many batches of clicks were counted (kept series follow them).
        self.clicks_seen = 0
        self._table: dict | None = None
        # (start, end, UTC day) -> the range's figures; (bucket, start, end,
        # UTC day) -> the answer; both of the version whose ``_table`` this is.
        self._ranges: dict = {}
        self._series: dict = {}

    def forget_series(self) -> None:
        """Drop every kept series (the settings changed: a new time zone moves
        their buckets)."""
        self._series = {}

    def read_clicks_again(self, clicks: list[float]) -> None:
        """Take every counted click anew."""
        self.clicks = clicks
        self.clicks_seen += 1
        self._removed = Counter()
        self._forget_sorted()
        self._series = {}

    def add_clicks(self, clicks: list[float], removed: list[float] = ()) -> None:
        """Count new clicks and stop counting ``removed`` ones, in the kept series
        too where their buckets exist: never a pass over every click."""
        self.clicks.extend(clicks)
        self.clicks_seen += 1
        self._removed.update(removed)
        if self._sorted is not None:
            self._added.extend(clicks)
            self._dropped.extend(removed)
            if len(self._added) + len(self._dropped) > len(self._sorted):
                self._forget_sorted()  # cheaper to sort them all when asked
        kept = {}
        for key, value in self._series.items():
            _, start, end, _ = key
            rows = spread.add_clicks(
                value["series"], clicks, start, end, removed=removed
            )
            if rows is not None:
                kept[key] = value | {"series": rows}
        self._series = kept

    def counted(self) -> list[float]:
        """Every click that counts, in POSIX seconds (in no promised order)."""
        if self._removed:
            removed, kept = self._removed, []
            for at in self.clicks:
                if removed[at] > 0:
                    removed[at] -= 1
                else:
                    kept.append(at)
            self.clicks, self._removed = kept, Counter()
        return self.clicks

    def _forget_sorted(self) -> None:
        # The counted clicks sorted, for counts over a period, and the clicks
        # added and dropped since (None: sort them all when next asked).
        self._sorted: np.ndarray | None = None
        self._added: list[float] = []
        self._dropped: list[float] = []

    def clicks_between(self, start: float | None, end: float | None) -> int:
        """How many counted clicks fall in ``[start, end)``: two binary
        searches, once the clicks of the batches since the last question are
        merged in (a stable sort of two sorted runs is one linear merge).

        >>> kept = SpreadSeries([5.0, 1.0]); kept.clicks_between(None, None)
        2
        >>> kept.add_clicks([3.0, 1.0], removed=[5.0])
        >>> kept.clicks_between(1.0, 5.0), kept.clicks_between(None, 1.5)
        (3, 2)
        """
        if self._sorted is None:
            counted = np.asarray(self.counted(), np.float64)
            self._sorted = np.sort(counted[np.isfinite(counted)])
        elif self._added or self._dropped:
            added = np.asarray(self._added, np.float64)
            merged = np.concatenate((self._sorted, np.sort(added[np.isfinite(added)])))
            merged = np.sort(merged, kind="stable")
            dropped = np.sort(np.asarray(self._dropped, np.float64))
            # Each dropped click takes out one equal time: the first, the second...
            place = np.searchsorted(merged, dropped)
            place += np.arange(len(dropped)) - np.searchsorted(dropped, dropped)
            found = place < len(merged)
            found[found] = merged[place[found]] == dropped[found]
            self._sorted = np.delete(merged, place[found])
            self._added, self._dropped = [], []
        low = 0 if start is None else np.searchsorted(self._sorted, start)
        high = len(self._sorted) if end is None else np.searchsorted(self._sorted, end)
        return int(max(0, high - low))

    # -- the figures of one version of the graphs (``derived.Derived``) --------

    def use(self, table: dict, ranges: dict, series: dict) -> None:
        """Read a new version of the graphs from now on: its conversation pass,
        and the figures already computed on it (the kept ones were the version
        before's)."""
        self._table, self._ranges, self._series = table, dict(ranges), dict(series)

    def asked(self) -> tuple[list, list]:
        """The ranges and series kept now, to compute again on the next version."""
        return list(self._ranges), list(self._series)

    def counted_copy(self) -> tuple[list[float], int]:
        """The counted clicks (a copy), and how many click batches came before."""
        return list(self.counted()), self.clicks_seen

    def warm(self, derived, asked: tuple, *, clicks: list, time_zone: str) -> tuple:
        """The ranges and series of ``asked`` computed on ``derived`` as of now
        (today's only: the others are asked no more), outside the owner's lock.
        """
        now = time.time()
        today = int(now // 86400)
        ranges = {
            key: _range_figures(derived, *key[:2], now=now)
            for key in asked[0]
            if key[2] == today
        }
        series = {}
        for key in asked[1]:
            bucket, start, end, day = key
            if day == today:
                figures = ranges.get((start, end, day))
                if figures is None:
                    figures = ranges[(start, end, day)] = _range_figures(
                        derived, start, end, now=now
                    )
                series[key] = _series(
                    derived, bucket, start, end, now, time_zone, clicks, figures
                )
        return ranges, series

    def figures(
        self, derived, start: float | None, end: float | None, *, now: float
    ) -> dict:
        """wom_share, k_factor and cycle_time over ``[start, end)`` as of
        ``now``, without a series; kept per UTC day of ``now``."""
        key = (start, end, int(now // 86400))
        if key not in self._ranges:
            if len(self._ranges) >= _MAX_KEPT:
                self._ranges = {}
            self._ranges[key] = _range_figures(derived, start, end, now=now)
        return self._ranges[key]

    def spread(
        self,
        derived,
        *,
        bucket: str,
        start: float | None,
        end: float | None,
        now: float,
        time_zone: str,
    ) -> dict:
        """The series, and wom_share, k_factor and cycle_time over the range, as
        of ``now``; kept per UTC day of ``now``, so it never outlives that day.
        The reach lines follow the top starters of ``derived``.
        """
        key = (bucket, start, end, int(now // 86400))
        if key not in self._series:
            if len(self._series) >= _MAX_KEPT:
                # Each range asked is kept; a page clicking through many
                # ranges must not grow the service without end.
                self._series = {}
            figures = self.figures(derived, start, end, now=now)
            self._series[key] = _series(
                derived, bucket, start, end, now, time_zone, self.counted(), figures
            )
        return self._series[key]


def _range_figures(derived, start, end, *, now: float) -> dict:
    arrays = derived.arrays
    return {
        "wom_share": spread.wom_share(arrays, start, end),
        "k_factor": spread.k_factor(
            arrays, None, start, end, now=now, conversations_table=derived.table
        ),
        "cycle_time": spread.cycle_time(arrays, start, end),
    }


def _series(derived, bucket, start, end, now, time_zone, clicks, figures) -> dict:
    series = spread.spread_series(
        derived.arrays,
        None,
        bucket=bucket,
        tz=time_zone,
        clicks=clicks,
        now=now,
        starters=[row["node"] for row in derived.starters["items"]],
        conversations_table=derived.table,
        start=start,
        end=end,
    )
    return {
        "bucket": bucket,
        "time_zone": time_zone,
        **figures,
        "series": [
            row
            for row in series
            if (start is None or row["end"] > start)
            and (end is None or row["start"] < end)
        ],
    }
