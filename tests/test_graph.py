"""Building G and F from the store: the fast builder equals the plain one."""

from __future__ import annotations

import networkx as nx
import pytest

from wom.demo import generate
from wom.graph import build_conversation_graph, build_graphs, build_referral_forest
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
