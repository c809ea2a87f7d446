"""Rows from the store -> the two networkx graphs that every figure is computed on.

The contract that ``wom.analytics`` relies on (docs/metrics.md, "The two graphs"):

Conversation graph ``G`` (``nx.DiGraph``), talker -> listener
    Nodes are internal person ids (``int``), customers and prospects alike, with:

    - ``external_id`` (str)
    - ``status`` (``"customer"`` or ``"prospect"``)
    - ``acquired_at`` (POSIX seconds as float, or ``None`` for a prospect)
    - ``acquired_via`` (``"root"``, ``"referred"``, ``"mention"``, or ``None``)
    - ``value`` (the sum of the person's purchases, in minor units of the
      business's currency: cents for EUR)

    One edge per ordered pair, with ``kinds`` (frozenset of ``"link"``,
    ``"mention"``, ``"heard_from"``, ``"referral"``), ``touches`` (int),
    ``first_at`` and ``last_at`` (POSIX seconds) and ``converted`` (bool).
    ``G`` may have cycles: mentions run both ways.

Referral forest ``F`` (``nx.DiGraph``), credited referrer -> referee
    Every customer is a node, with the same attributes as in ``G``. An edge
    ``u -> v`` means ``u`` is ``v``'s credited referrer; it carries ``kind``
    (the credited touch's kind) and ``at`` (that touch's time). Every node has
    in-degree 0 (a root) or 1, and ``F`` has no cycle. Held credits (awaiting
    review) are not edges until approved.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from contextlib import contextmanager

import networkx as nx

__all__ = [
    "nodes_dict",
    "predecessors_dict",
    "successors_dict",
    "build_conversation_graph",
    "build_referral_forest",
    "build_graphs",
    "forget_views",
    "gc_paused",
    "person_attrs",
    "put_node",
    "put_touches",
]


# networkx keeps a DiGraph in three dicts of dicts: ``_node`` (node -> attributes),
# ``_succ`` and ``_pred`` (node -> neighbour -> edge attributes; ``_adj`` is
# ``_succ``). Its public views (``G.succ[u]``, ``G.nodes[u]``) wrap each lookup
# in a new view object, which costs a second at a million nodes in the passes
# over every node, so wom reads and fills the dicts themselves, here and through
# these accessors only. tests/test_graph.py fails if an upgrade changes them.


def nodes_dict(graph: nx.DiGraph) -> dict:
    """The graph's own node dict: node -> attribute dict (read it, don't replace it).

    >>> G = nx.DiGraph()
    >>> G.add_node(1, status="customer")
    >>> nodes_dict(G)[1]
    {'status': 'customer'}
    """
    return graph._node


def successors_dict(graph: nx.DiGraph) -> dict:
    """The graph's own successor dict: node -> {successor: edge attribute dict}.

    >>> G = nx.DiGraph([(1, 2)])
    >>> successors_dict(G)[1]
    {2: {}}
    """
    return graph._succ


def predecessors_dict(graph: nx.DiGraph) -> dict:
    """The graph's own predecessor dict: node -> {predecessor: edge attribute dict}.

    >>> G = nx.DiGraph([(1, 2)])
    >>> predecessors_dict(G)[2]
    {1: {}}
    """
    return graph._pred


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while bulk-building graphs.

    Millions of small dicts trigger a collection every few thousand allocations,
    and none of them can be garbage yet.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _person_attrs(row: dict) -> dict:
    return {
        "external_id": row["external_id"],
        "status": row["status"],
        "acquired_at": row["acquired_at"],
        "acquired_via": row["acquired_via"],
        "value": row.get("value") or 0.0,
    }


def build_conversation_graph(
    people: Iterable[dict], touches: Iterable[dict]
) -> nx.DiGraph:
    """Build ``G`` from people rows and aggregated touch rows.

    ``people`` rows carry ``id``, ``external_id``, ``status``, ``acquired_at``,
    ``acquired_via`` and ``value``; ``touches`` rows carry ``talker_id``,
    ``listener_id``, ``kinds`` (comma-separated), ``touches``, ``first_at``,
    ``last_at`` and ``converted``.

    >>> people = [
    ...     {"id": 1, "external_id": "a", "status": "customer", "acquired_at": 0.0,
    ...      "acquired_via": "root", "value": 5.0},
    ...     {"id": 2, "external_id": "b", "status": "prospect", "acquired_at": None,
    ...      "acquired_via": None, "value": 0.0},
    ... ]
    >>> touches = [{"talker_id": 1, "listener_id": 2, "kinds": "mention",
    ...             "touches": 2, "first_at": 10.0, "last_at": 20.0, "converted": 0}]
    >>> G = build_conversation_graph(people, touches)
    >>> sorted(G.edges(data="kinds"))
    [(1, 2, frozenset({'mention'}))]
    >>> G.nodes[2]["status"]
    'prospect'
    """
    G = nx.DiGraph()
    with gc_paused():
        G.add_nodes_from((row["id"], _person_attrs(row)) for row in people)
        G.add_edges_from(
            (
                row["talker_id"],
                row["listener_id"],
                {
                    "kinds": frozenset(row["kinds"].split(",")),
                    "touches": row["touches"],
                    "first_at": row["first_at"],
                    "last_at": row["last_at"],
                    "converted": bool(row["converted"]),
                },
            )
            for row in touches
        )
    return G


def build_referral_forest(G: nx.DiGraph, credits: Iterable[dict]) -> nx.DiGraph:
    """Build ``F`` from ``G``'s customers and the credited (not held) referrers.

    ``credits`` rows carry ``customer_id``, ``referrer_id``, ``kind`` and ``at``.

    >>> G = nx.DiGraph()
    >>> G.add_node(1, status="customer", acquired_at=0.0)
    >>> G.add_node(2, status="customer", acquired_at=5.0)
    >>> G.add_node(3, status="prospect", acquired_at=None)
    >>> F = build_referral_forest(G, [{"customer_id": 2, "referrer_id": 1,
    ...                               "kind": "link", "at": 4.0}])
    >>> sorted(F.nodes), list(F.edges(data="kind"))
    ([1, 2], [(1, 2, 'link')])
    """
    F = nx.DiGraph()
    with gc_paused():
        F.add_nodes_from(
            (node, attrs)
            for node, attrs in G.nodes(data=True)
            if attrs.get("status") == "customer"
        )
        F.add_edges_from(
            (
                row["referrer_id"],
                row["customer_id"],
                {"kind": row["kind"], "at": row["at"]},
            )
            for row in credits
        )
    return F


def person_attrs(external_id, status, acquired_at, via, value) -> dict:
    """A person's node attributes in ``G`` (and ``F``), from a people tuple."""
    return {
        "external_id": external_id,
        "status": status,
        "acquired_at": acquired_at,
        "acquired_via": via,
        "value": value or 0.0,
    }


