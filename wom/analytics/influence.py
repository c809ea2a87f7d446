"""Who starts the most conversations: per-person figures and the rankings.

This module is the public face of the per-person figures of docs/metrics.md. The
figures on ``F`` live in :mod:`wom.analytics.referrals` and conversation reach
in :mod:`wom.analytics.conversation_reach`; both are re-exported here. Each
figure has a one-node form and an ``*_all`` form for every node at once. A
node missing from the graph has no conversations: its figures are 0.
"""

from __future__ import annotations

import heapq
import operator

import networkx as nx
import numpy as np
from scipy.sparse import csr_array

from wom.analytics.conversation_reach import conversation_reach, conversation_reach_all
from wom.analytics.forest import as_forest, positions_of
from wom.analytics.passes import subtree_height
from wom.analytics.referrals import (
    direct_referrals,
    direct_referrals_all,
    generations,
    generations_all,
    reach,
    reach_all,
    reach_array,
    referred_value,
    referred_value_all,
    referred_value_array,
)
from wom.graph import gc_paused

from ..graph import nodes_dict, successors_dict

__all__ = [
    "conversation_reach",
    "conversation_reach_all",
    "conversations_started",
    "conversations_started_all",
    "direct_referrals",
    "direct_referrals_all",
    "generations",
    "generations_all",
    "influence",
    "influence_all",
    "influence_from_arrays",
    "influence_top_overlap",
    "reach",
    "reach_all",
    "referred_value",
    "referred_value_all",
    "top_starters",
    "RANKINGS",
]

#: Convergence of :func:`influence_all`. networkx stops once the summed change
#: is below ``N * tol``, so ``tol`` scales as ``1 / N``.
INFLUENCE_TOL = 1e-10
REFERENCE_TOL = 1e-14

#: ``?by=`` name -> (figure ranked on, figure that breaks its ties). Each
#: ranking breaks ties by the next one in docs/metrics.md's list
#: ``reach|conversations|influence|value|direct``, then by external id.
RANKINGS = {
    "reach": ("reach", "conversations_started"),
    "conversations": ("conversations_started", "influence"),
    "influence": ("influence", "referred_value"),
    "value": ("referred_value", "direct_referrals"),
    "direct": ("direct_referrals", "reach"),
}


def conversations_started(G: nx.DiGraph, u) -> int:
    """Distinct people ``u`` talked to: out-degree in ``G``, self-loops aside.

    >>> G = nx.DiGraph([("a", "b"), ("a", "c"), ("b", "c"), ("c", "c")])
    >>> [conversations_started(G, u) for u in "abc"]
    [2, 1, 0]
    """
    if u not in G:
        return 0
    listeners = successors_dict(G)[u]
    return len(listeners) - (u in listeners)


def conversations_started_all(G: nx.DiGraph) -> dict:
    """:func:`conversations_started` of every node of ``G``.

    >>> conversations_started_all(nx.DiGraph([("a", "b"), ("a", "c"), ("b", "c")]))
    {'a': 2, 'b': 1, 'c': 0}
    """
    nodes, talks = _talks(G)
    return dict(zip(nodes, talks.tolist(), strict=True))


def _talks(G: nx.DiGraph):
    """``(nodes, conversations_started by position)`` in one C-speed pass."""
    succ = successors_dict(G)
    nodes = list(succ)
    degree = np.fromiter(map(len, succ.values()), np.int64, len(nodes))
    loops = np.fromiter(map(operator.contains, succ.values(), nodes), bool, len(nodes))
    return nodes, degree - loops


def influence(G: nx.DiGraph, u) -> float:
    """Converged PageRank of ``u`` on ``G`` reversed (0.0 when absent).

    Computes every node's score; use :func:`influence_all` for more than one.
    A reversed star (centre ``c`` talked to n-1 people) gives the centre
    ``(1 + a(n-1)) / (n + a(n-1))`` with damping ``a``:

    >>> G = nx.DiGraph([("c", leaf) for leaf in "vwxy"])
    >>> round(influence(G, "c"), 6), round((1 + 0.85 * 4) / (5 + 0.85 * 4), 6)
    (0.52381, 0.52381)
    """
    return influence_all(G).get(u, 0.0)


