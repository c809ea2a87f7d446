"""The referral forest ``F`` as integer arrays, built once.

Building reads ``F`` once, then works in numpy: depths by pointer doubling,
and two stable sorts (about 0.1 s at a million nodes). Every all-nodes figure
on ``F`` (reach, generations, referred value, cascades, spread) is then one
pass over these arrays in generation order (:mod:`wom.analytics.passes`),
never one traversal per node.
Position ``i`` stands for node ``nodes[i]``; ``parent[i]`` is the position of
its credited referrer, or -1 for a root.

``F`` honours the contract of :mod:`wom.graph` (in-degree at most 1, no cycle).
Should it not, the arrays repair it deterministically rather than fail: a node
keeps its first-inserted referrer other than itself, and a cycle loses the edge
into its lowest position, which becomes a root.
"""

from __future__ import annotations

import itertools
import operator
from functools import cached_property

import networkx as nx
import numpy as np

from wom.analytics.passes import ancestor_bits, preorder, subtree_height, subtree_sum
from wom.graph import gc_paused

from ..graph import nodes_dict, predecessors_dict, successors_dict

__all__ = [
    "ForestArrays",
    "as_forest",
    "forest_arrays",
    "array_of",
    "listed",
    "positions_of",
    # The passes over these arrays, from wom.analytics.passes:
    "ancestor_bits",
    "preorder",
    "subtree_height",
    "subtree_sum",
]

_VALUES = operator.methodcaller("values")  # also for networkx's filtered views


class ForestArrays:
    """Parent array, children CSR and generation order of a forest.

    Attributes
    ----------
    nodes : list
        Node id at each position.
    parent : ndarray of int64
        Position of each node's parent, -1 for a root.
    depth : ndarray of int64
        Generation below its root (0 for a root).
    root : ndarray of int64
        Position of each node's root.
    order : ndarray of int64
        Positions sorted by generation: roots first, so every parent comes
        before its children (a topological order).
    level_ptr : ndarray of int64
        ``order[level_ptr[g]:level_ptr[g + 1]]`` are the nodes of generation g.
    child_ptr, child_idx : ndarray of int64
        Children of position i are ``child_idx[child_ptr[i]:child_ptr[i + 1]]``.
    graph : networkx.DiGraph or None
        The forest the arrays came from, for node attributes.

    ``index`` (node id -> position), ``values``, ``acquired_at`` and
    ``credited_kind`` are read from ``graph`` on first use, then kept.

    Examples
    --------
    >>> fa = ForestArrays([-1, 0, 1, 0], nodes=["a", "b", "c", "d"])
    >>> fa.depth.tolist(), fa.order.tolist(), fa.children(0).tolist()
    ([0, 1, 2, 1], [0, 1, 3, 2], [1, 3])
    """

    def __init__(self, parent, nodes=None, graph=None):
        parent = np.array(parent, dtype=np.int64).reshape(-1)
        n = len(parent)
        parent[(parent < 0) | (parent >= n)] = -1
        self.nodes = list(range(n)) if nodes is None else list(nodes)
        if len(self.nodes) != n:
            raise ValueError(f"{len(self.nodes)} nodes for {n} parents.")
        self.graph = graph
        self.parent, self.depth, self.root = _resolve(parent)
        self.order = np.argsort(self.depth, kind="stable")
        widths = np.bincount(self.depth, minlength=1 if n else 0)
        self.level_ptr = np.concatenate(([0], np.cumsum(widths))).astype(np.int64)
        by_parent = np.argsort(self.parent, kind="stable")
        has_parent = self.parent >= 0
        self.child_idx = by_parent[n - int(has_parent.sum()) :]
        counts = np.bincount(self.parent[has_parent], minlength=n)
        self.child_ptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    def __len__(self):
        return len(self.parent)

    @property
    def generations_count(self) -> int:
        """Number of generations (0 for an empty forest)."""
        return len(self.level_ptr) - 1

    def children(self, i: int) -> np.ndarray:
        """Positions of the children of position ``i``."""
        return self.child_idx[self.child_ptr[i] : self.child_ptr[i + 1]]

    @cached_property
    def index(self) -> dict:
        """Node id -> position."""
        return dict(zip(self.nodes, range(len(self.nodes)), strict=True))

    @cached_property
    def values(self) -> np.ndarray:
        """Each node's ``value`` attribute (purchases), 0.0 when missing."""
        return self._attribute("value", 0.0)

    @cached_property
    def acquired_at(self) -> np.ndarray:
        """Each node's ``acquired_at`` (POSIX seconds), NaN when unknown."""
        return self._attribute("acquired_at", np.nan)

    @cached_property
    @gc_paused()
    def credited_kind(self) -> list:
        """Kind of the credited touch into each node (``None`` for a root)."""
        kinds = [None] * len(self)
        if self.graph is None:
            return kinds
        referrers = listed(map(predecessors_dict(self.graph).__getitem__, self.nodes))
        indegree = array_of(map(len, referrers), np.int64)
        credited = self.parent >= 0
        if np.array_equal(indegree, credited):
            # The contract holds: each edge into a node is its credit, and the
            # edges come out in node order without a lookup per edge.
            edges = itertools.chain.from_iterable(map(_VALUES, referrers))
            found = np.full(len(self), None, dtype=object)
            found[credited] = listed(map(operator.methodcaller("get", "kind"), edges))
            return found.tolist()
        succ, nodes = successors_dict(self.graph), self.nodes
        below = np.flatnonzero(credited)
        for i, p in zip(below.tolist(), self.parent[below].tolist(), strict=True):
            kinds[i] = succ[nodes[p]][nodes[i]].get("kind")
        return kinds

    @gc_paused()
    def _attribute(self, name, default):
        if self.graph is None:
            return np.full(len(self), default, dtype=np.float64)
        attrs = map(nodes_dict(self.graph).__getitem__, self.nodes)
        # None becomes NaN on the way into a float array.
        values = array_of(map(operator.methodcaller("get", name), attrs), np.float64)
        values[np.isnan(values)] = default
        return values


