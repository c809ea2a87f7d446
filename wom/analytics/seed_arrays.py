"""Who to seed, on arrays: :mod:`wom.analytics.seeding`'s seed sets and expected
spreads over a :class:`~wom.analytics.arrays.GraphArrays`, without networkx, for the
million-customer graphs that the background figures rank."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from wom.analytics.arrays import GraphArrays
from wom.analytics.celf import choose
from wom.analytics.seeding import PRIOR

__all__ = ["expected_spreads_from_arrays", "seed_set_from_arrays", "tree_spreads"]


def seed_set_from_arrays(
    ga: GraphArrays,
    k: int = 10,
    runs: int = 200,
    seed: int = 0,
    max_candidates: int = 300,
    *,
    prior: tuple = PRIOR,
    lazy: bool = True,
) -> dict:
    """:func:`seed_set` with the default pool and edge probabilities, on arrays.

    The same worlds, the same pool and the same choice, without networkx; the
    top starters rank by the reach of ``ga``'s credits (``seed_set``'s ``F``).

    >>> import networkx as nx
    >>> G = nx.DiGraph([(1, 2), (1, 3), (4, 2), (4, 3), (5, 6)])
    >>> found = seed_set_from_arrays(GraphArrays.from_graph(G), k=2)
    >>> [s["customer_id"] for s in found["seeds"]]
    [1, 5]
    >>> found["top_starters"]["customer_ids"]
    [1, 4]
    >>> F = nx.DiGraph([(4, 2)])
    >>> found = seed_set_from_arrays(GraphArrays.from_graph(G, F), k=2)
    >>> found["top_starters"]["customer_ids"]
    [4, 1]
    """
    runs = max(1, runs)
    n, a, b = len(ga), *prior
    talking = ga.src != ga.dst
    # Listeners of each talker in the store's order, which is G's: the worlds
    # flip coins in that order.
    src, dst = ga.src[talking], ga.dst[talking]
    order = np.argsort(src, kind="stable")
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=ptr[1:])
    listeners, ptr = dst[order].tolist(), ptr.tolist()
    converted = np.bincount(src, ga.converted[talking], minlength=n)
    share = ((converted + a) / (ga.talks + a + b)).tolist()

    def successors(u):
        q = share[u]
        return [(v, q) for v in listeners[ptr[u] : ptr[u + 1]]]

    customers = np.flatnonzero(ga.customer)
    rank, talks = ga.external_rank[customers], ga.talks[customers]
    one_hop = talks * np.asarray(share)[customers]
    reach = ga.forest_reach[customers]
    top = customers[np.lexsort((rank, -talks, -reach))[:k]].tolist()
    pool = customers[np.lexsort((rank, -talks, -one_hop))[:max_candidates]].tolist()
    pool = list(dict.fromkeys(pool + top))
    found = choose(
        successors, pool, top, ga.external_id.__getitem__, k, runs, seed, lazy
    )
    ids = ga.ids.tolist()
    for s in found["seeds"]:
        s["customer_id"] = ids[s["customer_id"]]
    found["top_starters"]["customer_ids"] = [ids[u] for u in top]
    found["candidate_spread"] = {
        ids[u]: spread for u, spread in found["candidate_spread"].items()
    }
    return found


def tree_spreads(n: int, src, dst, share, reach) -> np.ndarray:
    """The exact expected spread of every node whose reach is a tree; NaN elsewhere.

    Node ``v`` passes word of mouth to each listener ``w`` (edges ``src -> dst``,
    no self-loops) with probability ``share[v]``; ``reach[v]`` is the number of
    people ``v`` reaches (``conversation_reach``). What ``v`` reaches is a tree
    exactly when its listeners' reaches are trees and ``reach[v]`` is the sum of
    ``reach[w] + 1`` over them (no one reached twice, ``v`` not reached back);
    then ``spread[v]`` is the sum of ``share[v] * (1 + spread[w])``. One pass,
    listeners first.

    >>> import numpy as np
    >>> # a -> b -> c, and x -> y, z -> y (y reached twice from nowhere: fine)
    >>> src, dst = np.array([0, 1, 3, 5]), np.array([1, 2, 4, 4])
    >>> reach = np.array([2, 1, 0, 1, 0, 1])
    >>> tree_spreads(6, src, dst, [0.5] * 6, reach).tolist()
    [0.75, 0.5, 0.0, 0.5, 0.0, 0.5]
    >>> # a -> b, a -> c, b -> c: c is reached twice from a
    >>> spread = tree_spreads(3, np.array([0, 0, 1]), np.array([1, 2, 2]),
    ...                       [0.5] * 3, np.array([2, 1, 0]))
    >>> spread.tolist()[1:], bool(np.isnan(spread[0]))
    ([0.5, 0.0], True)
    """
    order = np.argsort(src, kind="stable")
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=ptr[1:])
    listeners, ptr = np.asarray(dst)[order].tolist(), ptr.tolist()
    reach, share = np.asarray(reach).tolist(), list(share)
    spread = [math.nan] * n
    state = bytearray(n)  # 0: not seen, 1: on the path being searched, 2: done
    for root in range(n):
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, ptr[root])]
        while stack:
            v, i = stack[-1]
            if i < ptr[v + 1]:
                stack[-1] = (v, i + 1)
                w = listeners[i]
                if not state[w]:
                    state[w] = 1
                    stack.append((w, ptr[w]))
                continue
            stack.pop()
            state[v] = 2
            kids = listeners[ptr[v] : ptr[v + 1]]
            # A listener still on the path closes a cycle: NaN stays NaN below.
            below = [spread[w] if state[w] == 2 else math.nan for w in kids]
            if sum(reach[w] + 1 for w in kids) == reach[v]:
                spread[v] = share[v] * sum(1.0 + value for value in below)
    return np.asarray(spread, np.float64)


def expected_spreads_from_arrays(
    ga: GraphArrays, reach, estimates: Mapping, prior: tuple = PRIOR
) -> dict:
    """``expected_spread`` of everyone who has one: exact where what they reach is
    a tree, else ``estimates`` (Monte Carlo, for seeding's pool of customers), by id.

    ``reach`` holds each position's ``conversation_reach``; ``estimates`` maps ids
    to Monte Carlo spreads. People with neither are left out (not computed).

    >>> import networkx as nx
    >>> G = nx.DiGraph([(1, 2), (2, 3)])
    >>> ga = GraphArrays.from_graph(G)
    >>> found = expected_spreads_from_arrays(ga, np.array([2, 1, 0]), {})
    >>> {u: round(s, 4) for u, s in found.items()}  # p = 1 / 11 on every edge
    {1: 0.0992, 2: 0.0909, 3: 0.0}
    """
    a, b = prior
    talking = ga.src != ga.dst
    src, dst = ga.src[talking], ga.dst[talking]
    converted = np.bincount(src, ga.converted[talking], minlength=len(ga))
    share = (converted + a) / (ga.talks + a + b)
    exact = tree_spreads(len(ga), src, dst, share.tolist(), reach)
    ids = ga.ids.tolist()
    # Anyone whose reach is a tree, prospects too (for ?include=prospects).
    found = {ids[u]: float(exact[u]) for u in np.flatnonzero(~np.isnan(exact)).tolist()}
    for person, estimate in estimates.items():
        found.setdefault(person, estimate)
    return found
