"""Edge probabilities, expected spread and CELF seed sets (docs/metrics.md, seeding)."""

from __future__ import annotations

import math
from itertools import product

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wom.analytics.arrays import GraphArrays
from wom.analytics.conversation_reach import conversation_reach_from_arrays
from wom.analytics.seed_arrays import expected_spreads_from_arrays
from wom.analytics.seeding import edge_probabilities, expected_spread, seed_set

SETTINGS = settings(max_examples=30, deadline=None)
# Statistical checks run on a fixed set of examples, so they cannot flake.
FIXED = settings(max_examples=30, deadline=None, derandomize=True)
probabilities = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.8, 1.0])


@st.composite
def trees(draw, max_edges=7):
    """An out-tree rooted at 0 with a probability on every edge."""
    n = draw(st.integers(1, max_edges + 1))
    T = nx.DiGraph()
    T.add_node(0)
    p = {}
    for v in range(1, n):
        u = draw(st.integers(0, v - 1))
        T.add_edge(u, v)
        p[u, v] = draw(probabilities)
    return T, p


@st.composite
def small_graphs(draw, max_nodes=6, max_edges=9):
    n = draw(st.integers(1, max_nodes))
    node = st.integers(0, n - 1)
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    for u, v in draw(st.lists(st.tuples(node, node), max_size=max_edges, unique=True)):
        G.add_edge(u, v, converted=draw(st.booleans()))
    return G, {e: draw(probabilities) for e in G.edges()}


def enumerate_spread(G, sources, p):
    """Exact mean and variance of people reached beyond ``sources``: every world."""
    edges = [(u, v) for u, v in G.edges() if u != v]
    mean = square = 0.0
    for alive in product([False, True], repeat=len(edges)):
        weight = math.prod(
            p[e] if on else 1 - p[e] for e, on in zip(edges, alive, strict=True)
        )
        if weight == 0:
            continue
        live = nx.DiGraph([e for e, on in zip(edges, alive, strict=True) if on])
        live.add_nodes_from(G)
        reached = set(sources).union(*(nx.descendants(live, s) for s in sources))
        count = len(reached) - len(set(sources))
        mean += weight * count
        square += weight * count**2
    return mean, square - mean**2


# --- edge probabilities --------------------------------------------------------------


def test_converted_share_with_a_beta_1_9_prior():
    G = nx.DiGraph()
    G.add_edge("a", "b", converted=True)
    G.add_edge("a", "c", converted=True)
    G.add_edge("a", "a", converted=True)  # talking to oneself converts nobody
    G.add_edge("b", "c", converted=False)
    found = edge_probabilities(G)
    assert found["a", "b"] == found["a", "c"] == found["a", "a"] == 3 / 12
    assert found["b", "c"] == 1 / 11
    assert edge_probabilities(G, prior=(0, 1))["a", "b"] == 2 / 3


@SETTINGS
@given(small_graphs(), st.integers(0, 3), st.integers(1, 12))
def test_edge_probabilities_follow_the_formula(graph, a, b):
    G, _ = graph
    found = edge_probabilities(G, prior=(a, b))
    assert set(found) == set(G.edges())
    for u, v in G.edges():
        listeners = [w for w in G.succ[u] if w != u]
        converted = sum(G.edges[u, w]["converted"] for w in listeners)
        assert found[u, v] == pytest.approx((converted + a) / (len(listeners) + a + b))


# --- expected spread ------------------------------------------------------------


def test_path_hand_case():
    path = nx.DiGraph([("a", "b"), ("b", "c")])
    assert expected_spread(path, "a", p=0.5) == {
        "expected_spread": 0.75,
        "method": "exact",
        "runs": None,
        "seed": None,
    }


def test_one_p_on_a_tree_is_the_sum_of_p_to_the_depth():
    T = nx.balanced_tree(2, 3, create_using=nx.DiGraph)  # 2, 4, 8 at depths 1..3
    found = expected_spread(T, 0, p=0.5)["expected_spread"]
    assert found == pytest.approx(2 * 0.5 + 4 * 0.25 + 8 * 0.125)


@SETTINGS
@given(trees())
def test_tree_spread_is_exact(tree):
    T, p = tree
    found = expected_spread(T, 0, p=p)
    assert found["method"] == "exact"
    assert found["expected_spread"] == pytest.approx(enumerate_spread(T, [0], p)[0])


def tolerance(variance, people, runs=200):
    """Five standard errors, plus two rare worlds that reach everyone."""
    return 5 * math.sqrt(variance / runs) + 2 * people / runs


