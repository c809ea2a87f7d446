"""Spread over time: word-of-mouth share, k-factor, cycle time and the series.

Periods are half-open ``[start, end)`` in POSIX seconds; ``None`` leaves a side
open. Customers whose ``acquired_at`` is unknown belong to no bounded period
and no bucket. Every figure is one pass over the forest arrays and one over the
edges of ``G``, for the whole series at once (docs/metrics.md, "Spread over time").
"""

from __future__ import annotations

import itertools
import operator

import networkx as nx
import numpy as np

from wom.analytics.buckets import (
    BUCKETS,
    add_clicks,
    bucket_count,
    bucket_edges,
    bucket_medians,
)
from wom.analytics.forest import array_of, as_forest, positions_of
from wom.analytics.influence import top_starters
from wom.analytics.passes import ancestor_bits
from wom.graph import gc_paused

from ..graph import successors_dict

__all__ = [
    "K_WINDOW",
    "add_clicks",
    "conversations",
    "cycle_time",
    "k_factor",
    "spread_series",
    "wom_share",
]

#: A member's referees count towards its cohort's k-factor for this long.
K_WINDOW = 90 * 86400.0
#: How a customer was acquired, by the kind of its credited touch.
_ROOT, _REFERRED, _MENTION = 0, 1, 2
_ACQUIRED_BY = {"link": 1, "referral": 1, "mention": 2, "heard_from": 2}
_CONVERTED = operator.methodcaller("get", "converted", False)


def wom_share(F, start: float | None = None, end: float | None = None) -> float | None:
    """Share of the customers acquired in ``[start, end)`` with a credited referrer.

    ``None`` when nobody was acquired in the period.

    >>> F = nx.DiGraph([("a", "b"), ("a", "c")])
    >>> F.add_node("d")
    >>> nx.set_node_attributes(F, {"a": 0.0, "b": 10.0, "c": 20.0, "d": 30.0},
    ...                        "acquired_at")
    >>> wom_share(F), wom_share(F, start=5.0, end=25.0)
    (0.5, 1.0)
    """
    fa = as_forest(F)
    members = _within(fa.acquired_at, start, end)
    if not members.any():
        return None
    return float(np.mean(fa.parent[members] >= 0))


@gc_paused()
def k_factor(
    F,
    G: nx.DiGraph,
    start: float | None = None,
    end: float | None = None,
    *,
    now: float | None = None,
    window: float = K_WINDOW,
    conversations_table: dict | None = None,
) -> dict:
    """k-factor of the cohort acquired in ``[start, end)``, with its two factors.

    ``k_factor`` is the customers credited to members within ``window`` of the
    member's own conversion, per member. ``conversations_per_member`` counts the
    members' listeners in ``G``; ``listener_conversion`` is the share of those
    listeners who converted after the first touch. ``partial`` says the cohort
    has not had ``window`` to spread by ``now``, in POSIX seconds: a server
    passes the wall clock; left out, it is the latest conversion in ``F``,
    which reads the data as of its own end. Figures are ``None`` for an empty
    cohort. ``conversations_table`` is :func:`conversations` of ``F`` and
    ``G``, when the caller has it already.

    >>> F = nx.DiGraph([("a", "b"), ("a", "c")])
    >>> nx.set_node_attributes(F, {"a": 0.0, "b": 10.0, "c": 1e8}, "acquired_at")
    >>> G = nx.DiGraph()
    >>> G.add_edges_from(F.edges, converted=True)
    >>> G.add_edge("a", "x", converted=False)
    >>> k = k_factor(F, G, start=0.0, end=1.0)
    >>> k["k_factor"], k["conversations_per_member"], k["listener_conversion"]
    (1.0, 3.0, 0.6666666666666666)
    >>> k["partial"], k_factor(F, G, 0.0, 1.0, now=100.0)["partial"]
    (False, True)

    Its last member joined at 0, so the cohort is whole 90 days later:

    >>> day = 86400.0
    >>> [k_factor(F, G, 0.0, 1.0, now=n * day)["partial"] for n in (89, 90)]
    [True, False]
    """
    fa = as_forest(F)
    members = _within(fa.acquired_at, start, end)
    size = int(members.sum())
    if size == 0:
        figures = ("k_factor", "conversations_per_member", "listener_conversion")
        return {"cohort_size": 0, "credited": 0, "partial": False} | dict.fromkeys(
            figures
        )
    now = _latest(fa.acquired_at) if now is None else now
    credited = int(_credited_soon(fa, window)[members].sum())
    if conversations_table is None:
        talks, converted = _listeners(G, (fa.nodes[i] for i in np.flatnonzero(members)))
    else:
        talks = int(conversations_table["talks"][members].sum())
        converted = int(conversations_table["converted"][members].sum())
    last = float(np.nanmax(fa.acquired_at[members], initial=-np.inf))
    return {
        "cohort_size": size,
        "credited": credited,
        "k_factor": credited / size,
        "conversations_per_member": talks / size,
        "listener_conversion": converted / talks if talks else None,
        "partial": bool(now < last + window),
    }


