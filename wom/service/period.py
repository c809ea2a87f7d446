"""A period's figures for the dashboard's overview: the spread's figures, the
funnel from clicks to buyers, the purchases, and the channels word of mouth
travelled through.

Periods are half-open ``[start, end)`` in POSIX seconds, ``None`` leaving a side
open; a bounded side is expected at a local midnight, so that the quarter
hours of the counts fall wholly inside. Every figure comes from memory: the
range figures of the spread series, the counted clicks, the forest arrays, and
the purchases and touches counted by quarter hour (``tallies.py``, read from
the store once and then only what was appended), so that a new period costs no
pass over the store and no series.
"""

from __future__ import annotations

import threading
import time
import weakref

import numpy as np

from ..analytics.forest import as_forest
from ..store import activity
from .tallies import Tally

__all__ = ["headcount", "period_figures", "spent"]

_TALLIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_TALLIES_LOCK = threading.Lock()


def _tallies(service) -> tuple[Tally, Tally]:
    """The service's purchases and touches, caught up with the store."""
    with _TALLIES_LOCK:
        if service not in _TALLIES:
            _TALLIES[service] = (
                Tally(activity.purchase_counts_after, valued=True),
                Tally(activity.touch_counts_after),
            )
        kept = _TALLIES[service]
    db = service.store.reader()
    for tally in kept:
        tally.catch_up(db)
    return kept


def spent(F, start: float | None = None, end: float | None = None) -> int:
    """How many of the customers acquired in ``[start, end)`` have spent
    money (purchases worth more than nothing).

    >>> import networkx as nx
    >>> F = nx.DiGraph([("a", "b")])
    >>> F.add_node("c")
    >>> nx.set_node_attributes(F, {"a": 0.0, "b": 10.0, "c": 20.0}, "acquired_at")
    >>> nx.set_node_attributes(F, {"a": 5.0, "b": 0.0, "c": 9.5}, "value")
    >>> spent(F), spent(F, 5.0, 25.0)
    (2, 1)
    """
    fa = as_forest(F)
    at = fa.acquired_at
    with np.errstate(invalid="ignore"):
        inside = np.isfinite(at)
        if start is not None:
            inside &= at >= start
        if end is not None:
            inside &= at < end
    return int(np.count_nonzero(fa.values[inside] > 0))


def headcount(service) -> dict:
    """How many customers and prospects there are now."""
    with service.held() as (G, F, _):
        return {"customers": len(F), "prospects": len(G) - len(F)}


def period_figures(
    service, start: float | None, end: float | None, *, now: float | None = None
) -> dict:
    """The period's new customers, wom_share, k_factor (with ``k_partial``),
    cycle_time (seconds), counted human clicks, ``buyers`` (the new customers
    who have spent money since), the purchases made in it and their value
    (minor units), and ``channels``: the touches recorded in it by kind and
    channel, the most first. As of ``now`` (POSIX seconds; the wall clock by
    default), which decides whether the k-factor's cohort is partial."""
    now = time.time() if now is None else now
    purchases, touches = _tallies(service)
    with service.held():
        # The last built version of the graphs (derived.py): after a write, the
        # one before until the new one is built in the background.
        derived = service.derivations.current()
        figures = service.series.figures(derived, start, end, now=now)
        clicks = service.series.clicks_between(start, end)
        # A pass over the forest's arrays: kept until the graphs change (the
        # service's cache goes then), like the range's spread figures.
        buyers = service.remembered(
            ("spent", derived.version, start, end),
            lambda: spent(derived.arrays, start, end),
        )
    k = figures["k_factor"]
    return {
        "new_customers": k["cohort_size"],
        "wom_share": figures["wom_share"],
        "k_factor": k["k_factor"],
        "k_partial": k["partial"],
        "cycle_time": figures["cycle_time"],
        "clicks": clicks,
        "buyers": buyers,
        "purchases": purchases.count(start, end),
        "purchase_value": round(purchases.total(start, end)),
        "channels": [
            {"kind": kind, "channel": channel, "touches": count}
            for (kind, channel), count in touches.split(start, end)
        ],
    }
