"""Customers by their forest figures, for the owner's table and a customer's page.

Functions of the service's forest state (``ForestState``: figures in numpy arrays
by position) and ``F``, called under the service's lock. A page sorted by a
figure is found with keyset paging over the arrays: a few vectorised passes, no
sort of every customer, so it costs milliseconds at a million.
"""

from __future__ import annotations

import heapq
import weakref

import networkx as nx
import numpy as np

from ..graph import nodes_dict, successors_dict
from .forest_state import ForestState

__all__ = ["FIGURE_SORTS", "figure_page", "figures_of", "told_tree"]

# ?sort= figure -> the ForestState array that holds it.
FIGURE_SORTS = {
    "reach": "reach",
    "direct_referrals": "direct",
    "value": "value",
}

# Each state's customers' internal ids as an array, by position. Positions only
# ever grow (a new customer is appended), so the array is extended, never rebuilt.
_IDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _ids(state: ForestState) -> np.ndarray:
    ids = _IDS.get(state)
    n = len(state.nodes)
    if ids is None or len(ids) != n:
        start = 0 if ids is None else len(ids)
        more = np.fromiter(state.nodes[start:n], np.int64, n - start)
        ids = more if ids is None else np.concatenate((ids, more))
        _IDS[state] = ids
    return ids


def figures_of(state: ForestState, nodes) -> dict:
    """Each node's forest figures (reach, direct referrals, generations, value
    and referred value, money in minor units); nodes outside the forest get none.

    >>> F = nx.DiGraph([(1, 2)])
    >>> nx.set_node_attributes(F, {1: 0.0, 2: 250.0}, "value")
    >>> figures_of(ForestState(F), [1, 3])[1]["reach"]
    1
    """
    found = {}
    for node in nodes:
        i = state.pos.get(node)
        if i is not None:
            found[node] = {
                "reach": int(state.reach[i]),
                "direct_referrals": int(state.direct[i]),
                "generations": int(state.height[i]),
                "value": float(state.value[i]),
                "referred_value": float(state.rv[i]),
            }
    return found


def _first(values: np.ndarray, ids: np.ndarray, k: int, descending: bool):
    """Positions of the first ``k`` of (value, id) in order, found with two
    partitions (the value, then the ids among the values tied at the cut)."""
    if len(values) > k:
        signed = -values if descending else values
        cut = np.partition(signed, k - 1)[k - 1]
        chosen = np.flatnonzero(signed < cut)
        ties = np.flatnonzero(signed == cut)
        need = k - len(chosen)
        if need < len(ties):
            tie_ids = -ids[ties] if descending else ids[ties]
            ties = ties[np.argpartition(tie_ids, need - 1)[:need]]
        chosen = np.concatenate((chosen, ties))
    else:
        chosen = np.arange(len(values))
    order = np.lexsort((ids[chosen], values[chosen]))
    return chosen[order[::-1] if descending else order]


def figure_page(
    state: ForestState,
    figure: str,
    *,
    descending: bool = True,
    after: tuple | None = None,
    limit: int = 50,
) -> tuple[list[tuple], tuple | None]:
    """One page of customers in order of ``figure`` (FIGURE_SORTS), ties by
    internal id in the same direction: ``(node, figure value)`` pairs, and the
    key to pass as ``after`` for the next page (None on the last one).

    >>> F = nx.DiGraph([(1, 2), (1, 3), (2, 4)])
    >>> state = ForestState(F)
    >>> figure_page(state, "reach", limit=2)
    ([(1, 3), (2, 1)], (1, 2))
    >>> figure_page(state, "reach", limit=2, after=(1, 2))
    ([(4, 0), (3, 0)], None)
    """
    n = len(state.nodes)
    values = getattr(state, FIGURE_SORTS[figure])[:n]
    ids = _ids(state)
    if after is not None:
        value, node = after
        if descending:
            keep = (values < value) | ((values == value) & (ids < node))
        else:
            keep = (values > value) | ((values == value) & (ids > node))
        where = np.flatnonzero(keep)
        values, ids = values[where], ids[where]
    picked = _first(values, ids, limit + 1, descending)
    rows = [(int(ids[i]), values[i].item()) for i in picked]
    following = (rows[limit - 1][1], rows[limit - 1][0]) if len(rows) > limit else None
    return rows[:limit], following


def _acquired(attrs: dict) -> float:
    at = attrs.get("acquired_at")
    return float("inf") if at is None else at


def told_tree(
    F: nx.DiGraph, state: ForestState, node, *, depth: int = 3, width: int = 6
) -> dict | None:
    """The cascade below ``node``, small enough to draw: ``depth`` generations,
    each person's first ``width`` referrals by conversion. Each entry is
    ``{"node", "external_id", "acquired_at" (s), "kind", "reach", "children",
    "unshown"}``; ``unshown`` counts the descendants left out under the entry
    (those of a child left out, and below the deepest drawn generation).

    >>> F = nx.DiGraph([(1, 2), (1, 3), (2, 4)])
    >>> nx.set_node_attributes(F, {n: str(n) for n in F}, "external_id")
    >>> tree = told_tree(F, ForestState(F), 1, depth=1, width=1)
    >>> [c["node"] for c in tree["children"]], tree["unshown"]
    ([2], 1)
    >>> tree["children"][0]["unshown"]
    1
    """
    if node not in state:
        return None
    nodes, succ = nodes_dict(F), successors_dict(F)

    def entry(u, kind, level: int) -> dict:
        below = succ[u]
        shown = heapq.nsmallest(
            width if level < depth else 0,
            below,
            key=lambda c: (_acquired(nodes[c]), c),
        )
        children = [entry(c, below[c].get("kind"), level + 1) for c in shown]
        reach = int(state.reach[state.pos[u]])
        return {
            "node": u,
            "external_id": nodes[u]["external_id"],
            "acquired_at": nodes[u].get("acquired_at"),
            "kind": kind,
            "reach": reach,
            "children": children,
            "unshown": reach - sum(1 + c["reach"] for c in children),
        }

    return entry(node, None, 0)
