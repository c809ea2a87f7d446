"""The conversation graph as arrays: what the array-based figures run on.

The background worker never needs ``G`` as networkx dicts: every figure it
computes walks edges by position. :class:`GraphArrays` holds the people sorted
by id (the canonical order of :mod:`wom.analytics.structure`) and each edge as
a pair of positions, in the store's key order (talker, then listener), which is
the order in which ``wom.graph`` adds them to ``G``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np

__all__ = [
    "GraphArrays",
    "KIND_BITS",
    "VIA_CODES",
    "canonical_undirected",
    "undirected_of",
]

#: Bit of each edge kind in ``GraphArrays.kinds``.
KIND_BITS = {"link": 1, "mention": 2, "heard_from": 4, "referral": 8}
#: Code of each ``acquired_via`` in ``GraphArrays.acquired_via`` (0: none).
VIA_CODES = {"root": 1, "referred": 2, "mention": 3}


def canonical_undirected(n: int, a, b):
    """CSR of the simple undirected graph on edges ``a[i] - b[i]`` (positions).

    Returns ``indptr``, ``indices`` (neighbours ascending, both directions) and
    the edges ``lo < hi`` once each, sorted; self-loops and repeats are dropped.

    >>> indptr, indices, lo, hi = canonical_undirected(3, [2, 1, 0, 1], [1, 2, 0, 0])
    >>> indptr.tolist(), indices.tolist(), lo.tolist(), hi.tolist()
    ([0, 1, 3, 4], [1, 0, 2, 1], [0, 1], [1, 2])
    """
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    keep = a != b
    key = np.unique(np.minimum(a, b)[keep] * n + np.maximum(a, b)[keep])
    lo, hi = (key // n, key % n) if n else (key, key)
    src, dst = np.concatenate([lo, hi]), np.concatenate([hi, lo])
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return indptr, dst[np.lexsort((dst, src))], lo, hi


@dataclass
class GraphArrays:
    """People and conversations of ``G`` as columns (see ``wom.graph``).

    Attributes
    ----------
    ids : ndarray of int64
        Person id at each position, ascending.
    customer : ndarray of bool
        Whether each person is a customer.
    acquired_via : ndarray of int8
        ``VIA_CODES`` of each person, 0 for none.
    external_id : list of str
        External id of each person.
    src, dst : ndarray of int64
        Talker and listener position of each edge, self-loops included.
    kinds : ndarray of uint8
        ``KIND_BITS`` of each edge.
    converted : ndarray of bool
        Whether each edge's listener converted.
    credit_referrer, credit_customer : ndarray of int64
        Positions of each credit of ``F`` (credited, not held).
    """

    ids: np.ndarray
    customer: np.ndarray
    acquired_via: np.ndarray
    external_id: list
    src: np.ndarray
    dst: np.ndarray
    kinds: np.ndarray
    converted: np.ndarray
    credit_referrer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    credit_customer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @classmethod
    def from_columns(cls, people: dict, touches: dict, credits: dict | None = None):
        """From ``wom.store.queries`` ``people_arrays``/``touch_arrays``/
        ``credit_arrays``: ids become positions."""
        ids = np.asarray(people["id"], np.int64)
        order = np.argsort(ids, kind="stable")
        if (order != np.arange(len(ids))).any():
            raise ValueError("people must come sorted by id")
        credits = credits or {"referrer_id": [], "customer_id": []}
        return cls(
            ids=ids,
            customer=np.asarray(people["customer"], bool),
            acquired_via=np.asarray(people["acquired_via"], np.int8),
            external_id=list(people["external_id"]),
            src=cls._positions(ids, touches["talker_id"]),
            dst=cls._positions(ids, touches["listener_id"]),
            kinds=np.asarray(touches["kinds"], np.uint8),
            converted=np.asarray(touches["converted"], bool),
            credit_referrer=cls._positions(ids, credits["referrer_id"]),
            credit_customer=cls._positions(ids, credits["customer_id"]),
        )

    @classmethod
    def from_graph(cls, G: nx.DiGraph, F: nx.DiGraph | None = None):
        """From networkx graphs with integer ids (``wom.graph``'s contract).

        >>> G = nx.DiGraph()
        >>> G.add_node(2, status="customer", external_id="b", acquired_via="mention")
        >>> G.add_node(1, status="prospect", external_id="a")
        >>> G.add_edge(2, 1, kinds=frozenset({"link", "mention"}), converted=True)
        >>> ga = GraphArrays.from_graph(G)
        >>> ga.ids.tolist(), ga.customer.tolist(), ga.acquired_via.tolist()
        ([1, 2], [False, True], [0, 3])
        >>> ga.src.tolist(), ga.dst.tolist(), ga.kinds.tolist()
        ([1], [0], [3])
        """
        ids = np.array(sorted(G), np.int64)
        attrs = [G.nodes[u] for u in ids.tolist()]
        edges = sorted(G.edges(data=True), key=lambda e: (e[0], e[1]))
        credits = sorted(F.edges()) if F is not None else []
        return cls.from_columns(
            {
                "id": ids,
                "customer": [a.get("status", "customer") == "customer" for a in attrs],
                "acquired_via": [
                    VIA_CODES.get(a.get("acquired_via"), 0) for a in attrs
                ],
                "external_id": [
                    str(a.get("external_id", u))
                    for a, u in zip(attrs, ids.tolist(), strict=True)
                ],
            },
            {
                "talker_id": np.array([u for u, _, _ in edges], np.int64),
                "listener_id": np.array([v for _, v, _ in edges], np.int64),
                "kinds": [
                    sum(KIND_BITS[k] for k in d.get("kinds", ())) for _, _, d in edges
                ],
                "converted": [bool(d.get("converted")) for _, _, d in edges],
            },
            {
                "referrer_id": np.array([u for u, _ in credits], np.int64),
                "customer_id": np.array([v for _, v in credits], np.int64),
            },
        )

    @staticmethod
    def _positions(ids: np.ndarray, wanted) -> np.ndarray:
        wanted = np.asarray(wanted, np.int64)
        pos = np.minimum(np.searchsorted(ids, wanted), max(len(ids) - 1, 0))
        if len(wanted) and (ids[pos] != wanted).any():
            raise ValueError("an edge names a person who is not in the graph")
        return pos

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def talks(self) -> np.ndarray:
        """``conversations_started`` by position: out-degree, self-loops aside."""
        talking = self.src != self.dst
        return np.bincount(self.src[talking], minlength=len(self)).astype(np.int64)

    @cached_property
    def undirected(self):
        """:func:`canonical_undirected` of the edges."""
        return canonical_undirected(len(self), self.src, self.dst)

    @cached_property
    def external_rank(self) -> np.ndarray:
        """Each person's place among the external ids sorted as Python sorts str."""
        rank = np.empty(len(self), np.int64)
        rank[np.argsort(np.array(self.external_id, dtype=str), kind="stable")] = (
            np.arange(len(self))
        )
        return rank

    @cached_property
    def forest_reach(self) -> np.ndarray:
        """Descendants of each person in ``F`` (0 outside it)."""
        from wom.analytics.forest import ForestArrays
        from wom.analytics.passes import subtree_sum

        parent = np.full(len(self), -1, np.int64)
        parent[self.credit_customer] = self.credit_referrer
        return subtree_sum(ForestArrays(parent), np.ones(len(self), np.int64)) - 1


def undirected_of(G: nx.Graph):
    """``nodes`` (sorted when they compare) and :func:`canonical_undirected` of ``G``.

    >>> nodes, indptr, indices, lo, hi = undirected_of(nx.DiGraph([("b", "a")]))
    >>> nodes, indptr.tolist(), indices.tolist()
    (['a', 'b'], [0, 1, 2], [1, 0])
    """
    try:
        nodes = sorted(G)
    except TypeError:  # ids that do not compare: keep the graph's own order
        nodes = list(G)
    ids = np.asarray(nodes)
    if ids.dtype.kind in "iu":  # integer ids (the contract): look them up in bulk
        ends = np.searchsorted(ids, np.array(list(G.edges()), np.int64).reshape(-1, 2))
    else:
        index = {u: i for i, u in enumerate(nodes)}
        ends = np.array([(index[u], index[v]) for u, v in G.edges()], np.int64)
    a, b = ends.reshape(-1, 2).T
    return (nodes, *canonical_undirected(len(nodes), a, b))
