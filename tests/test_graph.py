"""Building G and F from the store: the fast builder equals the plain one, and
networkx's own dicts, which wom reads and fills, hold what they held when wom
was written (an upgrade that changes them fails here first)."""

from __future__ import annotations

import networkx as nx
import pytest

from wom.demo import generate
from wom.graph import (
    build_conversation_graph,
    build_graphs,
    build_referral_forest,
    forget_views,
    nodes_dict,
    predecessors_dict,
    put_node,
    successors_dict,
)
from wom.store import graph_rows, queries
from wom.store.bulk import load_history


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    from wom.store import Store

    store = Store(tmp_path_factory.mktemp("graph") / "wom.db")
    store.migrate()
    made = generate(600, seed=3)
    load_history(store, made.people, made.events, ip_key=b"k" * 32)
    yield store
    store.close()


def test_fast_builder_equals_the_plain_builders(demo_store):
    db = demo_store.reader()
    G = build_conversation_graph(queries.people_rows(db), queries.touch_rows(db))
    F = build_referral_forest(G, queries.credit_rows(db))
    fast_G, fast_F = build_graphs(
        graph_rows.people_table(db),
        graph_rows.touch_table(db),
        graph_rows.credit_table(db),
    )
    assert nx.utils.graphs_equal(G, fast_G)
    assert nx.utils.graphs_equal(F, fast_F)
    assert G.number_of_edges() > 600
    assert F.number_of_nodes() == 600
    # The fast graphs behave as networkx graphs after the direct fill.
    node = next(iter(fast_F))
    assert fast_G.out_degree(node) == G.out_degree(node)
    assert list(fast_F.successors(node)) == list(F.successors(node))


def test_fast_builder_on_an_empty_store(store):
    G, F = build_graphs(
        graph_rows.people_table(store.reader()),
        graph_rows.touch_table(store.reader()),
        graph_rows.credit_table(store.reader()),
    )
    assert (G.number_of_nodes(), F.number_of_nodes()) == (0, 0)


# -- networkx's own dicts, which wom reads and fills for speed (wom/graph.py) ---------


def test_the_dicts_are_what_the_public_views_show():
    G = nx.DiGraph()
    G.add_node(3, status="prospect")
    G.add_edge(1, 2, kinds=frozenset({"mention"}))
    assert nodes_dict(G) == {3: {"status": "prospect"}, 1: {}, 2: {}}
    assert successors_dict(G) == {
        3: {},
        1: {2: {"kinds": frozenset({"mention"})}},
        2: {},
    }
    assert predecessors_dict(G)[2] == {1: {"kinds": frozenset({"mention"})}}
    # One edge dict, seen from both ends: wom updates it in place.
    assert successors_dict(G)[1][2] is predecessors_dict(G)[2][1] is G.edges[1, 2]
    assert nodes_dict(G)[3] is G.nodes[3]


def test_what_is_written_into_the_dicts_is_the_graph():
    G = nx.DiGraph()
    put_node(G, 1, {"status": "customer"})
    put_node(G, 2, {"status": "prospect"})
    successors_dict(G)[1][2] = predecessors_dict(G)[2][1] = {"touches": 1}
    forget_views(G)
    assert list(G.edges(data=True)) == [(1, 2, {"touches": 1})]
    assert G.number_of_nodes() == 2 and G.in_degree(2) == 1
    assert dict(G.nodes(data="status")) == {1: "customer", 2: "prospect"}
    assert nx.is_directed_acyclic_graph(G)
