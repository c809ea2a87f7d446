"""Per-person figures of the referral forest, kept current one change at a time.

``reach``, ``generations`` (subtree height), ``direct_referrals`` and
``referred_value`` live in numpy arrays indexed by position. A new credit walks
the new customer's ancestor path; a credit that moves detaches a whole subtree from
one path and attaches it to another; a purchase adds value along the path. None of
it rebuilds anything.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from ..analytics.forest import as_forest, subtree_height
from ..analytics.referrals import reach_array, referred_value_array
from ..graph import successors_dict

__all__ = ["ForestState"]


class ForestState:
    """Forest figures by person, with O(depth) updates.

    Examples
    --------
    >>> F = nx.DiGraph([("a", "b")])
    >>> nx.set_node_attributes(F, {"a": 0.0, "b": 10.0, "c": 4.0}, "value")
    >>> F.add_node("c", value=4.0)
    >>> state = ForestState(F, decay=0.5)
    >>> state.set_parent("c", "b")
    >>> state.figures("a")
    {'direct_referrals': 1, 'reach': 2, 'generations': 2, 'referred_value': 12.0}
    """

    def __init__(self, F: nx.DiGraph, decay: float = 0.5, arrays=None):
        self.F = F
        self.decay = decay
        fa = as_forest(F) if arrays is None else arrays
        n = len(fa)
        self.nodes: list = list(fa.nodes)
        self.pos: dict = dict(fa.index)
        capacity = max(16, int(n * 1.25))
        self.parent = np.full(capacity, -1, np.int64)
        self.parent[:n] = fa.parent
        self.reach = np.zeros(capacity, np.int64)
        self.reach[:n] = reach_array(fa)
        self.height = np.zeros(capacity, np.int64)
        self.height[:n] = subtree_height(fa)
        self.direct = np.zeros(capacity, np.int64)
        self.direct[:n] = np.diff(fa.child_ptr)
        self.value = np.zeros(capacity, np.float64)
        self.value[:n] = fa.values
        self.rv = np.zeros(capacity, np.float64)
        self.rv[:n] = referred_value_array(fa, decay)

    def __len__(self) -> int:
        return len(self.nodes)

    def __contains__(self, node) -> bool:
        return node in self.pos

    def figures(self, node) -> dict | None:
        """The forest figures of ``node``; None outside the forest."""
        i = self.pos.get(node)
        if i is None:
            return None
        return {
            "direct_referrals": int(self.direct[i]),
            "reach": int(self.reach[i]),
            "generations": int(self.height[i]),
            "referred_value": float(self.rv[i]),
        }

    def referrer(self, node):
        """The credited referrer of ``node``, or None."""
        i = self.pos.get(node)
        if i is None or self.parent[i] < 0:
            return None
        return self.nodes[self.parent[i]]

    def root(self, node):
        """The root of ``node``'s cascade."""
        i = self.pos[node]
        while self.parent[i] >= 0:
            i = self.parent[i]
        return self.nodes[i]

    def add(self, node, value: float = 0.0) -> None:
        """A new customer, a root until ``set_parent``."""
        if node in self.pos:
            return
        i = len(self.nodes)
        if i == len(self.parent):
            self._grow()
        self.nodes.append(node)
        self.pos[node] = i
        self.value[i] = value
        if node not in self.F:
            self.F.add_node(node)

    def set_value(self, node, value: float) -> None:
        """Set a customer's purchase total; referred value follows up the path."""
        i = self.pos[node]
        delta = value - self.value[i]
        if not delta:
            return
        self.value[i] = value
        weight = 1.0
        j = self.parent[i]
        while j >= 0:
            self.rv[j] += weight * delta
            weight *= self.decay
            j = self.parent[j]

    def set_parent(self, node, referrer) -> None:
        """Move ``node`` and its subtree under ``referrer`` (None: a root)."""
        i = self.pos[node]
        old = self.parent[i]
        new = -1 if referrer is None else self.pos[referrer]
        if old == new:
            return
        if new >= 0 and self._is_ancestor(i, new):
            raise ValueError(f"crediting {referrer!r} for {node!r} would make a cycle")
        size = self.reach[i] + 1
        contribution = self.value[i] + self.decay * self.rv[i]
        if old >= 0:
            self.F.remove_edge(self.nodes[old], node)
            self.direct[old] -= 1
            self._walk(old, -size, -contribution, detached=True, below=self.height[i])
        self.parent[i] = new
        if new >= 0:
            self.F.add_edge(referrer, node)
            self.direct[new] += 1
            self._walk(new, size, contribution, below=self.height[i])

    def _walk(
        self, j: int, size: int, contribution: float, *, detached=False, below: int = 0
    ) -> None:
        weight = 1.0
        distance = 1
        # On a detach, an ancestor's height can only drop if the subtree that left
        # was on its longest path; once one is unchanged, none above changes.
        heights_settled = False
        while j >= 0:
            self.reach[j] += size
            self.rv[j] += weight * contribution
            if not detached:
                self.height[j] = max(self.height[j], below + distance)
            elif not heights_settled:
                if self.height[j] != below + distance:
                    heights_settled = True
                else:
                    before = self.height[j]
                    self.height[j] = max(
                        (
                            self.height[self.pos[c]] + 1
                            for c in successors_dict(self.F)[self.nodes[j]]
                        ),
                        default=0,
                    )
                    heights_settled = self.height[j] == before
            weight *= self.decay
            distance += 1
            j = self.parent[j]

    def _is_ancestor(self, i: int, j: int) -> bool:
        while j >= 0:
            if j == i:
                return True
            j = self.parent[j]
        return False

    def _grow(self) -> None:
        extra = len(self.parent)
        for name, fill in (
            ("parent", -1),
            ("reach", 0),
            ("height", 0),
            ("direct", 0),
            ("value", 0.0),
            ("rv", 0.0),
        ):
            array = getattr(self, name)
            setattr(
                self, name, np.concatenate((array, np.full(extra, fill, array.dtype)))
            )
