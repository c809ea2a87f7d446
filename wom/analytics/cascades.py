"""Cascades: how word of mouth spread from each root of the referral forest ``F``.

A cascade is a root of ``F`` with all its descendants, seen as a tree
(docs/metrics.md, "Cascades"). Every figure of every cascade comes from one pass
over :class:`~wom.analytics.forest.ForestArrays`; structural virality uses the
edge form of the Wiener index, the sum over edges of ``s * (n - s)`` where
``s`` is the size of the subtree below the edge.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from wom.analytics.forest import ForestArrays, as_forest
from wom.analytics.passes import subtree_sum
from wom.graph import gc_paused

from ..graph import nodes_dict, successors_dict

__all__ = ["CASCADE_SORTS", "cascade", "cascade_tree", "cascades"]

#: ``sort=`` name -> figure that :func:`cascades` orders by, largest first.
CASCADE_SORTS = {"size": "size", "depth": "depth", "virality": "structural_virality"}


@gc_paused()
def cascade(F: nx.DiGraph, root) -> dict | None:
    """Figures of the cascade that ``root`` started; ``None`` if not in ``F``.

    Given a node that has a referrer, its subtree is treated as the cascade.
    Keys: ``root``, ``external_id``, ``size``, ``depth``, ``breadth`` (nodes
    per generation, the root at 0), ``max_breadth``, ``structural_virality``
    (``None`` for a single node) and ``duration`` (seconds from the root's
    conversion to the last descendant's; ``None`` when a time is missing).

    Examples
    --------
    A star of 5 is a broadcast, virality 2(n-1)/n; a path of 4, (n+1)/3:

    >>> star = cascade(nx.DiGraph([(0, leaf) for leaf in range(1, 5)]), 0)
    >>> star["size"], star["depth"], star["breadth"], star["structural_virality"]
    (5, 1, [1, 4], 1.6)
    >>> path = cascade(nx.path_graph(4, create_using=nx.DiGraph), 0)
    >>> path["depth"], path["max_breadth"], round(path["structural_virality"], 6)
    (3, 1, 1.666667)
    >>> cascade(nx.DiGraph([(0, 1)]), 1)["structural_virality"] is None
    True
    """
    if root not in F:
        return None
    return _rows(_subtree_arrays(F, root), [0])[0]


@gc_paused()
def cascades(F, sort: str = "size", limit: int | None = None) -> list[dict]:
    """Figures of every cascade in ``F``, largest first by ``sort``.

    ``sort`` is one of ``CASCADE_SORTS``; ties go to the larger cascade, then
    to the smaller external id. Single-node cascades (virality ``None``) sort
    last by virality. ``F`` may be prebuilt arrays.

    >>> F = nx.DiGraph([(0, 1), (1, 2), (3, 4), (3, 5), (3, 6)])
    >>> [(c["root"], c["size"], c["depth"]) for c in cascades(F)]
    [(3, 4, 1), (0, 3, 2)]
    >>> [c["root"] for c in cascades(F, sort="depth")]
    [0, 3]
    """
    if sort not in CASCADE_SORTS:
        raise ValueError(
            f"Unknown sort {sort!r}; use one of {', '.join(CASCADE_SORTS)}."
        )
    fa = as_forest(F)
    roots = np.flatnonzero(fa.parent < 0).tolist()
    rows = _rows(fa, roots)

    def key(row):
        figure = row[CASCADE_SORTS[sort]]
        figure = -math.inf if figure is None else figure
        return (-figure, -row["size"], row["external_id"], row["root"])

    return sorted(rows, key=key)[:limit]


@gc_paused()
def cascade_tree(F: nx.DiGraph, root, max_depth: int | None = None) -> dict | None:
    """The cascade below ``root`` as nested plain dicts, for display.

    Each node is ``{"node", "external_id", "acquired_at", "value", "kind",
    "children", "hidden"}``; ``kind`` is the credited touch's kind (``None``
    at the top), children come in order of conversion, and ``hidden`` counts
    the descendants cut off below ``max_depth`` generations.

    >>> tree = cascade_tree(nx.DiGraph([("a", "b"), ("b", "c")]), "a", max_depth=1)
    >>> tree["children"][0]["node"], tree["children"][0]["hidden"]
    ('b', 1)
    """
    if root not in F:
        return None
    fa = _subtree_arrays(F, root)
    kinds = fa.credited_kind
    size = subtree_sum(fa, np.ones(len(fa), np.int64)).tolist()
    shown = [
        {
            "node": u,
            "external_id": _external_id(F, u),
            "acquired_at": F.nodes[u].get("acquired_at"),
            "value": float(F.nodes[u].get("value") or 0.0),
            "kind": kinds[i],
            "children": [],
            "hidden": 0,
        }
        for i, u in enumerate(fa.nodes)
    ]
    cut = None if max_depth is None else max(max_depth, 0)
    for i, depth in enumerate(fa.depth.tolist()):
        if cut is not None and depth > cut:
            continue
        if depth:
            shown[fa.parent[i]]["children"].append(shown[i])
        if depth == cut:
            shown[i]["hidden"] = size[i] - 1
    for row in shown:
        row["children"].sort(
            key=lambda c: (_sortable_time(c["acquired_at"]), c["node"])
        )
    return shown[0]


def _sortable_time(at):
    return math.inf if at is None else at


def _subtree_arrays(F: nx.DiGraph, root) -> ForestArrays:
    """Arrays of ``root``'s subtree in breadth-first order, ``root`` at 0."""
    nodes, parent, seen = [root], [-1], {root}
    succ = successors_dict(F)
    for i, u in enumerate(nodes):  # grows while we walk it
        for v in succ[u]:
            if v not in seen:
                seen.add(v)
                nodes.append(v)
                parent.append(i)
    return ForestArrays(parent, nodes=nodes, graph=F)