def _pointer_jump(parent):
    """Depth and root of every node by pointer doubling: O(n log depth)."""
    n = len(parent)
    is_root = parent < 0
    jump = np.where(is_root, np.arange(n), parent)
    depth = (~is_root).astype(np.int64)
    for _ in range(n.bit_length() + 1):
        ahead = jump[jump]
        if np.array_equal(ahead, jump):
            break
        depth += depth[jump]
        jump = ahead
    return jump, depth


def _resolve(parent):
    """Depth and root of each node, first cutting any cycle (see module doc)."""
    jump, depth = _pointer_jump(parent)
    stuck = parent[jump] >= 0
    if stuck.any():
        # Only reachable when F breaks its contract; walk the few stuck nodes.
        par, walked = parent.tolist(), {}
        for start in np.flatnonzero(stuck).tolist():
            path, v = [], start
            while v >= 0 and v not in walked:
                walked[v] = start
                path.append(v)
                v = par[v]
            if v >= 0 and walked[v] == start:
                parent[min(path[path.index(v) :])] = -1
        jump, depth = _pointer_jump(parent)
    return parent, depth, jump


#: The most items that ``listed`` takes in one C call (a few milliseconds' work).
SLICE = 1 << 15


def listed(items) -> list:
    """``list(items)``, a slice at a time.

    One C call over a million items holds the interpreter's lock for its whole
    length; between slices, other threads (a server's requests, while the
    service rebuilds in the background) get their turn.

    >>> listed(map(str, range(3)))
    ['0', '1', '2']
    """
    out, items = [], iter(items)
    while part := list(itertools.islice(items, SLICE)):
        out += part
    return out


