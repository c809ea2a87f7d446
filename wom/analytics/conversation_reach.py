"""How many people each person's conversations reached: descendants in ``G``.

``G`` may have cycles (mentions run both ways) and merges (two people told the
same person), so summing children's counts overcounts. The exact count used
here (docs/metrics.md) condenses strongly connected components into a DAG, sums
children's counts wherever the structure below is a tree, and searches only
from the ancestors of components with several parents. The sums come from one
spanning forest of the DAG; each search walks only the edges that forest left
out, so a long chain above a merge costs no more than a short one.
"""

from __future__ import annotations

import bisect
import itertools

import networkx as nx
import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from wom.analytics.forest import ForestArrays, positions_of
from wom.analytics.passes import preorder, subtree_sum
from wom.graph import gc_paused

from ..graph import successors_dict

__all__ = [
    "conversation_reach",
    "conversation_reach_all",
    "conversation_reach_from_arrays",
    "edge_arrays",
]


def edge_arrays(G: nx.DiGraph):
    """``(nodes, src, dst)``: ``G``'s edges as positions, self-loops dropped.

    Parallel edges of a multigraph appear once: one edge per ordered pair.

    >>> nodes, src, dst = edge_arrays(nx.DiGraph([(7, 8), (8, 8), (8, 7)]))
    >>> nodes, src.tolist(), dst.tolist()
    ([7, 8], [0, 1], [1, 0])
    """
    with gc_paused():
        nodes = list(G)
        # Read the adjacency dicts directly, as networkx's own algorithms do.
        succ = successors_dict(G)
        degree = np.fromiter(map(len, succ.values()), np.int64, len(nodes))
        dst = positions_of(nodes, itertools.chain.from_iterable(succ.values()))
    src = np.repeat(np.arange(len(nodes), dtype=np.int64), degree)
    talk = src != dst
    return nodes, src[talk], dst[talk]


def conversation_reach(G: nx.DiGraph, u) -> int:
    """Number of people reachable from ``u`` in ``G`` (0 when ``u`` is absent).

    One search from ``u``; use :func:`conversation_reach_all` for everyone.

    Examples
    --------
    A cycle reaches the other person only; a diamond counts ``d`` once.

    >>> conversation_reach(nx.DiGraph([("a", "b"), ("b", "a")]), "a")
    1
    >>> diamond = nx.DiGraph([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    >>> conversation_reach(diamond, "a")
    3
    """
    if u not in G:
        return 0
    seen, stack = {u}, [u]
    succ = successors_dict(G)
    while stack:
        for v in succ[stack.pop()]:
            if v not in seen:
                seen.add(v)
                stack.append(v)
    return len(seen) - 1


@gc_paused()
def conversation_reach_all(G: nx.DiGraph) -> dict:
    """Exact :func:`conversation_reach` of every node, in one sweep.

    Cost is linear in ``G``, plus, for each ancestor of a merge, a search over
    the edges into merges that it reaches: small when ``G`` is mostly a
    forest with a few merges, however deep.

    Examples
    --------
    >>> diamond = nx.DiGraph([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    >>> conversation_reach_all(diamond)
    {'a': 3, 'b': 1, 'c': 1, 'd': 0}
    >>> conversation_reach_all(nx.DiGraph([("a", "b"), ("b", "a"), ("b", "b")]))
    {'a': 1, 'b': 1}
    """
    nodes, src, dst = edge_arrays(G)
    counts = _reach_counts(len(nodes), src, dst)
    return dict(zip(nodes, counts.tolist(), strict=True))


def conversation_reach_from_arrays(n: int, src, dst) -> np.ndarray:
    """:func:`conversation_reach_all` by position, for ``n`` people and edges.

    Self-loops are dropped here, as :func:`edge_arrays` drops them.

    >>> conversation_reach_from_arrays(4, [0, 0, 1, 2, 3], [1, 2, 3, 3, 3]).tolist()
    [3, 1, 1, 0]
    """
    src, dst = np.asarray(src, np.int64), np.asarray(dst, np.int64)
    talk = src != dst
    return _reach_counts(n, src[talk], dst[talk])