def _external_id(F, u) -> str:
    # The node dict itself: the ``F.nodes`` view costs more than the lookup.
    external_id = nodes_dict(F).get(u, {}).get("external_id") if F is not None else None
    return str(u) if external_id is None else str(external_id)


def _rows(fa: ForestArrays, roots: list[int]) -> list[dict]:
    """Figures of the cascades rooted at positions ``roots`` of ``fa``."""
    n = len(fa)
    if n == 0:
        return []
    size = subtree_sum(fa, np.ones(n, np.int64))
    top = fa.root
    below = np.flatnonzero(fa.parent >= 0)
    # Each edge separates s nodes from the other n - s: it lies on s * (n - s)
    # of the shortest paths, so these sum to the Wiener index of the cascade.
    pairs = size[below] * (size[top[below]] - size[below])
    wiener = np.zeros(n, np.int64)
    np.add.at(wiener, top[below], pairs)
    depth = np.zeros(n, np.int64)
    np.maximum.at(depth, top, fa.depth)
    last = np.full(n, np.nan)
    np.fmax.at(last, top, fa.acquired_at)
    duration = last - fa.acquired_at
    # Count nodes per (cascade, generation); keys sort by cascade, then depth.
    keys, counts = np.unique(top * fa.generations_count + fa.depth, return_counts=True)
    first_key = np.searchsorted(
        keys, np.asarray(roots, np.int64) * fa.generations_count
    )
    counts = counts.tolist()
    # Plain lists, read once: a numpy scalar per figure per root costs more
    # than the figures themselves at a few hundred thousand roots.
    at = np.asarray(roots, np.int64)
    rows = []
    for r, start, s, d, w, seconds in zip(
        roots,
        first_key.tolist(),
        size[at].tolist(),
        depth[at].tolist(),
        wiener[at].tolist(),
        duration[at].tolist(),
        strict=True,
    ):
        node = fa.nodes[r]
        breadth = counts[start : start + d + 1]
        rows.append(
            {
                "root": node,
                "external_id": _external_id(fa.graph, node),
                "size": s,
                "depth": d,
                "breadth": breadth,
                "max_breadth": max(breadth),
                "structural_virality": float(w) / (s * (s - 1) / 2) if s > 1 else None,
                "duration": None if math.isnan(seconds) else seconds,
            }
        )
    return rows
