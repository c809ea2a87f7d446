"""Calendar buckets in the business's time zone, for series over time.

Times are stored in UTC; buckets follow the business's time zone (METRICS.md,
"Money and time"), so a day is a local day and may last 23 or 25 hours.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

__all__ = ["BUCKETS", "bucket_edges", "bucket_medians"]

BUCKETS = ("day", "week", "month")


def bucket_edges(first: float, last: float, bucket: str, tz: str):
    """Labels and edges of the local buckets that cover ``[first, last]``.

    Bucket ``b`` spans ``[edges[b], edges[b + 1])`` and is labelled with its
    local start date; weeks are ISO weeks, from Monday.

    >>> labels, edges = bucket_edges(0.0, 86400.0 * 40, "month", "Europe/Paris")
    >>> labels, edges.tolist()
    (['1970-01-01', '1970-02-01'], [-3600.0, 2674800.0, 5094000.0])
    """
    zone = ZoneInfo(tz)
    # Local midnights fall on whole seconds. datetime rounds to microseconds,
    # which would put 23:59:59.9999999 into the next day: floor first.
    day = datetime.fromtimestamp(math.floor(first), zone).date()
    if bucket == "week":
        day -= timedelta(days=day.weekday())
    elif bucket == "month":
        day = day.replace(day=1)
    labels, edges = [], []
    while True:
        labels.append(day.isoformat())
        edges.append(datetime.combine(day, time(), tzinfo=zone).timestamp())
        day = _next_start(day, bucket)
        end = datetime.combine(day, time(), tzinfo=zone).timestamp()
        if end > last:
            return labels, np.array([*edges, end])


def _next_start(day: date, bucket: str) -> date:
    if bucket == "day":
        return day + timedelta(days=1)
    if bucket == "week":
        return day + timedelta(days=7)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def bucket_medians(slot, values, count) -> np.ndarray:
    """Median of ``values`` (NaN skipped) per bucket; NaN for an empty bucket.

    >>> bucket_medians(np.array([0, 0, 1, 0]), np.array([3.0, 1.0, 5.0, 2.0]), 3)
    array([ 2.,  5., nan])
    """
    chosen = (slot >= 0) & ~np.isnan(values)
    slot, values = slot[chosen], values[chosen]
    order = np.lexsort((values, slot))
    slot, values = slot[order], values[order]
    sizes = np.bincount(slot, minlength=count)
    starts = np.cumsum(sizes) - sizes
    medians = np.full(count, np.nan)
    full = sizes > 0
    low = starts[full] + (sizes[full] - 1) // 2
    high = starts[full] + sizes[full] // 2
    medians[full] = (values[low] + values[high]) / 2
    return medians
