"""Who to seed: Independent Cascade spread and CELF seed sets (docs/metrics.md).

Each edge ``u -> v`` passes word of mouth on with probability ``p(u, v)``, by
default the converted share of ``u``'s listeners smoothed with a Beta(1, 9) prior.
On a tree the expected spread is exact; elsewhere it is a Monte Carlo estimate on
live-edge worlds: world ``r`` flips every edge's coin once, with
``random.Random(f"{seed}:{r}")``, and every seed set is measured in the same worlds
(common random numbers), so estimates are deterministic and CELF's lazy bounds hold.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping

import networkx as nx
import numpy as np

from wom.analytics.arrays import GraphArrays
from wom.analytics.celf import choose, worlds
from wom.analytics.referrals import reach_all

__all__ = [
    "edge_probabilities",
    "expected_spread",
    "expected_spreads_from_arrays",
    "seed_set",
    "seed_set_from_arrays",
    "tree_spreads",
]

PRIOR = (1, 9)


def _edge_probability(succ: Mapping, p, prior) -> Callable:
    """``q(u, v)``: one float, a mapping per edge, or the smoothed converted share."""
    if p is None:
        a, b = prior
        share = {}

        def q(u, v):
            if u not in share:
                listeners = [c for w, c in succ[u].items() if w != u]
                converted = sum(bool(c.get("converted")) for c in listeners)
                share[u] = (converted + a) / (len(listeners) + a + b)
            return share[u]

        return q
    if isinstance(p, Mapping):
        return lambda u, v: p.get((u, v), 0.0)
    return lambda u, v: float(p)


def edge_probabilities(G: nx.DiGraph, prior: tuple = PRIOR) -> dict:
    """``p(u, v)`` for every edge: ``(converted + a) / (touched + a + b)``.

    ``touched`` counts ``u``'s distinct listeners and ``converted`` those whose edge
    has ``converted`` set; a self-loop is not a listener. ``prior = (a, b)``.

    >>> G = nx.DiGraph()
    >>> G.add_edge("a", "b", converted=True)
    >>> G.add_edge("a", "c", converted=False)
    >>> edge_probabilities(G)  # (1 + 1) / (2 + 10)
    {('a', 'b'): 0.16666666666666666, ('a', 'c'): 0.16666666666666666}
    """
    q = _edge_probability(G.succ, None, prior)
    return {(u, v): q(u, v) for u, v in G.edges()}


def _successors(succ: Mapping, q: Callable) -> Callable:
    def successors(u):
        return [(v, q(u, v)) for v in succ[u] if v != u]

    return successors


def _tree_spread(successors: Callable, u) -> float | None:
    """Exact spread when what ``u`` reaches is a tree rooted at ``u``, else None."""
    reached, stack, total = {u: 1.0}, [u], 0.0
    while stack:
        v = stack.pop()
        for w, q in successors(v):
            if w in reached:  # a second path (or a cycle): not a tree
                return None
            reached[w] = reached[v] * q
            total += reached[w]
            stack.append(w)
    return total


def expected_spread(
    G: nx.DiGraph, u, p=None, runs: int = 200, seed: int = 0, prior: tuple = PRIOR
) -> dict:
    """Expected number of people ``u``'s word of mouth reaches, ``u`` left out.

    Exact and linear when what ``u`` reaches is a tree (the sum over the subtree of
    the product of ``p`` along the path); otherwise Independent Cascade by Monte
    Carlo over ``runs`` live-edge worlds.

    Parameters
    ----------
    G : nx.DiGraph
        The conversation graph, the referral forest, or any directed graph.
    u : node
        The talker.
    p : float, mapping or None
        One probability for every edge, a mapping ``(u, v) -> p`` (missing edges
        pass nothing), or None for :func:`edge_probabilities` with ``prior``.
    runs, seed : int
        Monte Carlo worlds and their seed.

    Returns
    -------
    dict
        ``expected_spread``, ``method`` (``"exact"`` or ``"monte_carlo"``), ``runs``
        and ``seed`` (None when exact).

    Examples
    --------
    >>> path = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> expected_spread(path, "a", p=0.5)["expected_spread"]
    0.75
    >>> pair = nx.DiGraph([("a", "b"), ("b", "a")])
    >>> expected_spread(pair, "a", p=1.0)
    {'expected_spread': 1.0, 'method': 'monte_carlo', 'runs': 200, 'seed': 0}
    """
    if u not in G:
        raise nx.NodeNotFound(f"Node {u!r} is not in the graph.")
    successors = _successors(G.succ, _edge_probability(G.succ, p, prior))
    exact = _tree_spread(successors, u)
    if exact is not None:
        return {"expected_spread": exact, "method": "exact", "runs": None, "seed": None}
    runs = max(1, runs)
    reach, _ = worlds(successors, [u], runs, seed)
    spread = (reach[0].size - runs) / runs
    return {
        "expected_spread": spread,
        "method": "monte_carlo",
        "runs": runs,
        "seed": seed,
    }


def seed_set(
    G: nx.DiGraph,
    k: int = 10,
    runs: int = 200,
    seed: int = 0,
    candidates=None,
    max_candidates: int = 300,
    *,
    F=None,
    p=None,
    prior: tuple = PRIOR,
    lazy: bool = True,
) -> dict:
    """The ``k`` customers who together reach the most people, chosen greedily.

    CELF (Leskovec et al., KDD 2007) over a bounded pool: the ``max_candidates``
    customers with the highest one-hop expected spread (then the most
    ``conversations_started``, then external id), plus the top ``k`` starters,
    unless ``candidates`` is given. Spread counts the people reached beyond the
    seeds, estimated on ``runs`` live-edge worlds shared by every evaluation.
    Seeds stop short of ``k`` when no candidate left adds anyone
    (``exhausted``). ``lazy=False`` runs plain greedy (same worlds, same choice).
    The greedy order does not depend on ``k``: the best ``j`` seeds are the
    first ``j``.

    The comparison is the top ``k`` conversation starters as docs/metrics.md ranks
    them: most ``reach`` in ``F``, then most ``conversations_started``, then
    external id.

    Parameters
    ----------
    G : nx.DiGraph
        The conversation graph.
    k : int
        Seeds wanted.
    runs, seed : int
        Monte Carlo worlds and their seed.
    candidates : iterable of nodes, optional
        The pool to choose from, in order of preference for ties.
    max_candidates : int
        Size of the default pool.
    F : nx.DiGraph, optional
        The referral forest, which ranks the top starters by reach; without it
        every reach counts as 0.
    p, prior
        Edge probabilities, as in :func:`expected_spread`.
    lazy : bool
        CELF's lazy evaluation.

    Returns
    -------
    dict
        ``seeds`` (``customer_id``, ``external_id``, marginal ``gain``, each
        positive), ``total``, ``exhausted``, ``top_starters`` (``customer_ids``,
        their joint ``total``, and ``totals[j]``, the joint total of the first
        ``j + 1``), ``method``, ``runs``, ``seed``, ``candidates`` (pool size) and
        ``evaluations``.

    Examples
    --------
    ``a`` and ``x`` each tell ``b`` and ``c``; ``y`` tells ``z``. ``a`` was
    credited with ``b`` and ``x`` with ``c``, so the top two starters by reach
    are ``a`` and ``x``, who talk to the same two people:

    >>> G = nx.DiGraph([("a", "b"), ("a", "c"), ("x", "b"), ("x", "c"), ("y", "z")])
    >>> F = nx.DiGraph([("a", "b"), ("x", "c")])
    >>> found = seed_set(G, k=2, F=F, p=1.0)
    >>> [(s["customer_id"], s["gain"]) for s in found["seeds"]], found["total"]
    ([('a', 2.0), ('y', 1.0)], 3.0)
    >>> found["top_starters"]
    {'customer_ids': ['a', 'x'], 'total': 2.0, 'totals': [2.0, 2.0]}

    With ``k=4`` greedy stops at two seeds: nobody else adds anyone.

    >>> found = seed_set(G, k=4, F=F, p=1.0)
    >>> [s["customer_id"] for s in found["seeds"]], found["exhausted"]
    (['a', 'y'], True)
    """
    runs = max(1, runs)
    succ = dict(G.adjacency())  # a plain dict: quicker to look up than G.succ
    q = _edge_probability(succ, p, prior)
    attrs = dict(G.nodes(data=True))
    customers = [
        u for u, a in attrs.items() if a.get("status", "customer") == "customer"
    ]
    started = dict(G.out_degree)
    for u in nx.nodes_with_selfloops(G):
        started[u] -= 1

    def external(u):
        return str(attrs[u].get("external_id", u))

    reach = {} if F is None else reach_all(F)
    top = heapq.nsmallest(
        k, customers, key=lambda u: (-reach.get(u, 0), -started[u], external(u))
    )
    if candidates is None:
        if isinstance(p, Mapping):
            one_hop = dict.fromkeys(customers, 0.0)
            for u, v in G.edges():
                if u != v and u in one_hop:
                    one_hop[u] += q(u, v)
        else:  # one probability per talker
            one_hop = {u: started[u] and started[u] * q(u, None) for u in customers}
        key = lambda u: (-one_hop[u], -started[u], external(u))  # noqa: E731
        pool = heapq.nsmallest(max_candidates, customers, key=key)
        pool = list(dict.fromkeys(pool + top))
    else:
        pool = [u for u in dict.fromkeys(candidates) if u in G]
    return choose(_successors(succ, q), pool, top, external, k, runs, seed, lazy)


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