def cycle_time(F, start: float | None = None, end: float | None = None) -> float | None:
    """Median seconds from conversion to the first credited referee's conversion.

    Over the customers acquired in ``[start, end)`` who have a referee.

    >>> F = nx.DiGraph([("a", "b"), ("a", "c"), ("b", "d")])
    >>> nx.set_node_attributes(F, {"a": 0, "b": 10, "c": 5, "d": 40}, "acquired_at")
    >>> cycle_time(F)
    17.5
    """
    fa = as_forest(F)
    delta = _first_referee_delay(fa)
    chosen = _within(fa.acquired_at, start, end) & ~np.isnan(delta)
    return float(np.median(delta[chosen])) if chosen.any() else None


@gc_paused()
def spread_series(
    F,
    G: nx.DiGraph,
    bucket: str = "day",
    tz: str = "UTC",
    clicks=(),
    now: float | None = None,
    top: int = 10,
    *,
    window: float = K_WINDOW,
    starters: list | None = None,
    conversations_table: dict | None = None,
    start: float | None = None,
    end: float | None = None,
) -> list[dict]:
    """Per-bucket spread figures, oldest bucket first, gaps included.

    ``bucket`` is ``"day"``, ``"week"`` (ISO, from Monday) or ``"month"``, cut
    in time zone ``tz``; ``bucket`` in each row is the local start date. Rows
    hold ``new_customers`` split into ``root``, ``referred`` and ``mention``;
    ``clicks`` (human clicks, given as POSIX seconds); ``conversions`` (new
    customers who converted after someone's touch); ``wom_share``; the
    cohort's ``k_factor``, ``k_partial``, ``conversations_per_member`` and
    ``listener_conversion``; ``cycle_time``; and ``top_reach``, the reach of
    the top ``top`` starters (by reach today) counting customers acquired up to
    the bucket's end, in total and each (``top_reach_each``, in
    :func:`~wom.analytics.influence.top_starters` order; a caller that already
    ranked them passes ``starters``). The series runs up to ``now`` (POSIX
    seconds; a server passes the wall clock), which also decides which
    cohorts are ``k_partial``; left out, it is the latest conversion or click.
    ``conversations_table``, as in :func:`k_factor`, saves a pass over ``G``.
    ``start`` and ``end`` (POSIX seconds) keep the series to the buckets that
    meet ``[start, end)``, and the work to them; cumulative figures still count
    everyone acquired before. More than ``MAX_BUCKETS`` buckets raise
    :class:`~wom.analytics.buckets.TooManyBuckets`.

    >>> F = nx.DiGraph([("a", "b")])
    >>> nx.set_node_attributes(F, {"a": 0.0, "b": 86400.0 * 8}, "acquired_at")
    >>> rows = spread_series(F, nx.DiGraph(), bucket="week", clicks=[3600.0])
    >>> [(r["bucket"], r["new_customers"], r["clicks"], r["top_reach"]) for r in rows]
    [('1969-12-29', 1, 1, 0), ('1970-01-05', 1, 0, 1)]

    Fifty days on, January's cohort (last member on day 8) is still partial:

    >>> rows = spread_series(F, nx.DiGraph(), bucket="month", now=86400.0 * 50)
    >>> [(r["bucket"], r["new_customers"], r["k_partial"]) for r in rows]
    [('1970-01-01', 2, True), ('1970-02-01', 0, False)]
    """
    if bucket not in BUCKETS:
        raise ValueError(f"Unknown bucket {bucket!r}; use one of {', '.join(BUCKETS)}.")
    if now is not None and not np.isfinite(now):
        raise ValueError(f"now must be a finite POSIX time, not {now!r}.")
    fa = as_forest(F)
    at = fa.acquired_at
    known = np.isfinite(at)
    click_at = np.fromiter(clicks, np.float64)
    click_at = click_at[np.isfinite(click_at)]
    events = np.concatenate((at[known], click_at))
    if not len(events):
        return []
    now = float(events.max()) if now is None else now
    # The buckets the answer needs, never the whole span of the stored times.
    low = events.min() if start is None else max(events.min(), start)
    high = max(events.max(), now) if end is None else min(max(events.max(), now), end)
    if low > high:
        if bucket_count(high, low, bucket, tz) > 1:
            return []  # the range meets none of the series' buckets
        low = high  # it meets one
    labels, edges = bucket_edges(low, high, bucket, tz)
    count = len(labels)
    slot = np.full(len(fa), -1, np.int64)
    slot[known] = np.searchsorted(edges, at[known], side="right") - 1
    before = known & (slot < 0)  # counted by the cumulative figures only
    slot[slot >= count] = -1
    inside = slot >= 0
    click_slot = np.searchsorted(edges, click_at, side="right") - 1

    def per_bucket(mask=inside, weights=None):
        chosen = mask & inside
        w = None if weights is None else weights[chosen]
        return np.bincount(slot[chosen], weights=w, minlength=count)

    table = conversations(fa, G) if conversations_table is None else conversations_table
    how = _acquisition(fa)
    new = per_bucket()
    credited = per_bucket(weights=_credited_soon(fa, window))
    talks = per_bucket(weights=table["talks"])
    converted = per_bucket(weights=table["converted"])
    last = np.full(count, np.nan)
    np.fmax.at(last, slot[inside], at[inside])
    columns = {
        "root": per_bucket(how == _ROOT),
        "referred": per_bucket(how == _REFERRED),
        "mention": per_bucket(how == _MENTION),
        "clicks": np.bincount(
            click_slot[(click_slot >= 0) & (click_slot < count)], minlength=count
        ),
        "conversions": per_bucket(table["listened"]),
        "cycle_time": bucket_medians(slot, _first_referee_delay(fa), count),
    }
    each = _top_reach(fa, G, top, per_bucket, starters, before)
    rows = []
    for b, label in enumerate(labels):
        if end is not None and edges[b] >= end:
            break  # the range ends where this bucket starts
        n, talked = int(new[b]), int(talks[b])
        row = {"bucket": label, "start": float(edges[b]), "end": float(edges[b + 1])}
        row["new_customers"] = n
        row |= {name: int(columns[name][b]) for name in ("root", "referred", "mention")}
        row["clicks"] = int(columns["clicks"][b])
        row["conversions"] = int(columns["conversions"][b])
        row["wom_share"] = (row["referred"] + row["mention"]) / n if n else None
        row["k_factor"] = float(credited[b]) / n if n else None
        row["k_partial"] = bool(n and now < last[b] + window)
        row["conversations_per_member"] = talked / n if n else None
        row["listener_conversion"] = float(converted[b]) / talked if talked else None
        median = columns["cycle_time"][b]
        row["cycle_time"] = None if np.isnan(median) else float(median)
        row["top_reach_each"] = [int(cumulative[b]) for cumulative in each]
        row["top_reach"] = sum(row["top_reach_each"])
        rows.append(row)
    return rows


