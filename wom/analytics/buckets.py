"""Calendar buckets in the business's time zone, for series over time.

Times are stored in UTC; buckets follow the business's time zone (docs/metrics.md,
"Money and time"), so a day is a local day and may last 23 or 25 hours. No series
has more than :data:`MAX_BUCKETS` buckets, whatever the stored times.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

__all__ = [
    "BUCKETS",
    "MAX_BUCKETS",
    "TooManyBuckets",
    "add_clicks",
    "bucket_count",
    "bucket_edges",
    "bucket_medians",
]

BUCKETS = ("day", "week", "month")
#: The most buckets one series holds: 13 years of days, 95 of weeks.
MAX_BUCKETS = 5_000


class TooManyBuckets(ValueError):
    """A series would hold more than :data:`MAX_BUCKETS` buckets."""

    def __init__(self, count: int, bucket: str):
        self.count = count
        coarser = BUCKETS[BUCKETS.index(bucket) + 1 :]
        hint = f"a coarser bucket ({' or '.join(coarser)}) or " if coarser else ""
        super().__init__(
            f"the series would hold {count:,} {bucket} buckets, more than "
            f"{MAX_BUCKETS:,}: ask for {hint}a narrower range (from and to)"
        )


def _local_day(moment: float, zone: ZoneInfo) -> date:
    # Local midnights fall on whole seconds. datetime rounds to microseconds,
    # which would put 23:59:59.9999999 into the next day: floor first.
    return datetime.fromtimestamp(math.floor(moment), zone).date()


def _first_day(day: date, bucket: str) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def bucket_count(first: float, last: float, bucket: str, tz: str) -> int:
    """How many buckets :func:`bucket_edges` makes to cover ``[first, last]``,
    counted without making them.

    >>> bucket_count(0.0, 86400.0 * 40, "month", "Europe/Paris")
    2
    >>> bucket_count(0.0, 86400.0 * 366, "day", "UTC")
    367
    >>> bucket_count(-62135596800.0, 1.7e9, "week", "UTC")  # from the year 1
    105549
    """
    zone = ZoneInfo(tz)
    start = _first_day(_local_day(first, zone), bucket)
    end = _local_day(last, zone)
    if bucket == "month":
        return (end.year - start.year) * 12 + end.month - start.month + 1
    return (end - start).days // (7 if bucket == "week" else 1) + 1


def bucket_edges(first: float, last: float, bucket: str, tz: str):
    """Labels and edges of the local buckets that cover ``[first, last]``.

    Bucket ``b`` spans ``[edges[b], edges[b + 1])`` and is labelled with its
    local start date; weeks are ISO weeks, from Monday.

    >>> labels, edges = bucket_edges(0.0, 86400.0 * 40, "month", "Europe/Paris")
    >>> labels, edges.tolist()
    (['1970-01-01', '1970-02-01'], [-3600.0, 2674800.0, 5094000.0])

    More than :data:`MAX_BUCKETS` buckets raise :class:`TooManyBuckets`:

    >>> bucket_edges(0.0, 86400.0 * 5000, "day", "UTC")
    Traceback (most recent call last):
    ...
    wom.analytics.buckets.TooManyBuckets: the series would hold 5,001 day buckets, \
more than 5,000: ask for a coarser bucket (week or month) or a narrower range \
(from and to)
    """
    count = bucket_count(first, last, bucket, tz)
    if count > MAX_BUCKETS:
        raise TooManyBuckets(count, bucket)
    zone = ZoneInfo(tz)
    day = _first_day(_local_day(first, zone), bucket)
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


def add_clicks(
    rows: list[dict],
    clicks,
    start: float | None = None,
    end: float | None = None,
    *,
    removed=(),
) -> list[dict] | None:
    """``rows`` of a series (:func:`~wom.analytics.spread.spread_series`), kept
    to ``[start, end)``, with more counted ``clicks`` (POSIX seconds) added to
    their buckets, and the ``removed`` ones (that no longer count) taken from
    theirs; ``None`` when a click needs a bucket the rows do not have, and the
    series must be computed again. The rows given are left as they are.

    Clicks change no other figure of a row, so a page under landing traffic
    keeps its series instead of recomputing it at every click.

    >>> rows = [{"start": 0.0, "end": 10.0, "clicks": 1},
    ...         {"start": 10.0, "end": 20.0, "clicks": 0}]
    >>> [row["clicks"] for row in add_clicks(rows, [12.0, 19.5, 3.0])]
    [2, 2]
    >>> add_clicks(rows, [25.0]) is None  # a new bucket after the last
    True

    A click past a closed end, where the rows already reach it, changes nothing:

    >>> [row["clicks"] for row in add_clicks(rows, [25.0], end=15.0)]
    [1, 0]

    A click that no longer counts (a late one came just before it, and counts
    in its place) leaves its bucket:

    >>> [row["clicks"] for row in add_clicks(rows, [1.0], removed=[3.0])]
    [1, 0]
    """
    starts = [row["start"] for row in rows]
    added: Counter = Counter()
    for at, step in [(at, 1) for at in clicks] + [(at, -1) for at in removed]:
        if not math.isfinite(at):
            continue  # as the series: no bucket holds it
        i = bisect_right(starts, at) - 1
        if i >= 0 and at < rows[i]["end"]:
            added[i] += step
        elif start is not None and at < start and rows and rows[0]["start"] <= start:
            continue  # its bucket ends before the first row kept
        elif end is not None and at >= end and rows and rows[-1]["end"] >= end:
            continue  # its bucket starts after the last row kept
        else:
            return None
    return [
        row | {"clicks": row["clicks"] + added[i]} if i in added else row
        for i, row in enumerate(rows)
    ]
