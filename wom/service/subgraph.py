"""The bounded part of the conversation graph that the Graph page draws.

A million people cannot be drawn, so the page shows the cascades of the top
starters: cascades (roots of ``F``) from the largest down, each walked breadth
first from its root (children in order of conversion), with the prospects its
members talked to, until ``limit`` people are chosen. Then every conversation of
``G`` between two chosen people joins them. Filters narrow who may be chosen; the
walk skips the rest and goes on. The walk is bounded too (``WALK_PER_PERSON``
people looked at per place), so a filter that few match cannot make a request
walk the whole graph.

Functions of ``G``, ``F`` and the forest state (the service's arrays of reach by
position); they take no lock: the caller holds the graphs still.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from ..graph import nodes_dict, predecessors_dict, successors_dict

__all__ = [
    "DEFAULT_LIMIT",
    "EDGE_KINDS",
    "EVERYONE",
    "MAX_LIMIT",
    "Filters",
    "Subgraph",
    "by_conversion",
    "community_labels",
    "ranked_roots",
    "select",
]

EDGE_KINDS = ("link", "mention", "heard_from", "referral")
DEFAULT_LIMIT = 2000
MAX_LIMIT = 5000
# How many people the walk may look at for each place it fills.
WALK_PER_PERSON = 25


@dataclass(frozen=True)
class Filters:
    """Who and which conversations may be shown.

    ``start`` and ``end`` (POSIX seconds, end excluded) keep people who
    converted then and conversations begun then, with the people they join;
    ``kinds`` keeps conversations of those kinds and the people they join (None:
    every kind, and people without any conversation too); ``converted_only``
    leaves prospects out; ``min_reach`` keeps people whose cascade below them
    holds at least that many.
    """

    start: float | None = None
    end: float | None = None
    kinds: frozenset | None = None
    converted_only: bool = False
    min_reach: int = 0

    @property
    def dated(self) -> bool:
        return self.start is not None or self.end is not None

    def in_range(self, at: float | None) -> bool:
        """Whether a time falls in the date range (any time does without one)."""
        if not self.dated:
            return True
        if at is None:
            return False
        return (self.start is None or at >= self.start) and (
            self.end is None or at < self.end
        )

    def edge_ok(self, attrs: dict) -> bool:
        """Whether a conversation passes the kinds and the date range."""
        if self.kinds is not None and not attrs["kinds"] & self.kinds:
            return False
        return self.in_range(attrs["first_at"])


#: No filter: everyone and every conversation.
EVERYONE = Filters()


@dataclass
class Subgraph:
    """What ``select`` chose: ``nodes`` in the order chosen, ``root_of`` each
    one's cascade root (for a prospect, the root of whoever told them first),
    ``edges`` as ``(talker, listener, attrs)``, how many ``cascades`` were walked,
    and whether the walk saw everything that matches (``complete``)."""

    nodes: list = field(default_factory=list)
    root_of: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)
    cascades: int = 0
    complete: bool = True


def ranked_roots(state):
    """Roots of the forest, largest cascade first (ties: earlier customer
    first), lazily: the first few cost a partial sort, not a sort of them all.

    >>> from wom.service.forest_state import ForestState
    >>> F = nx.DiGraph([("a", "b"), ("c", "d"), ("d", "e")])
    >>> F.add_node("f")
    >>> list(ranked_roots(ForestState(F)))
    ['c', 'a', 'f']
    """
    n = len(state)
    roots = np.flatnonzero(state.parent[:n] < 0)
    # One distinct key per root: more reach first, then the earlier position.
    keys = -state.reach[roots] * (n + 1) + roots
    done, size = 0, 256
    while done < len(roots):
        size = min(size, len(roots))
        top = np.argpartition(keys, size - 1)[:size] if size < len(roots) else None
        chosen = np.arange(len(roots)) if top is None else top
        chosen = chosen[np.argsort(keys[chosen])]
        for i in roots[chosen[done:]].tolist():
            yield state.nodes[i]
        done, size = size, size * 8


def select(
    G: nx.DiGraph,
    F: nx.DiGraph,
    state,
    filters: Filters = EVERYONE,
    limit: int = DEFAULT_LIMIT,
    focus=None,
) -> Subgraph:
    """The people and conversations to draw: the largest cascades that match.

    With ``focus`` (a node of ``G``), the walk starts where they are: their own
    path from their cascade's root, then that cascade, or for a prospect the
    cascades of whoever talked to them.

    >>> from wom.service.forest_state import ForestState
    >>> G = nx.DiGraph()
    >>> for u, status in [(1, "customer"), (2, "customer"), (3, "customer"),
    ...                   (4, "customer"), (5, "prospect")]:
    ...     G.add_node(u, status=status, acquired_at=float(u))
    >>> for u, v, kind in [(1, 2, "link"), (1, 3, "mention"), (3, 5, "mention")]:
    ...     G.add_edge(u, v, kinds=frozenset({kind}), first_at=float(v))
    >>> F = nx.DiGraph([(1, 2), (1, 3)])
    >>> F.add_node(4)
    >>> state = ForestState(F)
    >>> chosen = select(G, F, state)
    >>> chosen.nodes, [(u, v) for u, v, _ in chosen.edges]
    ([1, 2, 3, 5, 4], [(1, 2), (1, 3), (3, 5)])
    >>> select(G, F, state, limit=2).nodes, select(G, F, state, limit=2).complete
    ([1, 2], False)
    >>> select(G, F, state, Filters(kinds=frozenset({"mention"}))).nodes
    [1, 3, 5]
    >>> select(G, F, state, Filters(min_reach=1)).nodes
    [1]
    >>> select(G, F, state, Filters(converted_only=True), focus=4).nodes
    [4, 1, 2, 3]
    """
    attrs_of, succ, pred = nodes_dict(G), successors_dict(G), predecessors_dict(G)
    forest = successors_dict(F)
    pos, reach = state.pos, state.reach
    chosen: dict = {}  # node -> its cascade's root, in the order chosen
    looked = 0
    budget = WALK_PER_PERSON * limit
    conversion = by_conversion(attrs_of)

    def reach_of(u) -> int:
        i = pos.get(u)
        return 0 if i is None else int(reach[i])

    def passes(u) -> bool:
        attrs = attrs_of[u]
        if filters.converted_only and attrs.get("status") != "customer":
            return False
        if filters.min_reach and reach_of(u) < filters.min_reach:
            return False
        if filters.kinds is None and not filters.dated:
            return True
        if filters.kinds is None and filters.in_range(attrs.get("acquired_at")):
            return True
        return any(
            filters.edge_ok(edge)
            for ends in (succ[u], pred[u])
            for v, edge in ends.items()
            if v != u
        )

    def take(u, root) -> bool:
        """Choose ``u`` if it passes; False once the limit is reached."""
        nonlocal looked
        looked += 1
        if u not in chosen and passes(u):
            chosen[u] = root
        return len(chosen) < limit and looked < budget

    def walk(root, first=()) -> bool:
        """Choose from ``root``'s cascade (``first`` before the rest)."""
        queue = [*first, root]
        for u in queue:  # grows while we walk it
            if not take(u, root):
                return False
            if not filters.converted_only:
                for v in succ[u]:
                    if v not in pos and v not in chosen and not take(v, root):
                        return False
            if filters.min_reach and reach_of(u) < filters.min_reach:
                continue  # nobody below has more reach than u
            queue.extend(
                sorted((v for v in forest[u] if v not in chosen), key=conversion)
            )
        return True

    walked = set()
    result = Subgraph()
    for root, first in _starts(state, focus, attrs_of, pred):
        if root in walked:
            continue
        if filters.min_reach and reach_of(root) < filters.min_reach and not first:
            break  # roots come largest first: no later one can have more
        walked.add(root)
        result.cascades += 1
        if not walk(root, first):
            result.complete = False
            break
    result.nodes = list(chosen)
    result.root_of = chosen
    for u in result.nodes:
        for v, edge in succ[u].items():
            if v != u and v in chosen and filters.edge_ok(edge):
                result.edges.append((u, v, edge))
    return result