def _within(at, start, end) -> np.ndarray:
    """Who was acquired in ``[start, end)``; everyone when both are open."""
    if start is None and end is None:
        return np.ones(len(at), bool)
    with np.errstate(invalid="ignore"):
        low = at >= start if start is not None else ~np.isnan(at)
        return low & (at < end) if end is not None else low


def _latest(at) -> float:
    return float(np.nanmax(at)) if (~np.isnan(at)).any() else -np.inf


def _first_referee_delay(fa) -> np.ndarray:
    """Seconds from each node's conversion to its first referee's (NaN if none)."""
    first = np.full(len(fa), np.nan)
    below = np.flatnonzero(fa.parent >= 0)
    np.fmin.at(first, fa.parent[below], fa.acquired_at[below])
    return first - fa.acquired_at


def _credited_soon(fa, window: float) -> np.ndarray:
    """Referees credited to each node within ``window`` of its conversion."""
    at, below = fa.acquired_at, np.flatnonzero(fa.parent >= 0)
    soon = at[below] - at[fa.parent[below]] <= window
    return np.bincount(fa.parent[below][soon], minlength=len(fa))


def _acquisition(fa) -> np.ndarray:
    """``_ROOT``, ``_REFERRED`` or ``_MENTION`` for each node."""
    kinds = fa.credited_kind
    acquired = np.fromiter(map(_ACQUIRED_BY.get, kinds, itertools.repeat(0)), np.int8)
    below = np.flatnonzero(fa.parent >= 0)
    for i in below[acquired[below] == _ROOT].tolist():
        # A credit without a known kind: trust the customer's own record.
        graph = fa.graph
        via = None if graph is None else graph.nodes[fa.nodes[i]].get("acquired_via")
        acquired[i] = _MENTION if via == "mention" else _REFERRED
    return acquired