def put_node(graph: nx.DiGraph, node, attrs: dict) -> dict:
    """Add ``node`` with ``attrs`` as its attribute dict, or update the one it has;
    return the node's dict. Adjacency is filled directly, as networkx itself does.

    >>> G = nx.DiGraph()
    >>> put_node(G, 1, {"status": "prospect"}) is put_node(G, 1, {"status": "x"})
    True
    >>> G.nodes[1], list(G.successors(1))
    ({'status': 'x'}, [])
    """
    found = graph._node.get(node)
    if found is None:
        graph._node[node] = found = attrs
        graph._succ[node] = {}
        graph._pred[node] = {}
    elif found is not attrs:
        found.update(attrs)
    return found


_KINDS: dict[str, frozenset] = {}


def put_touches(G: nx.DiGraph, touches: Iterable[tuple]) -> None:
    """Add or replace the talker -> listener edges of ``touches`` tuples (both ends
    already nodes); each distinct set of kinds is one shared frozenset."""
    succ, pred = G._succ, G._pred
    for talker, listener, kinds, count, first, last, converted in touches:
        shared = _KINDS.get(kinds)
        if shared is None:
            shared = _KINDS[kinds] = frozenset(kinds.split(","))
        data = {
            "kinds": shared,
            "touches": count,
            "first_at": first,
            # One touch: one float object for both ends (24 bytes an edge).
            "last_at": first if last == first else last,
            "converted": bool(converted),
        }
        succ[talker][listener] = data
        pred[listener][talker] = data


