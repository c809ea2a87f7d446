"""Figures on the referral forest ``F``: direct referrals, reach, generations, value.

Each figure has a one-node form, a search below that node, and an ``*_all``
form that answers for every node in one pass over generations (docs/metrics.md,
"Scale"). The ``*_all`` forms also take prebuilt
:class:`~wom.analytics.forest.ForestArrays`, so a service builds the arrays
once and reads every figure from them. A node missing from ``F`` (a prospect)
referred nobody: its figures are 0.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from wom.analytics.forest import as_forest
from wom.analytics.passes import subtree_height, subtree_sum

from ..graph import nodes_dict, successors_dict

__all__ = [
    "direct_referrals",
    "direct_referrals_all",
    "generations",
    "generations_all",
    "reach",
    "reach_all",
    "reach_array",
    "referred_value",
    "referred_value_all",
    "referred_value_array",
]


def _generation_sizes(F, u):
    """Sizes of ``u``'s generations below it in ``F`` (1 = direct referrals)."""
    if u not in F:
        return []
    seen, level, sizes = {u}, [u], []
    succ = successors_dict(F)
    while level:
        level = [v for w in level for v in succ[w] if v not in seen and not seen.add(v)]
        sizes.append(len(level))
    return sizes[:-1]


def direct_referrals(F: nx.DiGraph, u) -> int:
    """Customers credited to ``u``: children of ``u`` in ``F``.

    >>> direct_referrals(nx.DiGraph([("a", "b"), ("a", "c"), ("b", "d")]), "a")
    2
    """
    if u not in F:
        return 0
    children = successors_dict(F)[u]
    return len(children) - (u in children)


def direct_referrals_all(F) -> dict:
    """:func:`direct_referrals` of every node of ``F``.

    >>> direct_referrals_all(nx.DiGraph([("a", "b"), ("a", "c"), ("b", "d")]))
    {'a': 2, 'b': 1, 'c': 0, 'd': 0}
    """
    fa = as_forest(F)
    return _keyed(fa.nodes, np.diff(fa.child_ptr))


def reach(F: nx.DiGraph, u) -> int:
    """Customers who came through a chain that started at ``u``.

    >>> reach(nx.DiGraph([("a", "b"), ("b", "c")]), "a")
    2
    """
    return sum(_generation_sizes(F, u))


def reach_all(F) -> dict:
    """:func:`reach` of every node of ``F``: one pass over generations.

    >>> reach_all(nx.DiGraph([("a", "b"), ("b", "c"), ("a", "d")]))
    {'a': 3, 'b': 1, 'c': 0, 'd': 0}
    """
    fa = as_forest(F)
    return _keyed(fa.nodes, reach_array(fa))


def reach_array(fa) -> np.ndarray:
    """Reach by position of :class:`~wom.analytics.forest.ForestArrays`.

    >>> from wom.analytics.forest import ForestArrays
    >>> reach_array(ForestArrays([-1, 0, 1, 0])).tolist()
    [3, 1, 0, 0]
    """
    return subtree_sum(fa, np.ones(len(fa), np.int64)) - 1


def generations(F: nx.DiGraph, u) -> int:
    """Height of ``u``'s subtree in ``F`` (0 for a leaf).

    >>> generations(nx.DiGraph([("a", "b"), ("b", "c")]), "a")
    2
    """
    return len(_generation_sizes(F, u))


def generations_all(F) -> dict:
    """:func:`generations` of every node of ``F``.

    >>> generations_all(nx.DiGraph([("a", "b"), ("b", "c"), ("a", "d")]))
    {'a': 2, 'b': 1, 'c': 0, 'd': 0}
    """
    fa = as_forest(F)
    return _keyed(fa.nodes, subtree_height(fa))


def referred_value(F: nx.DiGraph, u, d: float = 0.5) -> float:
    """Purchases of ``u``'s descendants, ``d``-discounted per generation.

    A descendant ``w`` at generation ``g`` below ``u`` adds
    ``value(w) * d**(g - 1)``; ``d=0`` counts direct referrals only.

    >>> F = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> F.nodes["b"]["value"], F.nodes["c"]["value"] = 10.0, 4.0
    >>> referred_value(F, "a"), referred_value(F, "a", d=0)
    (12.0, 10.0)
    """
    if u not in F:
        return 0.0
    total, weight, seen, level = 0.0, 1.0, {u}, [u]
    nodes, succ = nodes_dict(F), successors_dict(F)
    while level:
        level = [v for w in level for v in succ[w] if v not in seen and not seen.add(v)]
        total += weight * sum(nodes[v].get("value") or 0.0 for v in level)
        weight *= d
    return float(total)


def referred_value_all(F, d: float = 0.5) -> dict:
    """:func:`referred_value` of every node of ``F``, in one pass.

    >>> F = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> F.nodes["b"]["value"], F.nodes["c"]["value"] = 10.0, 4.0
    >>> referred_value_all(F)
    {'a': 12.0, 'b': 4.0, 'c': 0.0}
    """
    fa = as_forest(F)
    return _keyed(fa.nodes, referred_value_array(fa, d))


def referred_value_array(fa, d: float = 0.5) -> np.ndarray:
    """Referred value by position: ``RV(u) = sum(value(c) + d * RV(c))``.

    >>> F = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> F.nodes["b"]["value"], F.nodes["c"]["value"] = 10.0, 4.0
    >>> referred_value_array(as_forest(F)).tolist()
    [12.0, 4.0, 0.0]
    """
    # A(c) = value(c) + d * sum(A(children of c)); RV(u) sums A over children.
    carried = subtree_sum(fa, fa.values, d)
    below = fa.parent >= 0
    return np.bincount(fa.parent[below], weights=carried[below], minlength=len(fa))


def _keyed(nodes, values) -> dict:
    return dict(zip(nodes, np.asarray(values).tolist(), strict=True))