def _reach_counts(n: int, src, dst) -> np.ndarray:
    """Descendant count of each of ``n`` nodes given self-loop-free edges."""
    if n == 0:
        return np.zeros(0, np.int64)
    adjacency = csr_array((np.ones(len(src), np.int8), (src, dst)), shape=(n, n))
    k, component = connected_components(adjacency, directed=True, connection="strong")
    component = component.astype(np.int64)
    size = np.bincount(component, minlength=k).astype(np.int64)
    # Edges of the condensation. A spanning forest keeps one parent per
    # component (the lowest); where no other edge leads out of a subtree, the
    # subtree is all that its top reaches. Repeated pairs do no harm.
    top, bottom = component[src], component[dst]
    across = top != bottom
    top, bottom = top[across], bottom[across]
    tree_parent = np.full(k, k, np.int64)
    np.minimum.at(tree_parent, bottom, top)
    tree_parent[tree_parent == k] = -1
    extra = tree_parent[bottom] != top
    below = _Intervals(ForestArrays(tree_parent), size, top[extra], bottom[extra])
    return size[component] - 1 + below.counts()[component]


class _Intervals:
    """Reach in a DAG as unions of preorder intervals of a spanning forest.

    Every subtree of the forest is an interval of its preorder. What a
    component ``x`` reaches is its own interval plus, for every other edge
    ``a -> b`` whose tail ``a`` is reached, the interval of ``b``. Only
    components whose interval holds the tail of another edge are searched,
    and each search touches only those edges: exact, and linear on a forest
    with few merges however deep it is.
    """

    def __init__(self, fa, size, tails, heads):
        self.pre = preorder(fa)
        self.span = subtree_sum(fa, np.ones(len(fa), np.int64))
        self.size = size
        weights = np.zeros(len(fa) + 1, np.int64)
        weights[self.pre + 1] = size
        self.prefix = np.cumsum(weights)  # weight of places [0, p) is prefix[p]
        self.own = self.prefix[self.pre + self.span] - self.prefix[self.pre]
        order = np.argsort(self.pre[tails], kind="stable")
        self.tails = self.pre[tails][order]
        self.heads = heads[order]

    def counts(self) -> np.ndarray:
        """Weight each component reaches, itself excluded."""
        counts = self.own - self.size
        if not len(self.tails):
            return counts
        ends = self.pre + self.span
        first = np.searchsorted(self.tails, self.pre)
        last = np.searchsorted(self.tails, ends)
        searched = np.flatnonzero(last > first)
        pre, ends = self.pre.tolist(), ends.tolist()
        tails, heads = self.tails.tolist(), self.heads.tolist()
        prefix = self.prefix.tolist()
        for x in searched.tolist():
            starts, stops = [pre[x]], [ends[x]]
            pending = [pre[x]]
            while pending:
                low = pending.pop()
                high = stops[bisect.bisect_right(starts, low) - 1]
                for j in range(bisect.bisect_left(tails, low), len(tails)):
                    if tails[j] >= high:
                        break
                    b = heads[j]
                    at = bisect.bisect_right(starts, pre[b]) - 1
                    if at >= 0 and stops[at] > pre[b]:
                        continue  # already reached
                    # Subtrees nest or are disjoint: b's swallows any inside it.
                    i = bisect.bisect_left(starts, pre[b])
                    j_end = bisect.bisect_left(starts, ends[b])
                    starts[i:j_end], stops[i:j_end] = [pre[b]], [ends[b]]
                    pending.append(pre[b])
            weight = sum(
                prefix[b] - prefix[a] for a, b in zip(starts, stops, strict=True)
            )
            counts[x] = weight - self.size[x]
        return counts