def array_of(items, dtype) -> np.ndarray:
    """``np.array(list(items), dtype)``, a slice at a time (as ``listed``).

    >>> array_of(map(len, ["ab", "", "c"]), np.int64).tolist()
    [2, 0, 1]
    """
    parts, items = [], iter(items)
    while part := list(itertools.islice(items, SLICE)):
        parts.append(np.array(part, dtype))
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def _int_array(items):
    """``items`` as an int64 array, or None when they are not all integers."""
    try:
        if isinstance(items, list) and len(items) > SLICE:
            # A slice at a time (as ``listed``); mixed slices promote together.
            parts = range(0, len(items), SLICE)
            array = np.concatenate([np.asarray(items[i : i + SLICE]) for i in parts])
        else:
            array = np.asarray(items)
    except (TypeError, ValueError, OverflowError):  # ragged or huge
        return None
    if array.dtype.kind not in "iub" or array.ndim != 1:
        return None if len(array) else np.zeros(0, np.int64)
    return array.astype(np.int64, copy=False)


def positions_of(nodes, ids) -> np.ndarray:
    """Positions in ``nodes`` of each id in ``ids`` (-1 where absent).

    Integer ids are matched with a sort and binary search, so a million edges
    map in C instead of through a million dictionary lookups.

    >>> positions_of([30, 10, 20], [20, 30, 99]).tolist()
    [2, 0, -1]
    """
    ids = ids if isinstance(ids, list | np.ndarray) else listed(ids)
    keys, wanted = _int_array(nodes), _int_array(ids)
    if keys is None or wanted is None:
        index = dict(zip(nodes, range(len(nodes)), strict=True))
        return np.fromiter((index.get(u, -1) for u in ids), np.int64)
    if not len(keys):
        return np.full(len(wanted), -1, np.int64)
    low, high = int(keys.min()), int(keys.max())
    if low >= 0 and high < 4 * len(keys) + 1024:
        # Dense ids (the store's autoincrement): one lookup table, no search.
        table = np.full(high + 1, -1, np.int64)
        table[keys] = np.arange(len(keys))
        inside = (wanted >= 0) & (wanted <= high)
        found = np.full(len(wanted), -1, np.int64)
        found[inside] = table[wanted[inside]]
        return found
    perm = np.argsort(keys, kind="stable")
    ranks = np.searchsorted(keys[perm], wanted)
    found = perm[np.minimum(ranks, len(keys) - 1)]
    return np.where(keys[found] == wanted, found, -1).astype(np.int64)


def forest_arrays(F: nx.DiGraph) -> ForestArrays:
    """Build the arrays of ``F`` in O(n).

    >>> F = nx.DiGraph([(1, 2), (2, 3), (1, 4)])
    >>> fa = forest_arrays(F)
    >>> [fa.nodes[i] for i in fa.parent.tolist()[1:]], fa.depth.tolist()
    ([1, 2, 1], [0, 1, 2, 1])
    """
    with gc_paused():
        nodes = list(F)
        n = len(nodes)
        # Read the adjacency dicts directly, as networkx's own algorithms do:
        # the public views cost a third more at a million nodes.
        preds = predecessors_dict(F)
        indegree = np.fromiter(map(len, preds.values()), np.int64, n)
        referrers = itertools.chain.from_iterable(preds.values())
        flat = positions_of(nodes, referrers)
    owner = np.repeat(np.arange(n), indegree)
    keep = flat != owner  # a self-loop is no referral
    owner, flat = owner[keep], flat[keep]
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else []
    parent = np.full(n, -1, np.int64)
    parent[owner[first]] = flat[first]
    return ForestArrays(parent, nodes=nodes, graph=F)


def as_forest(F) -> ForestArrays:
    """``F`` itself when it is already arrays, else :func:`forest_arrays` of it.

    >>> fa = as_forest(nx.DiGraph([(1, 2)]))
    >>> as_forest(fa) is fa, fa.parent.tolist()
    (True, [-1, 0])
    """
    return F if isinstance(F, ForestArrays) else forest_arrays(F)
