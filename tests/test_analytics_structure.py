"""Communities, NMI and bridges of the conversation graph (docs/metrics.md)."""

from __future__ import annotations

import math
import random
from collections import Counter

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wom.analytics.structure import bridges, communities, normalized_mutual_information

SETTINGS = settings(max_examples=40, deadline=None)


def canonical(G: nx.DiGraph) -> nx.Graph:
    """G as undirected the way the module promises: sorted nodes, sorted edges."""
    H = nx.Graph()
    H.add_nodes_from(sorted(G))
    H.add_edges_from(sorted((min(e), max(e)) for e in G.edges() if e[0] != e[1]))
    return H


def partition(found: dict) -> list[list]:
    return sorted(c["members"] for c in found["communities"])


def person(G, u, status="customer", via="root", ext=None):
    G.add_node(u, status=status, acquired_via=via, external_id=ext or f"x{u}")


@st.composite
def digraphs(draw, max_nodes=14):
    n = draw(st.integers(0, max_nodes))
    pairs = st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, max(n - 1, 0)))
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    if n:
        G.add_edges_from(draw(st.lists(pairs, max_size=3 * n)))
    return G


@pytest.fixture
def two_triangles() -> nx.DiGraph:
    return nx.DiGraph([(1, 2), (2, 3), (3, 1), (3, 4), (4, 5), (5, 6), (6, 4)])


# --- communities -----------------------------------------------------------------


def test_louvain_finds_the_two_triangles(two_triangles):
    found = communities(two_triangles)
    assert found["method"] == "louvain"
    assert partition(found) == [[1, 2, 3], [4, 5, 6]]


def test_the_threshold_chooses_the_method(two_triangles):
    assert communities(two_triangles, louvain_max_nodes=6)["method"] == "louvain"
    lpa = communities(two_triangles, louvain_max_nodes=5)
    assert lpa["method"] == "fast_label_propagation"
    assert sum(c["size"] for c in lpa["communities"]) == 6


@SETTINGS
@given(digraphs(), st.integers(0, 3))
def test_label_propagation_is_networkx_step_for_step(G, seed):
    found = communities(G, seed=seed, louvain_max_nodes=0)
    expected = nx.community.fast_label_propagation_communities(canonical(G), seed=seed)
    assert partition(found) == sorted(sorted(c) for c in expected)


@settings(max_examples=15, deadline=None)
@given(digraphs(), st.integers(0, 3))
def test_louvain_is_networkx_on_the_canonical_graph(G, seed):
    expected = nx.community.louvain_communities(canonical(G), seed=seed)
    assert partition(communities(G, seed=seed)) == sorted(sorted(c) for c in expected)


@SETTINGS
@given(digraphs(), st.integers(0, 3), st.booleans())
def test_communities_partition_every_node_once(G, seed, louvain):
    found = communities(G, seed=seed, louvain_max_nodes=len(G) if louvain else 0)
    members = [u for c in found["communities"] for u in c["members"]]
    assert sorted(members) == sorted(G)
    assert all(c["size"] == len(c["members"]) for c in found["communities"])
    sizes = [c["size"] for c in found["communities"]]
    assert sizes == sorted(sizes, reverse=True)
    again = communities(G, seed=seed, louvain_max_nodes=len(G) if louvain else 0)
    assert again == found


def test_insertion_order_does_not_change_the_answer():
    G = nx.gnm_random_graph(60, 120, seed=1, directed=True)
    shuffled = list(G.edges())
    random.Random(5).shuffle(shuffled)
    H = nx.DiGraph(shuffled)
    H.add_nodes_from(reversed(list(G)))
    for limit in (0, 100):
        assert partition(communities(G, louvain_max_nodes=limit)) == partition(
            communities(H, louvain_max_nodes=limit)
        )


