"""The conversation graph's nodes and edges as rows for an export, a chunk at a
time, from the service's ``G`` (people and conversations), ``F`` (who holds
whose credit) and forest state (reach, direct referrals).

Called under the service's lock, one chunk per call, so writes keep flowing
between chunks. Times stay POSIX seconds and money minor units; the exporter
formats them.
"""

from __future__ import annotations

import networkx as nx

from ..graph import nodes_dict, predecessors_dict, successors_dict
from .forest_state import ForestState

__all__ = ["edge_rows", "node_rows"]


def node_rows(G: nx.DiGraph, state: ForestState, people: list[tuple]) -> list[tuple]:
    """``(external_id, name, status, acquired_via, acquired_at, first heard of
    us, value, reach, direct referrals)`` for each ``(id, external_id, name)``
    of ``people`` that ``G`` holds; first heard is the earliest conversation
    the person was told in (None if never), and the figures are None outside
    the forest.

    >>> G = nx.DiGraph()
    >>> G.add_node(1, status="customer", acquired_at=9.0, acquired_via="root",
    ...            value=5.0)
    >>> G.add_node(2, status="prospect", acquired_at=None, acquired_via=None,
    ...            value=0.0)
    >>> G.add_edge(1, 2, first_at=4.0)
    >>> F = nx.DiGraph()
    >>> F.add_node(1)
    >>> rows = node_rows(G, ForestState(F), [(1, "a", "A"), (2, "b", None)])
    >>> rows[0][2:]
    ('customer', 'root', 9.0, None, 5.0, 0, 0)
    >>> rows[1][2:]
    ('prospect', None, None, 4.0, 0.0, None, None)
    """
    nodes, pred, pos = nodes_dict(G), predecessors_dict(G), state.pos
    reach, direct = state.reach, state.direct
    rows = []
    for pid, external_id, name in people:
        attrs = nodes.get(pid)
        if attrs is None:
            continue  # made after the export's snapshot began: not in it
        told = pred[pid]
        heard = min((edge["first_at"] for edge in told.values()), default=None)
        i = pos.get(pid)
        rows.append(
            (
                external_id,
                name,
                attrs["status"],
                attrs.get("acquired_via"),
                attrs.get("acquired_at"),
                heard,
                attrs.get("value") or 0.0,
                None if i is None else int(reach[i]),
                None if i is None else int(direct[i]),
            )
        )
    return rows


def edge_rows(G: nx.DiGraph, F: nx.DiGraph, pairs: list[tuple]) -> list[tuple]:
    """``(talker's external id, listener's, kinds, touches, first_at, last_at,
    converted, credited)`` for each ``(talker, listener)`` of ``pairs`` that
    ``G`` holds; kinds comma-separated and sorted, credited whether the talker
    holds the listener's counted credit.

    >>> G = nx.DiGraph()
    >>> G.add_nodes_from([(1, {"external_id": "a"}), (2, {"external_id": "b"})])
    >>> G.add_edge(1, 2, kinds=frozenset({"mention", "link"}), touches=2,
    ...            first_at=1.0, last_at=2.0, converted=True)
    >>> edge_rows(G, nx.DiGraph([(1, 2)]), [(1, 2), (2, 1)])
    [('a', 'b', 'link,mention', 2, 1.0, 2.0, True, True)]
    """
    nodes, succ, credited = nodes_dict(G), successors_dict(G), successors_dict(F)
    # A few distinct sets of kinds (G shares one frozenset per set): each is
    # written once.
    written: dict[frozenset, str] = {}
    rows = []
    for talker, listener in pairs:
        edge = succ.get(talker, {}).get(listener)
        if edge is None:
            continue
        rows.append(
            (
                nodes[talker]["external_id"],
                nodes[listener]["external_id"],
                written.get(edge["kinds"])
                or written.setdefault(edge["kinds"], ",".join(sorted(edge["kinds"]))),
                int(edge["touches"]),
                edge["first_at"],
                edge["last_at"],
                bool(edge["converted"]),
                listener in credited.get(talker, ()),
            )
        )
    return rows
