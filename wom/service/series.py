"""The spread over time, kept for the service: the counted clicks, and each asked
series until the graphs change.

A batch of clicks alone is counted into the kept series in place: recomputed,
a series would hold the service's lock for seconds at a million customers.
"""

from __future__ import annotations

from collections import Counter

import networkx as nx

from ..analytics import spread
from ..analytics.forest import ForestArrays

__all__ = ["SpreadSeries"]


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
        self._series: dict = {}

    def forget(self) -> None:
        """Drop every kept series (the graphs or the settings changed)."""
        self._series = {}

    def read_clicks_again(self, clicks: list[float]) -> None:
        """Take every counted click anew."""
        self.clicks = clicks
        self._removed = Counter()
        self._series = {}

    def add_clicks(self, clicks: list[float], removed: list[float] = ()) -> None:
        """Count new clicks and stop counting ``removed`` ones, in the kept series
        too where their buckets exist: never a pass over every click."""
        self.clicks.extend(clicks)
        self._removed.update(removed)
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

    def spread(
        self,
        arrays: ForestArrays,
        G: nx.DiGraph,
        *,
        bucket: str,
        start: float | None,
        end: float | None,
        now: float,
        time_zone: str,
        starters,
    ) -> dict:
        """The series, and wom_share, k_factor and cycle_time over the range, as
        of ``now``; kept per UTC day of ``now``, so it never outlives that day.
        ``starters()`` gives the top starters' nodes, asked only when computing.
        """
        key = (bucket, start, end, int(now // 86400))
        if key not in self._series:
            # One pass over G's edges serves the series and the k-factor.
            table = spread.conversations(arrays, G)
            series = spread.spread_series(
                arrays,
                G,
                bucket=bucket,
                tz=time_zone,
                clicks=self.counted(),
                now=now,
                starters=starters(),
                conversations_table=table,
                start=start,
                end=end,
            )
            self._series[key] = {
                "bucket": bucket,
                "time_zone": time_zone,
                "wom_share": spread.wom_share(arrays, start, end),
                "k_factor": spread.k_factor(
                    arrays, G, start, end, now=now, conversations_table=table
                ),
                "cycle_time": spread.cycle_time(arrays, start, end),
                "series": [
                    row
                    for row in series
                    if (start is None or row["end"] > start)
                    and (end is None or row["start"] < end)
                ],
            }
        return self._series[key]