def forget_views(*graphs: nx.DiGraph) -> None:
    """Drop networkx's cached views and backend caches after a direct fill."""
    for graph in graphs:
        for name in (
            "adj",
            "succ",
            "pred",
            "nodes",
            "edges",
            "in_edges",
            "out_edges",
            "degree",
            "in_degree",
            "out_degree",
        ):
            graph.__dict__.pop(name, None)
        graph.__networkx_cache__.clear()


def build_graphs(
    people: Iterable[tuple], touches: Iterable[tuple], credits: Iterable[tuple]
) -> tuple[nx.DiGraph, nx.DiGraph]:
    """Build ``G`` and ``F`` from table tuples, fast enough for a million people.

    ``people`` are ``(id, external_id, status, acquired_at, acquired_via, value)``,
    ``touches`` ``(talker_id, listener_id, kinds, touches, first_at, last_at,
    converted)`` and ``credits`` ``(customer_id, referrer_id, kind, at)``, as
    ``wom.store.graph_rows`` reads them. The graphs equal what
    ``build_conversation_graph`` and ``build_referral_forest`` make, but they are
    filled through networkx's adjacency dicts directly (``add_edges_from`` costs
    several times more per edge), ``F`` shares its node attribute dicts with ``G``
    and each distinct set of kinds is one shared frozenset.

    >>> G, F = build_graphs(
    ...     [(1, "a", "customer", 0.0, "root", 5.0),
    ...      (2, "b", "customer", 9.0, "mention", 0.0),
    ...      (3, "c", "prospect", None, None, 0.0)],
    ...     [(1, 2, "mention", 1, 8.0, 8.0, 1), (2, 3, "link,mention", 2, 9.0, 9.5, 0)],
    ...     [(2, 1, "mention", 8.0)])
    >>> sorted(G.edges[2, 3]["kinds"]), list(F.edges(data="kind"))
    (['link', 'mention'], [(1, 2, 'mention')])
    >>> F.nodes[2] is G.nodes[2], sorted(F)
    (True, [1, 2])
    """
    G, F = nx.DiGraph(), nx.DiGraph()
    g_node, g_succ, g_pred = G._node, G._succ, G._pred
    f_node, f_succ, f_pred = F._node, F._succ, F._pred
    # SQLite gives every row its own copy of a status or a kind: one shared
    # string each saves some 57 bytes a row (about 170 MiB at a million).
    shared = {}.setdefault
    with gc_paused():
        # put_node inlined: a million calls are worth saving on a cold start.
        for pid, external_id, status, acquired_at, via, value in people:
            status = shared(status, status)
            attrs = {
                "external_id": external_id,
                "status": status,
                "acquired_at": acquired_at,
                "acquired_via": shared(via, via),
                "value": value or 0.0,
            }
            g_node[pid] = attrs
            g_succ[pid] = {}
            g_pred[pid] = {}
            if status == "customer":
                f_node[pid] = attrs
                f_succ[pid] = {}
                f_pred[pid] = {}
        put_touches(G, touches)
        for customer, referrer, kind, at in credits:
            data = {"kind": shared(kind, kind), "at": at}
            f_succ[referrer][customer] = data
            f_pred[customer][referrer] = data
    forget_views(G, F)
    return G, F