def influence_all(G: nx.DiGraph, tol: float | None = None) -> dict:
    """PageRank of every node on ``G`` with each edge reversed, alpha 0.85.

    ``tol`` defaults to ``INFLUENCE_TOL / N``: networkx compares the summed
    change with ``N * tol``, so its default would stop after one iteration at
    a million people. Self-loops and parallel edges are not conversations and
    are ignored.

    >>> scores = influence_all(nx.DiGraph([("a", "b"), ("b", "c")]))
    >>> max(scores, key=scores.get), round(sum(scores.values()), 9)
    ('a', 1.0)
    """
    n = G.number_of_nodes()
    if n == 0:
        return {}
    H = nx.DiGraph(G) if G.is_multigraph() else G
    loops = list(nx.selfloop_edges(H))
    H = H.reverse(copy=False)
    if loops:
        H = nx.restricted_view(H, [], loops)
    tol = INFLUENCE_TOL / n if tol is None else tol
    return nx.pagerank(H, alpha=0.85, tol=tol, max_iter=10_000, weight=None)


def influence_from_arrays(
    n: int, src, dst, tol: float | None = None, max_iter: int = 10_000
) -> np.ndarray:
    """:func:`influence_all` by position, for ``n`` people and edges ``src -> dst``.

    The power iteration of ``nx.pagerank`` (alpha 0.85, uniform teleport,
    dangling mass spread uniformly, stop once the summed change is below
    ``n * tol``) on a sparse matrix built straight from the edge arrays.
    Self-loops and repeated pairs are ignored, as in :func:`influence_all`.

    >>> scores = influence_from_arrays(5, [0, 0, 0, 0], [1, 2, 3, 4])
    >>> round(float(scores[0]), 6), round((1 + 0.85 * 4) / (5 + 0.85 * 4), 6)
    (0.52381, 0.52381)
    """
    if n == 0:
        return np.zeros(0)
    src, dst = np.asarray(src, np.int64), np.asarray(dst, np.int64)
    talk = src != dst
    pairs = np.unique(src[talk] * n + dst[talk])
    src, dst = pairs // n, pairs % n
    # On G reversed, a listener passes its score on to each of its talkers: the
    # new score of u sums x[v] / (talkers of v) over the people u talked to.
    talkers = np.bincount(dst, minlength=n).astype(np.float64)
    M = csr_array((1.0 / talkers[dst], (src, dst)), shape=(n, n))
    dangling = np.flatnonzero(talkers == 0)
    tol = INFLUENCE_TOL / n if tol is None else tol
    alpha, p = 0.85, np.full(n, 1.0 / n)
    x = p
    for _ in range(max_iter):
        last = x
        x = alpha * (M @ x + x[dangling].sum() * p) + (1 - alpha) * p
        if np.absolute(x - last).sum() < n * tol:
            return x
    raise nx.PowerIterationFailedConvergence(max_iter)


def influence_top_overlap(G: nx.DiGraph, k: int = 100, scores=None) -> float:
    """Share of the top ``k`` by influence that a tight reference agrees on.

    ``scores`` defaults to :func:`influence_all`; the reference is PageRank at
    ``REFERENCE_TOL / N``. 1.0 means the served ranking has converged.

    >>> influence_top_overlap(nx.gnp_random_graph(50, 0.1, seed=1, directed=True))
    1.0
    """
    scores = influence_all(G) if scores is None else scores
    want = min(k, G.number_of_nodes())
    if want == 0:
        return 1.0
    reference = influence_all(G, tol=REFERENCE_TOL / G.number_of_nodes())
    top = set(heapq.nlargest(want, scores, key=scores.get))
    agreed = top.intersection(heapq.nlargest(want, reference, key=reference.get))
    return len(agreed) / want