@pytest.fixture
def four_friends() -> nx.DiGraph:
    """Everyone talked with everyone (one community); 1 started three conversations."""
    G = nx.DiGraph([(1, 2), (1, 3), (1, 4), (2, 3), (4, 2), (3, 4)])
    for u, ext in [(1, "b"), (2, "d"), (3, "c"), (4, "a")]:
        person(G, u, via="referred" if u > 2 else "root", ext=ext)
    return G


def only(found: dict) -> dict:
    (community,) = found["communities"]
    return community


def test_top_starter_has_the_highest_reach(four_friends):
    F = nx.DiGraph([(3, 2)])
    F.add_nodes_from(four_friends)
    assert only(communities(four_friends, F))["top_starter"] == {
        "customer_id": 3,
        "external_id": "c",
        "reach": 1,
        "conversations_started": 1,
    }


def test_top_starter_ties_go_to_conversations_then_external_id(four_friends):
    assert only(communities(four_friends))["top_starter"]["customer_id"] == 1
    four_friends.nodes[1]["status"] = "prospect"  # 2, 3, 4 tie at one each
    assert only(communities(four_friends))["top_starter"]["external_id"] == "a"


def test_wom_share_counts_customers_only(four_friends):
    four_friends.nodes[1]["status"] = "prospect"
    person(four_friends, 5, status="prospect", via=None)
    found = communities(four_friends)["communities"]
    assert found[0]["members"] == [1, 2, 3, 4]
    assert found[0]["customers"] == 3
    assert found[0]["wom_share"] == pytest.approx(2 / 3)
    assert found[1] == {
        "size": 1,
        "members": [5],
        "customers": 0,
        "wom_share": None,
        "top_starter": None,
    }


@pytest.mark.parametrize("limit", [0, 100])
def test_degenerate_graphs_have_defined_answers(limit):
    assert communities(nx.DiGraph(), louvain_max_nodes=limit)["communities"] == []
    loops = nx.DiGraph([(1, 1), (2, 2)])
    assert partition(communities(loops, louvain_max_nodes=limit)) == [[1], [2]]
    pair = nx.DiGraph([(1, 2), (2, 1), (2, 2)])
    found = communities(pair, louvain_max_nodes=limit)["communities"]
    assert found[0]["members"] == [1, 2]
    assert found[0]["top_starter"]["conversations_started"] == 1


def test_a_broken_forest_still_gives_reach():
    G = nx.DiGraph([(1, 2), (2, 1)])
    F = nx.DiGraph([(1, 2), (2, 1)])  # a cycle breaks the contract; no exception
    assert communities(G, F)["communities"][0]["top_starter"]["reach"] == 1


# --- normalised mutual information -------------------------------------------------


def naive_nmi(a, b):
    n = len(a)

    def entropy(labels):
        return -sum(c / n * math.log(c / n) for c in Counter(labels).values())

    ha, hb = entropy(a), entropy(b)
    if ha + hb == 0:
        return 1.0
    return (ha + hb - entropy(list(zip(a, b, strict=True)))) / ((ha + hb) / 2)


def test_nmi_hand_case():
    # H(a) = ln 2, H(b) = 0.5623, H(a, b) = 1.0397: I = 0.2158, NMI = I / 0.6277.
    a, b = [0, 0, 1, 1], [0, 0, 0, 1]
    ha = math.log(2)
    hb = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    hab = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25))
    expected = (ha + hb - hab) / ((ha + hb) / 2)
    assert expected == pytest.approx(0.3437, abs=1e-4)
    assert normalized_mutual_information(a, b) == pytest.approx(expected)


def test_nmi_bounds_and_mappings():
    assert normalized_mutual_information([1, 1, 2], ["x", "x", "y"]) == 1.0
    assert normalized_mutual_information([0, 0, 1, 1], [0, 1, 0, 1]) == 0.0
    assert normalized_mutual_information([], []) == 1.0
    assert normalized_mutual_information([7, 7, 7], [7, 7, 7]) == 1.0
    assert normalized_mutual_information([7, 7, 7], [1, 2, 3]) == 0.0
    a = {"p": 0, "q": 0, "r": 1, "extra": 5}
    assert normalized_mutual_information(a, {"r": 3, "q": 2, "p": 2}) == 1.0


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), max_size=40))
def test_nmi_matches_the_entropy_formula(pairs):
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    got = normalized_mutual_information(a, b)
    assert 0.0 <= got <= 1.0
    if pairs:
        assert got == pytest.approx(naive_nmi(a, b), abs=1e-12)
    assert got == pytest.approx(normalized_mutual_information(b, a), abs=1e-12)


