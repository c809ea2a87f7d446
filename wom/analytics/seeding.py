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
from collections.abc import Callable, Mapping

import networkx as nx

from wom.analytics.celf import choose, worlds
from wom.analytics.referrals import reach_all

__all__ = [
    "edge_probabilities",
    "expected_spread",
    "seed_set",
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
