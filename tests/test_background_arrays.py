"""The worker's array figures equal the networkx reference on a demo store."""

from __future__ import annotations

import networkx as nx
import pytest

from wom.analytics import fraud, seeding, structure
from wom.analytics.arrays import GraphArrays
from wom.analytics.betweenness import bridges_from_arrays
from wom.analytics.conversation_reach import conversation_reach_all
from wom.analytics.influence import influence_all, influence_from_arrays
from wom.demo import generate
from wom.graph import build_conversation_graph, build_referral_forest
from wom.service.background import compute
from wom.store import Store, open_database, queries
from wom.store.bulk import load_history


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    """A 1,500-customer demo store, made once for the module."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    store = Store(path)
    store.migrate()
    made = generate(1500, seed=3)
    load_history(store, made.people, made.events, ip_key=b"k" * 32)
    store.close()
    return path


@pytest.fixture(scope="module")
def graphs(demo_path):
    """``(G, F, credit evidence rows, GraphArrays)`` of the demo store."""
    db = open_database(demo_path)
    G = build_conversation_graph(queries.people_rows(db), queries.touch_rows(db))
    F = build_referral_forest(G, queries.credit_rows(db))
    credits = list(queries.credit_evidence(db))
    ga = GraphArrays.from_columns(
        queries.people_arrays(db), queries.touch_arrays(db), queries.credit_arrays(db)
    )
    db.conn.close()
    return G, F, credits, ga


@pytest.fixture(scope="module")
def computed(demo_path):
    return compute(str(demo_path))


def test_arrays_hold_the_graphs(graphs):
    G, F, _, ga = graphs
    ids = ga.ids.tolist()
    assert ids == sorted(G)
    edges = [(ids[u], ids[v]) for u, v in zip(ga.src, ga.dst, strict=True)]
    assert edges == list(G.edges())  # the same order: worlds flip coins in it
    credits = zip(ga.credit_referrer, ga.credit_customer, strict=True)
    assert sorted((ids[u], ids[v]) for u, v in credits) == sorted(F.edges())


def test_influence_equals_networkx_pagerank(graphs, computed):
    G = graphs[0]
    reference = influence_all(G)
    ours = computed["influence"]["scores"]
    assert ours.keys() == reference.keys()
    assert max(abs(ours[u] - reference[u]) for u in G) < 1e-9


def test_influence_from_arrays_on_a_graph_with_loops_and_dangling_people():
    G = nx.gnp_random_graph(300, 0.01, seed=4, directed=True)
    G.add_edges_from([(3, 3), (7, 7)])
    nodes = list(G)
    index = {u: i for i, u in enumerate(nodes)}
    src, dst = zip(*((index[u], index[v]) for u, v in G.edges()), strict=True)
    ours = influence_from_arrays(len(nodes), src, dst)
    reference = influence_all(G)
    assert max(abs(ours[index[u]] - reference[u]) for u in G) < 1e-9


def test_conversation_reach_equals_the_networkx_path(graphs, computed):
    assert computed["conversation_reach"]["scores"] == conversation_reach_all(graphs[0])


@pytest.mark.parametrize("louvain_max_nodes", [100_000, 0])
def test_communities_equal_the_networkx_path(graphs, louvain_max_nodes):
    G, F, _, ga = graphs
    rule = {"seed": 0, "louvain_max_nodes": louvain_max_nodes}
    assert structure.communities_from_arrays(ga, **rule) == structure.communities(
        G, F=F, **rule
    )


@pytest.mark.parametrize("k", [None, 40])
def test_bridges_equal_the_networkx_path(graphs, k):
    G, _, _, ga = graphs
    assert bridges_from_arrays(ga, k=k, seed=0) == structure.bridges(G, k=k, seed=0)


def test_seed_set_equals_the_networkx_path(graphs, computed):
    G, F, _, ga = graphs
    reference = seeding.seed_set(G, k=10, seed=0, F=F)
    estimated = reference.pop("candidate_spread")
    assert computed["seeds"] == reference
    # Everyone whose reach is a tree has the exact spread; the rest of seeding's
    # pool has its Monte Carlo estimate; anyone else has none.
    expected = dict(estimated)
    for u in G:
        found = seeding.expected_spread(G, u, runs=1)
        if found["method"] == "exact":
            expected[u] = found["expected_spread"]
    assert computed["expected_spread"]["scores"] == pytest.approx(expected)


def test_flags_equal_the_networkx_path(graphs, computed):
    G, F, credits, _ = graphs
    assert computed["flags"] == fraud.flags(G, F, credits)


@pytest.mark.parametrize("threshold, min_shared", [(1, 2), (2, 2), (3, 1)])
def test_burst_flags_equal_the_networkx_path(graphs, threshold, min_shared):
    G, F, credits, ga = graphs
    evidence = {
        key: [c[key] for c in credits]
        for key in ("customer_id", "referrer_id", "at", "ip_hmac", "visitor")
    }
    rule = {"threshold": threshold, "min_shared": min_shared, "window": 3600}
    assert fraud.flags_from_arrays(ga, evidence, **rule) == fraud.flags(
        G, F, credits, **rule
    )


def test_background_results_keep_their_shape(computed):
    assert set(computed["timings"]) == {
        "build",
        "influence",
        "conversation_reach",
        "communities",
        "bridges",
        "seed_set",
        "expected_spread",
        "fraud",
        "attribution",
    }
    for name in ("influence", "conversation_reach", "expected_spread"):
        assert all(type(u) is int for u in computed[name]["scores"])