# --- bridges ------------------------------------------------------------------------


def scores(found: dict) -> dict:
    return {b["customer_id"]: b["score"] for b in found["bridges"]}


def test_star_centre_is_the_bridge():
    G = nx.DiGraph([(0, 1), (0, 2), (3, 0), (0, 4)])
    found = bridges(G, top=2)
    assert found["sampled"] is False and found["k"] is None
    # Centre lies on all 4*3 ordered pairs of leaves: normalised by (n-1)(n-2) = 12.
    assert found["bridges"][0] == {"customer_id": 0, "external_id": "0", "score": 1.0}
    assert found["bridges"][1]["score"] == 0.0


@SETTINGS
@given(digraphs(max_nodes=18))
def test_bridges_equal_networkx_betweenness(G):
    expected = nx.betweenness_centrality(canonical(G))
    assert scores(bridges(G, top=len(G))) == pytest.approx(expected, abs=1e-9)


@SETTINGS
@given(digraphs(max_nodes=18), st.integers(2, 18), st.integers(0, 5))
def test_sampled_bridges_equal_networkx_with_the_same_pivots(G, k, seed):
    if k >= len(G):
        k = None
    expected = nx.betweenness_centrality(canonical(G), k=k, seed=seed)
    found = bridges(G, k=k, seed=seed, top=len(G))
    assert found["sampled"] is (k is not None)
    assert scores(found) == pytest.approx(expected, abs=1e-9)


def test_sampling_says_so_and_is_seeded():
    G = nx.gnm_random_graph(300, 600, seed=2, directed=True)
    # 500 pivots out of 300 people is every pivot: exact.
    assert bridges(G, sample_above=299)["sampled"] is False
    found = bridges(G, k=50)
    assert (found["sampled"], found["k"], found["seed"]) == (True, 50, 0)
    assert found == bridges(G, k=50)
    assert found != bridges(G, k=50, seed=1)
    assert len(found["bridges"]) == 20
    expected = nx.betweenness_centrality(canonical(G), k=50, seed=0)
    assert scores(bridges(G, k=50, top=300)) == pytest.approx(expected, abs=1e-9)


def test_default_sample_is_500_pivots_above_the_threshold():
    G = nx.path_graph(600, create_using=nx.DiGraph)
    found = bridges(G, sample_above=599, top=1)
    assert (found["sampled"], found["k"]) == (True, 500)
    assert bridges(G, sample_above=600)["sampled"] is False


def test_bridges_rank_customers_only_and_break_ties_by_external_id():
    G = nx.DiGraph([(1, 2), (2, 3), (3, 4), (4, 5)])
    for u, ext in [(1, "e"), (2, "d"), (3, "c"), (4, "b"), (5, "a")]:
        person(G, u, ext=ext)
    G.nodes[3]["status"] = "prospect"
    found = bridges(G, top=3)["bridges"]
    assert [b["customer_id"] for b in found] == [4, 2, 5]  # 4 and 2 tie; "b" < "d"


def test_bridges_on_degenerate_graphs():
    assert bridges(nx.DiGraph())["bridges"] == []
    found = bridges(nx.DiGraph([(1, 1), (2, 2), (1, 2), (2, 1)]))
    assert scores(found) == {1: 0.0, 2: 0.0}
    G = nx.DiGraph([(1, 2), (2, 3), (3, 1), (3, 3)])
    G.add_node(9)
    assert scores(bridges(G)) == {1: 0.0, 2: 0.0, 3: 0.0, 9: 0.0}
    assert bridges(G, top=0)["bridges"] == []
