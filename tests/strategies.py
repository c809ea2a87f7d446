"""Hypothesis strategies for random conversation graphs and referral forests.

Nodes are inserted in a shuffled order, so that no algorithm can lean on
insertion order being topological, and their ids are sometimes dense (the
store's autoincrement) and sometimes sparse.
"""

from __future__ import annotations

import networkx as nx
from hypothesis import strategies as st

KINDS = ("link", "mention", "heard_from", "referral")
DAY = 86400.0
#: Conversions fall within this many seconds after 2024-03-01 00:00 UTC, so
#: series cross a DST change (2024-03-10 in New York, 03-31 in Paris).
START = 1709251200.0
SPAN = 60 * DAY
#: Referral delays: mostly days, sometimes right at or past the k-factor window.
DELAYS = st.one_of(
    st.floats(0, 3 * DAY),
    st.sampled_from([90 * DAY, 90 * DAY + 1]),
    st.floats(0, 120 * DAY),
)


def _ids(draw, n):
    spacing = draw(st.sampled_from([1, 1, 7_000_001]))
    return draw(st.permutations([i * spacing + 3 for i in range(n)]))


@st.composite
def forests(draw, max_nodes: int = 25, missing_times: bool = False):
    """A referral forest honouring ``wom.graph``'s contract, with attributes."""
    n = draw(st.integers(0, max_nodes))
    ids = _ids(draw, n)
    parent = [
        draw(st.one_of(st.none(), st.integers(0, i - 1))) if i else None
        for i in range(n)
    ]
    at = []
    for i in range(n):
        if parent[i] is None:
            at.append(START + draw(st.floats(0, SPAN)))
        else:
            at.append(at[parent[i]] + draw(DELAYS))
    F = nx.DiGraph()
    for i in draw(st.permutations(range(n))):
        known = not missing_times or draw(st.booleans()) or parent[i] is None
        F.add_node(
            ids[i],
            external_id=f"c{draw(st.integers(0, 2 * max_nodes)):03d}",
            status="customer",
            acquired_at=at[i] if known else None,
            acquired_via="root" if parent[i] is None else "referred",
            value=float(draw(st.integers(0, 50))),
        )
    for i in draw(st.permutations(range(n))):
        if parent[i] is not None:
            kind = draw(st.sampled_from(KINDS))
            F.add_edge(ids[parent[i]], ids[i], kind=kind, at=at[i])
            F.nodes[ids[i]]["acquired_via"] = (
                "mention" if kind in ("mention", "heard_from") else "referred"
            )
    return F


@st.composite
def digraphs(draw, max_nodes: int = 14, multigraph: bool = False):
    """Any directed graph: cycles, merges, self-loops, isolated nodes."""
    n = draw(st.integers(0, max_nodes))
    ids = _ids(draw, n)
    G = nx.MultiDiGraph() if multigraph else nx.DiGraph()
    G.add_nodes_from(ids)
    if n:
        pairs = st.tuples(st.sampled_from(ids), st.sampled_from(ids))
        G.add_edges_from(draw(st.lists(pairs, max_size=3 * n)))
    return G


@st.composite
def forest_with_merges(draw, max_nodes: int = 40):
    """Mostly a forest, plus a few edges that merge paths or close cycles."""
    F = draw(forests(max_nodes=max_nodes))
    G = nx.DiGraph(F.edges)
    G.add_nodes_from(F)
    nodes = list(F)
    if nodes:
        pairs = st.tuples(st.sampled_from(nodes), st.sampled_from(nodes))
        G.add_edges_from(draw(st.lists(pairs, max_size=4)))
    return G


@st.composite
def word_of_mouth(draw, max_nodes: int = 25):
    """``(G, F)``: credited referrals are converted touches in ``G``, plus
    prospects and touches that did not earn the credit."""
    F = draw(forests(max_nodes=max_nodes, missing_times=draw(st.booleans())))
    G = nx.DiGraph()
    G.add_nodes_from(F.nodes(data=True))
    for u, v, kind in F.edges(data="kind"):
        G.add_edge(u, v, kinds=frozenset([kind]), touches=1, converted=True)
    prospects = [f"p{i}" for i in range(draw(st.integers(0, 5)))]
    for p in prospects:
        G.add_node(
            p,
            external_id=p,
            status="prospect",
            acquired_at=None,
            acquired_via=None,
            value=0.0,
        )
    people = list(G)
    if people:
        extra = st.tuples(
            st.sampled_from(people), st.sampled_from(people), st.booleans()
        )
        for u, v, converted in draw(st.lists(extra, max_size=2 * len(people))):
            if not G.has_edge(u, v):
                G.add_edge(
                    u, v, kinds=frozenset(["mention"]), touches=1, converted=converted
                )
    return G, F


def assert_plain_data(value, node_types=(int,)):
    """Fail unless ``value`` is builtins all the way down (what jsonify takes).

    ``numpy.float64`` passes ``isinstance(x, float)`` and ``json.dumps``, so
    this checks exact types. Node ids may be ``node_types``.
    """
    plain = (bool, int, float, str, type(None), *node_types)
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) in plain, repr(key)
            assert_plain_data(item, node_types)
    elif isinstance(value, list):
        for item in value:
            assert_plain_data(item, node_types)
    else:
        assert type(value) in plain, f"{value!r} is a {type(value).__name__}"