def _starts(state, focus, attrs_of, pred):
    """``(root, first)`` pairs in walking order: the focus's cascade first, the
    focus and their referrers up to the root walked before the rest of it."""
    if focus is not None and focus in attrs_of:
        if focus in state:
            path = [focus]
            while (up := state.referrer(path[-1])) is not None:
                path.append(up)
            yield path[-1], tuple(path[:-1])
        else:  # a prospect: the cascades of whoever talked to them
            talkers = sorted(
                (u for u in pred[focus] if u in state), key=by_conversion(attrs_of)
            )
            for talker in talkers:
                yield state.root(talker), ()
    for root in ranked_roots(state):
        yield root, ()


def by_conversion(attrs_of: dict):
    """A sort key of nodes: when they converted (never last), then the node.

    >>> sorted([1, 2, 3], key=by_conversion({1: {}, 2: {"acquired_at": 5.0},
    ...                                      3: {"acquired_at": 1.0}}))
    [3, 2, 1]
    """

    def key(u):
        at = attrs_of[u].get("acquired_at")
        return (float("inf") if at is None else at, u)

    return key


# The newest background result and its labels: one array per run, not per request.
_labelled: list = [None, None]


def community_labels(result: dict | None) -> np.ndarray | None:
    """Community index by node id (0 the largest community, -1 for none) of a
    background ``communities`` result; None before the first run. Node ids are
    the store's integer ids. The array of the newest result is kept.

    >>> community_labels({"communities": [{"members": [1, 3]}, {"members": [2]}]})
    array([-1,  0,  1,  0], dtype=int32)
    """
    if result is None:
        return None
    if _labelled[0] is result:
        return _labelled[1]
    groups = [row["members"] for row in result.get("communities", [])]
    sizes = np.fromiter(map(len, groups), np.int64, len(groups))
    members = np.fromiter(
        (u for group in groups for u in group), np.int64, int(sizes.sum())
    )
    labels = np.full(int(members.max(initial=-1)) + 1, -1, np.int32)
    labels[members] = np.repeat(np.arange(len(groups), dtype=np.int32), sizes)
    _labelled[:] = [result, labels]
    return labels