@FIXED
@given(trees())
def test_monte_carlo_is_close_to_exact_on_trees(tree):
    T, p = tree
    mean, variance = enumerate_spread(T, [0], p)
    # The same estimator expected_spread uses off trees: one candidate, 200 worlds.
    alone = seed_set(T, k=1, candidates=[0], p=p)["candidate_spread"][0]
    assert alone == pytest.approx(mean, abs=tolerance(variance, len(T)))


@FIXED
@given(small_graphs())
def test_monte_carlo_is_close_to_exact_on_graphs(graph):
    G, p = graph
    mean, variance = enumerate_spread(G, [0], p)
    found = expected_spread(G, 0, p=p)
    assert found["expected_spread"] == pytest.approx(
        mean, abs=tolerance(variance, len(G))
    )
    if found["method"] == "monte_carlo":
        assert found == expected_spread(G, 0, p=p)  # seeded
        alone = seed_set(G, k=1, candidates=[0], p=p)
        if alone["top_starters"]["customer_ids"] == [0]:  # worlds searched from 0 alone
            assert alone["candidate_spread"][0] == found["expected_spread"]


def test_cycles_self_loops_and_isolated_people():
    pair = nx.DiGraph([("a", "b"), ("b", "a")])
    assert expected_spread(pair, "a", p=1.0)["expected_spread"] == 1.0
    loop = nx.DiGraph([("a", "a")])
    assert expected_spread(loop, "a", p=1.0)["expected_spread"] == 0.0
    lonely = nx.DiGraph()
    lonely.add_node("z")
    assert expected_spread(lonely, "z")["expected_spread"] == 0.0
    diamond = nx.DiGraph([(0, 1), (0, 2), (1, 3), (2, 3)])
    assert expected_spread(diamond, 0, p=1.0)["expected_spread"] == 3.0
    with pytest.raises(nx.NodeNotFound):
        expected_spread(lonely, "nobody")


def test_default_probabilities_come_from_history():
    G = nx.DiGraph()
    G.add_edge("a", "b", converted=True)
    G.add_edge("b", "c", converted=True)
    # p(a, b) = 2 / 11 and p(b, c) = 2 / 11: exact on this path.
    expected = 2 / 11 + (2 / 11) ** 2
    assert expected_spread(G, "a")["expected_spread"] == pytest.approx(expected)


def test_monte_carlo_is_seeded():
    G = nx.gnm_random_graph(40, 120, seed=3, directed=True)
    first = expected_spread(G, 0, p=0.3)
    assert first["method"] == "monte_carlo"
    assert first == expected_spread(G, 0, p=0.3)
    assert first != expected_spread(G, 0, p=0.3, seed=1)


# --- seed sets ----------------------------------------------------------------------


@SETTINGS
@given(small_graphs(max_nodes=8, max_edges=16), st.integers(1, 4), st.integers(0, 3))
def test_celf_picks_what_plain_greedy_picks(graph, k, seed):
    G, p = graph
    lazy = seed_set(G, k=k, p=p, seed=seed, runs=50)
    plain = seed_set(G, k=k, p=p, seed=seed, runs=50, lazy=False)
    assert lazy["seeds"] == plain["seeds"]
    assert lazy["total"] == plain["total"]
    assert lazy["exhausted"] == plain["exhausted"]
    assert lazy["evaluations"] <= plain["evaluations"]
    gains = [s["gain"] for s in lazy["seeds"]]
    assert gains == sorted(gains, reverse=True)  # submodular: gains never grow
    assert all(gain > 0 for gain in gains)


@SETTINGS
@given(small_graphs(max_nodes=8, max_edges=16), st.integers(1, 4), st.integers(0, 3))
def test_fewer_seeds_are_the_first_of_more(graph, k, seed):
    G, p = graph
    F = nx.DiGraph([(u, v) for u, v in G.edges() if u < v and v % 2])
    few = seed_set(G, k=k, F=F, p=p, seed=seed, runs=50)
    many = seed_set(G, k=10, F=F, p=p, seed=seed, runs=50)
    assert few["seeds"] == many["seeds"][:k]
    ids, totals = (few["top_starters"][key] for key in ("customer_ids", "totals"))
    assert ids == many["top_starters"]["customer_ids"][:k]
    assert totals == many["top_starters"]["totals"][: len(ids)]


def test_greedy_beats_the_top_starters_when_they_overlap():
    G = nx.DiGraph([("a", "b"), ("a", "c"), ("x", "b"), ("x", "c"), ("y", "z")])
    found = seed_set(G, k=2, p=1.0)
    assert [s["customer_id"] for s in found["seeds"]] == ["a", "y"]
    assert found["total"] == 3.0
    assert found["top_starters"] == {
        "customer_ids": ["a", "x"],
        "total": 2.0,
        "totals": [2.0, 2.0],
    }