@gc_paused()
def top_starters(
    G: nx.DiGraph,
    F,
    by: str = "reach",
    limit: int | None = 10,
    include_prospects: bool = False,
    *,
    d: float = 0.5,
    influence_scores: dict | None = None,
) -> list[dict]:
    """The top ``limit`` people by ``by`` (see ``RANKINGS``), best first.

    Customers only unless ``include_prospects``. Ties go to the next figure,
    then to the smaller external id. PageRank is computed only when the
    ranking needs it, unless ``influence_scores`` (cached) are given. Each row
    holds ``node``, ``external_id``, ``status``, ``reach``,
    ``conversations_started``, ``direct_referrals``, ``generations``,
    ``referred_value`` and ``influence`` (``None`` when not computed).

    >>> G = nx.DiGraph([("a", "b"), ("a", "c"), ("b", "c"), ("c", "d")])
    >>> for u in G:
    ...     G.nodes[u].update(external_id=u, status="customer")
    >>> G.nodes["d"]["status"] = "prospect"
    >>> F = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> rows = top_starters(G, F)
    >>> [(r["node"], r["reach"], r["conversations_started"]) for r in rows]
    [('a', 2, 2), ('b', 1, 1), ('c', 0, 1)]
    >>> [r["node"] for r in top_starters(G, F, by="conversations", limit=2)]
    ['a', 'c']
    """
    if by not in RANKINGS:
        raise ValueError(f"Unknown ranking {by!r}; use one of {', '.join(RANKINGS)}.")
    fa = as_forest(F)
    g_nodes, talks = _talks(G)
    in_forest = positions_of(fa.nodes, g_nodes) >= 0
    status = list(map(operator.methodcaller("get", "status"), nodes_dict(G).values()))
    extra = [
        u
        for u, known, s in zip(g_nodes, in_forest.tolist(), status, strict=True)
        if not known and (include_prospects or s == "customer")
    ]
    people = fa.nodes + extra
    pos = positions_of(fa.nodes, people)
    figures = {
        "reach": reach_array(fa),
        "direct_referrals": np.diff(fa.child_ptr),
        "generations": subtree_height(fa),
        "referred_value": referred_value_array(fa, d),
    }
    figures = {name: _lifted(values, pos) for name, values in figures.items()}
    figures["conversations_started"] = _lifted(talks, positions_of(g_nodes, people))
    if influence_scores is None and "influence" in RANKINGS[by]:
        influence_scores = influence_all(G)
    if influence_scores is not None:
        figures["influence"] = np.fromiter(
            (influence_scores.get(u, 0.0) for u in people), np.float64, len(people)
        )
    first, second = (figures[name] for name in RANKINGS[by])
    rows = []
    for i in _best(first, second, limit, lambda i: _external_id(G, fa, people[i])):
        u = people[i]
        row = {"node": u, "external_id": _external_id(G, fa, u)}
        fallback = "customer" if pos[i] >= 0 else "prospect"
        row["status"] = _attributes(G, fa, u).get("status") or fallback
        for name in ("reach", "conversations_started", "direct_referrals"):
            row[name] = int(figures[name][i])
        row["generations"] = int(figures["generations"][i])
        row["referred_value"] = float(figures["referred_value"][i])
        scores = figures.get("influence")
        row["influence"] = None if scores is None else float(scores[i])
        rows.append(row)
    return rows


def _lifted(values, pos):
    """Forest figures by forest position -> by person (0 outside the forest)."""
    out = np.zeros(len(pos), values.dtype)
    inside = pos >= 0
    out[inside] = values[pos[inside]]
    return out


def _best(first, second, limit, external_id) -> list[int]:
    """Indices of the top ``limit``: larger ``first``, larger ``second``, id."""
    order = np.lexsort((-second, -first))
    if limit is not None and limit <= 0:
        return []
    if limit is not None and limit < len(order):
        # Everyone tied with the last place competes for it on external id.
        last = order[limit - 1]
        on_edge = (first == first[last]) & (second == second[last])
        ahead = [i for i in order[:limit].tolist() if not on_edge[i]]
        tied = np.flatnonzero(on_edge).tolist()
        order = ahead + heapq.nsmallest(
            limit - len(ahead), tied, key=lambda i: (external_id(i), i)
        )
    else:
        order = order.tolist()
    firsts, seconds = first.tolist(), second.tolist()
    return sorted(order, key=lambda i: (-firsts[i], -seconds[i], external_id(i), i))[
        :limit
    ]


def _attributes(G, fa, u) -> dict:
    if u in nodes_dict(G):
        return nodes_dict(G)[u]
    return nodes_dict(fa.graph).get(u, {}) if fa.graph is not None else {}


def _external_id(G, fa, u) -> str:
    external_id = _attributes(G, fa, u).get("external_id")
    return str(u) if external_id is None else str(external_id)
