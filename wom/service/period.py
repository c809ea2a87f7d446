"""A period's figures for the dashboard's overview: the spread's figures, the
funnel from clicks to purchases, and the channels word of mouth came through.

Periods are half-open ``[start, end)`` in POSIX seconds, ``None`` leaving a side
open; a bounded side is expected at a local midnight, so that the day series'
rows fall wholly inside. What the store counts is kept until the graphs change
(the service's cache goes then), so a page asked again costs no query.
"""

from __future__ import annotations

from collections.abc import Callable

from ..store import activity

__all__ = ["headcount", "period_figures"]

_US = 1_000_000


def _micros(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * _US)


def _kept(service, key: tuple, compute: Callable[[], dict]) -> dict:
    """``compute()`` once per version of the graphs, kept in the service's cache
    (emptied whenever the graphs, the settings or the background figures move).
    Computed outside the service's lock, so writes are followed meanwhile; an
    answer that a write overtook is not kept."""
    with service._lock:
        version, found = service.version, service._cache.get(key)
    if found is not None:
        return found
    value = compute()
    with service._lock:
        if service.version == version:
            service._cache[key] = value
    return value


def headcount(service) -> dict:
    """How many customers and prospects there are now."""
    with service.graphs() as (G, F, _):
        return {"customers": len(F), "prospects": len(G) - len(F)}


def period_figures(
    service, start: float | None, end: float | None, *, now: float | None = None
) -> dict:
    """The period's new customers, wom_share, k_factor (with ``k_partial``),
    cycle_time (seconds), human clicks, conversions after a touch, ``buyers``
    (the new customers who have bought since), the purchases made in it and
    their value (minor units), and ``channels``: the word-of-mouth customers by
    the kind and channel of their credited touch."""
    spread = service.spread("day", start, end, now=now)
    k = spread["k_factor"]
    days = spread["series"]

    def from_store() -> dict:
        db = service.store.reader()
        lo, hi = _micros(start), _micros(end)
        return {
            "purchases": activity.purchases_between(db, lo, hi),
            "buyers": activity.buyers_between(db, lo, hi),
            "channels": activity.channels_between(db, lo, hi),
        }

    counted = _kept(service, ("period", start, end), from_store)
    return {
        "new_customers": k["cohort_size"],
        "wom_share": spread["wom_share"],
        "k_factor": k["k_factor"],
        "k_partial": k["partial"],
        "cycle_time": spread["cycle_time"],
        "clicks": sum(row["clicks"] for row in days),
        "conversions": sum(row["conversions"] for row in days),
        "buyers": counted["buyers"],
        "purchases": counted["purchases"]["count"],
        "purchase_value": counted["purchases"]["value"],
        "channels": counted["channels"],
    }