def test_top_starters_rank_by_reach_then_conversations():
    # x talks to three people, y to two; y was credited with z, so y comes first.
    G = nx.DiGraph([("x", "a"), ("x", "b"), ("x", "c"), ("y", "z"), ("y", "w")])
    F = nx.DiGraph([("y", "z")])
    F.add_nodes_from("xabc")
    found = seed_set(G, k=2, F=F, p=1.0)
    assert found["top_starters"]["customer_ids"] == ["y", "x"]
    assert seed_set(G, k=2, p=1.0)["top_starters"]["customer_ids"] == ["x", "y"]


def test_top_starters_have_a_total_for_each_k():
    G = nx.DiGraph([("a", "b"), ("a", "c"), ("x", "b"), ("x", "c"), ("y", "z")])
    F = nx.DiGraph([("a", "b"), ("x", "c"), ("y", "z")])
    top = seed_set(G, k=3, F=F, p=1.0)["top_starters"]
    assert top["customer_ids"] == ["a", "x", "y"]
    assert top["totals"] == [2.0, 2.0, 3.0]  # x adds nobody a has not reached
    assert top["total"] == 3.0


def test_greedy_stops_when_no_candidate_adds_anyone():
    # Three customers: a reaches b and c, who reach nobody new.
    G = nx.DiGraph([("a", "b"), ("a", "c"), ("b", "c")])
    found = seed_set(G, k=3, p=1.0)
    assert [(s["customer_id"], s["gain"]) for s in found["seeds"]] == [("a", 2.0)]
    assert found["exhausted"] is True
    assert seed_set(G, k=1, p=1.0)["exhausted"] is False


def test_seeds_are_customers_and_the_pool_is_bounded():
    G = nx.star_graph(5, create_using=nx.DiGraph)
    nx.add_star(G, [10, 11, 12])
    nx.add_star(G, [20, 21])
    G.nodes[0]["status"] = "prospect"
    for u in G:
        G.nodes[u].setdefault("external_id", f"e{u:02d}")
    found = seed_set(G, k=2, p=1.0, max_candidates=1)
    assert [s["customer_id"] for s in found["seeds"]] == [10, 20]
    assert found["candidates"] == 2  # the best one plus the other top starter
    assert found["top_starters"]["customer_ids"] == [10, 20]
    assert found["seeds"][0]["external_id"] == "e10"


def test_seed_sets_on_degenerate_graphs():
    empty = seed_set(nx.DiGraph())
    assert (empty["seeds"], empty["total"], empty["exhausted"]) == ([], 0.0, True)
    assert empty["top_starters"] == {"customer_ids": [], "total": 0.0, "totals": []}
    loops = nx.DiGraph([(1, 1), (2, 2)])
    found = seed_set(loops, k=5, p=1.0)
    assert (found["seeds"], found["exhausted"]) == ([], True)  # nobody adds anyone
    cycle = nx.cycle_graph(4, create_using=nx.DiGraph)
    found = seed_set(cycle, k=2, p=1.0)
    assert [s["gain"] for s in found["seeds"]] == [3.0]  # the rest already reached
    assert found["top_starters"]["totals"] == [3.0, 2.0]


def test_seed_set_is_seeded_and_uses_the_given_candidates():
    G = nx.gnm_random_graph(60, 200, seed=4, directed=True)
    first = seed_set(G, k=3, p=0.2)
    assert first == seed_set(G, k=3, p=0.2)
    chosen = seed_set(G, k=3, p=0.2, candidates=[5, 6, 7, 999])
    assert {s["customer_id"] for s in chosen["seeds"]} == {5, 6, 7}
    assert chosen["candidates"] == 3


def test_every_customer_gets_an_exact_spread_on_a_tree_an_estimate_or_none():
    # 1 reaches 4 twice (through 2 and 3): not a tree. 5 -> 6 is one.
    G = nx.DiGraph([(1, 2), (1, 3), (2, 4), (3, 4), (5, 6)])
    ga = GraphArrays.from_graph(G)
    reach = conversation_reach_from_arrays(len(ga), ga.src, ga.dst)
    without = expected_spreads_from_arrays(ga, reach, {})
    assert 1 not in without, "neither exact nor estimated: no value, not 0"
    for node in (2, 3, 4, 5, 6):
        assert without[node] == pytest.approx(
            expected_spread(G, node)["expected_spread"]
        )
    assert expected_spreads_from_arrays(ga, reach, {1: 0.4})[1] == 0.4
    # Prospects have one too, where their reach is a tree.
    G.nodes[6]["status"] = "prospect"
    G.add_edge(6, 7)
    ga = GraphArrays.from_graph(G)
    reach = conversation_reach_from_arrays(len(ga), ga.src, ga.dst)
    assert 6 in expected_spreads_from_arrays(ga, reach, {})