def _listeners(G: nx.DiGraph, talkers) -> tuple[int, int]:
    """Listeners of ``talkers`` in ``G``, and how many of them converted."""
    talks = converted = 0
    succ = successors_dict(G)
    for u in talkers:
        for v, edge in succ.get(u, {}).items():
            if v != u:  # a self-loop is no conversation
                talks += 1
                converted += bool(edge.get("converted"))
    return talks, converted


def conversations(F, G: nx.DiGraph) -> dict:
    """Per forest node: listeners in ``G``, converted ones, and touched-then-converted.

    One pass over ``G``'s edges, self-loops left out. ``k_factor`` and
    ``spread_series`` each make it unless given it as ``conversations_table``:
    a caller that wants both passes one.

    >>> F = nx.DiGraph([("a", "b")])
    >>> G = nx.DiGraph([("a", "b", {"converted": True}), ("a", "x"), ("a", "a")])
    >>> {name: column.tolist() for name, column in conversations(F, G).items()}
    {'talks': [2, 0], 'converted': [1, 0], 'listened': [False, True]}
    """
    fa = as_forest(F)
    g_nodes, succ = list(G), successors_dict(G)
    # A slice at a time (``listed``): other threads run between slices.
    degree = array_of(map(len, succ.values()), np.int64)
    dst = positions_of(g_nodes, itertools.chain.from_iterable(succ.values()))
    edges = itertools.chain.from_iterable(
        map(operator.methodcaller("values"), succ.values())
    )
    flag = array_of(map(_CONVERTED, edges), bool)
    src = np.repeat(np.arange(len(g_nodes)), degree)
    talk = src != dst
    src, dst, flag = src[talk], dst[talk], flag[talk]
    where = positions_of(g_nodes, fa.nodes)
    inside = where >= 0

    def on_forest(per_g):
        out = np.zeros(len(fa), per_g.dtype)
        out[inside] = per_g[where[inside]]
        return out

    ng = len(g_nodes)
    return {
        "talks": on_forest(np.bincount(src, minlength=ng)),
        "converted": on_forest(np.bincount(src[flag], minlength=ng)),
        "listened": on_forest(np.bincount(dst[flag], minlength=ng) > 0),
    }


def _top_reach(fa, G, top, per_bucket, starters, before) -> list[np.ndarray]:
    """Cumulative reach per bucket of each of the top ``top`` starters (or of
    ``starters``, when the caller already ranked them), counting from the nodes
    acquired ``before`` the first bucket."""
    if starters is None:
        starters = [row["node"] for row in top_starters(G, fa, limit=top)]
    where = positions_of(fa.nodes, starters)
    each = []
    for chunk in range(0, len(where), 64):
        bits = np.zeros(len(fa), np.uint64)
        for j, i in enumerate(where[chunk : chunk + 64].tolist()):
            bits[i] |= np.uint64(1) << np.uint64(j)
        masks = ancestor_bits(fa, bits)
        for j in range(len(where[chunk : chunk + 64])):
            below = ((masks >> np.uint64(j)) & np.uint64(1)).astype(bool)
            base = np.count_nonzero(below & before)
            each.append(np.cumsum(per_bucket(below)) + base)
    return each
