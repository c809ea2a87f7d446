"""Who starts the most conversations: per-person figures and the rankings."""

import random

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import (
    assert_plain_data,
    digraphs,
    forest_with_merges,
    forests,
    word_of_mouth,
)
from wom.analytics.forest import forest_arrays
from wom.analytics.influence import (
    RANKINGS,
    conversation_reach,
    conversation_reach_all,
    conversations_started,
    conversations_started_all,
    direct_referrals,
    direct_referrals_all,
    generations,
    generations_all,
    influence,
    influence_all,
    influence_top_overlap,
    reach,
    reach_all,
    referred_value,
    referred_value_all,
    top_starters,
)
from wom.graph import gc_paused

FEW = settings(max_examples=60, deadline=None, derandomize=True)
PATH = nx.DiGraph([("a", "b"), ("b", "c")])


def _valued_path():
    F = PATH.copy()
    F.nodes["b"]["value"], F.nodes["c"]["value"] = 10.0, 4.0
    return F


class TestHandChecks:
    """The cases docs/metrics.md gives for each figure."""

    def test_conversations_started(self):
        G = nx.DiGraph([("a", "b"), ("a", "c"), ("b", "c")])
        assert conversations_started_all(G) == {"a": 2, "b": 1, "c": 0}

    def test_reach_and_generations_of_a_path(self):
        assert reach(PATH, "a") == 2 and reach_all(PATH)["a"] == 2
        assert generations(PATH, "a") == 2 and generations_all(PATH)["a"] == 2

    def test_conversation_reach_of_a_cycle(self):
        G = nx.DiGraph([("a", "b"), ("b", "a")])
        assert conversation_reach(G, "a") == 1
        assert conversation_reach_all(G) == {"a": 1, "b": 1}

    def test_conversation_reach_counts_a_merge_once(self):
        G = nx.DiGraph([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
        assert conversation_reach(G, "a") == 3 and conversation_reach_all(G)["a"] == 3

    @pytest.mark.parametrize("n", [2, 5, 40])
    @pytest.mark.parametrize("alpha", [0.85])
    def test_influence_of_a_reversed_star(self, n, alpha):
        G = nx.DiGraph([("c", leaf) for leaf in range(n - 1)])
        want = (1 + alpha * (n - 1)) / (n + alpha * (n - 1))
        assert influence(G, "c") == pytest.approx(want, rel=1e-9)

    @pytest.mark.parametrize("d, want", [(0.5, 12.0), (0.0, 10.0), (1.0, 14.0)])
    def test_referred_value(self, d, want):
        F = _valued_path()
        assert referred_value(F, "a", d) == want
        assert referred_value_all(F, d)["a"] == want


class TestDefinedAnswers:
    """Empty graphs, absent nodes, loops and duplicates never raise."""

    def test_empty_graphs(self):
        empty = nx.DiGraph()
        assert reach_all(empty) == generations_all(empty) == {}
        assert direct_referrals_all(empty) == referred_value_all(empty) == {}
        assert conversation_reach_all(empty) == conversations_started_all(empty) == {}
        assert influence_all(empty) == {}
        assert influence_top_overlap(empty) == 1.0
        assert top_starters(empty, empty) == []

    def test_absent_node_has_zero_figures(self):
        figures = [reach, generations, direct_referrals, referred_value]
        assert [f(PATH, "zz") for f in figures] == [0, 0, 0, 0.0]
        assert conversation_reach(PATH, "zz") == conversations_started(PATH, "zz") == 0
        assert influence(PATH, "zz") == 0.0

    def test_isolated_node(self):
        G = nx.DiGraph()
        G.add_node("x")
        assert conversation_reach_all(G) == {"x": 0}
        assert influence_all(G) == {"x": 1.0}

    def test_self_loops_are_no_conversations(self):
        G = nx.DiGraph([("a", "a"), ("a", "b")])
        assert conversations_started(G, "a") == 1
        assert conversation_reach_all(G) == {"a": 1, "b": 0}
        assert influence_all(G) == pytest.approx(
            influence_all(nx.DiGraph([("a", "b")]))
        )

    def test_parallel_edges_count_once(self):
        G = nx.MultiDiGraph([("a", "b"), ("a", "b"), ("a", "c")])
        assert conversations_started(G, "a") == conversations_started_all(G)["a"] == 2
        assert conversation_reach_all(G)["a"] == 2
        assert influence_all(G) == pytest.approx(influence_all(nx.DiGraph(G)))


@FEW
@given(forests())
def test_forest_figures_match_brute_force(F):
    reaches, heights = reach_all(F), generations_all(F)
    directs, values = direct_referrals_all(F), referred_value_all(F, 0.5)
    for u in F:
        below = nx.single_source_shortest_path_length(F, u)
        assert reaches[u] == reach(F, u) == len(nx.descendants(F, u))
        assert heights[u] == generations(F, u) == max(below.values())
        assert directs[u] == direct_referrals(F, u) == F.out_degree(u)
        want = sum(F.nodes[w]["value"] * 0.5 ** (g - 1) for w, g in below.items() if g)
        assert values[u] == pytest.approx(want)
        assert referred_value(F, u) == pytest.approx(want)


@FEW
@given(forests(), st.floats(0, 1))
def test_referred_value_for_any_discount(F, d):
    values = referred_value_all(forest_arrays(F), d)
    for u in F:
        below = nx.single_source_shortest_path_length(F, u)
        want = sum(F.nodes[w]["value"] * d ** (g - 1) for w, g in below.items() if g)
        assert values[u] == pytest.approx(want)


@FEW
@given(st.one_of(digraphs(), forest_with_merges(), digraphs(multigraph=True)))
def test_conversation_reach_is_exact(G):
    counts = conversation_reach_all(G)
    for u in G:
        assert counts[u] == conversation_reach(G, u) == len(nx.descendants(G, u))
        assert conversations_started(G, u) == len(set(G.successors(u)) - {u})


def test_long_chain_above_a_merge():
    """Searching from every ancestor of a merge would be quadratic here."""
    n = 20_000
    G = nx.path_graph(n, create_using=nx.DiGraph)
    G.add_edges_from([(n - 3, n - 1), (n - 1, n - 2)])  # a merge, then a cycle
    counts = conversation_reach_all(G)
    assert [counts[i] for i in (0, n - 4, n - 3, n - 2, n - 1)] == [n - 1, 3, 2, 1, 1]


def _pagerank_by_solving(G, alpha=0.85):
    """PageRank on G reversed, self-loops dropped, solved as a linear system."""
    nodes = list(G)
    n = len(nodes)
    at = {u: i for i, u in enumerate(nodes)}
    links = np.zeros((n, n))  # links[i, j]: j -> i in the reversed graph
    for u, v in set(G.edges()):
        if u != v:
            links[at[u], at[v]] = 1.0
    out = links.sum(axis=0)
    step = np.divide(links, out, out=np.zeros_like(links), where=out > 0)
    dangling = np.tile((out == 0) / n, (n, 1))
    system = np.eye(n) - alpha * (step + dangling)
    scores = np.linalg.solve(system, np.full(n, (1 - alpha) / n))
    return dict(zip(nodes, scores, strict=True))


@FEW
@given(digraphs().filter(lambda G: len(G) > 0))
def test_influence_is_converged_pagerank(G):
    assert influence_all(G) == pytest.approx(_pagerank_by_solving(G), abs=1e-9)


def test_influence_ranking_has_converged():
    G = nx.scale_free_graph(3000, seed=7)
    assert influence_top_overlap(G, k=100) == 1.0


def test_top_overlap_notices_a_wrong_ranking():
    G = nx.DiGraph(nx.scale_free_graph(3000, seed=7))
    wrong = {u: -float(len(G.succ[u])) for u in G}  # the fewest talkers first
    assert influence_top_overlap(G, k=100, scores=wrong) < 0.5


def _customers(G, F):
    return {u for u in G if G.nodes[u].get("status") == "customer"} | set(F)


def _brute_figures(G, F, u, scores):
    inside = u in F
    below = nx.single_source_shortest_path_length(F, u) if inside else {u: 0}
    return {
        "reach": len(below) - 1,
        "conversations_started": len(set(G.successors(u)) - {u}) if u in G else 0,
        "direct_referrals": F.out_degree(u) if inside else 0,
        "referred_value": sum(
            F.nodes[w]["value"] * 0.5 ** (g - 1) for w, g in below.items() if g
        ),
        "influence": scores.get(u, 0.0),
    }


@FEW
@given(word_of_mouth(), st.sampled_from(sorted(RANKINGS)), st.booleans())
def test_rankings_match_brute_force(graphs, by, prospects):
    G, F = graphs
    scores = influence_all(G)
    rows = top_starters(
        G, F, by=by, limit=None, include_prospects=prospects, influence_scores=scores
    )
    people = set(G) if prospects else _customers(G, F)
    assert {row["node"] for row in rows} == people
    first, second = RANKINGS[by]

    def key(row):
        figures = _brute_figures(G, F, row["node"], scores)
        return (-figures[first], -figures[second], row["external_id"])

    assert [key(row) for row in rows] == sorted(key(row) for row in rows)
    for row in rows:
        figures = _brute_figures(G, F, row["node"], scores)
        assert row["reach"] == figures["reach"]
        assert row["referred_value"] == pytest.approx(figures["referred_value"])
    limited = top_starters(
        G, F, by=by, limit=3, include_prospects=prospects, influence_scores=scores
    )
    assert [key(r) for r in limited] == [key(r) for r in rows[:3]]


class TestTopStarters:
    @pytest.fixture
    def graphs(self):
        """b and c tie on reach; c talked to more people; d and e tie on both."""
        G = nx.DiGraph([("a", "b"), ("a", "c"), ("c", "x"), ("c", "y"), ("b", "z")])
        G.add_edges_from([("b", "d"), ("c", "e"), ("d", "p"), ("e", "q")])
        for u in G:
            G.nodes[u].update(external_id=u.upper(), status="customer")
        for u in "pqxyz":
            G.nodes[u]["status"] = "prospect"
        F = nx.DiGraph([("a", "b"), ("a", "c"), ("b", "d"), ("c", "e")])
        return G, F

    def test_reach_ties_go_to_conversations_then_external_id(self, graphs):
        rows = top_starters(*graphs)
        assert [r["node"] for r in rows] == ["a", "c", "b", "d", "e"]
        assert [r["reach"] for r in rows] == [4, 1, 1, 0, 0]

    def test_prospects_only_when_asked(self, graphs):
        assert len(top_starters(*graphs, limit=None)) == 5
        rows = top_starters(*graphs, limit=None, include_prospects=True)
        assert len(rows) == 10
        assert {r["status"] for r in rows[5:]} == {"prospect"}

    def test_limit(self, graphs):
        assert top_starters(*graphs, limit=0) == []
        assert [r["node"] for r in top_starters(*graphs, limit=2)] == ["a", "c"]
        assert len(top_starters(*graphs, limit=99)) == 5

    def test_influence_only_when_ranked_on(self, graphs):
        assert top_starters(*graphs)[0]["influence"] is None
        assert top_starters(*graphs, by="influence")[0]["influence"] > 0

    def test_unknown_ranking(self, graphs):
        with pytest.raises(ValueError, match="Unknown ranking 'fame'"):
            top_starters(*graphs, by="fame")

    def test_rows_are_plain_data(self, graphs):
        row = top_starters(*graphs, by="conversations")[0]
        assert row == {
            "node": "c",
            "external_id": "C",
            "status": "customer",
            "reach": 1,
            "conversations_started": 3,
            "direct_referrals": 1,
            "generations": 1,
            "referred_value": 0.0,
            "influence": row["influence"],
        }
        assert type(row["influence"]) is float


@FEW
@given(word_of_mouth())
def test_answers_are_plain_data(graphs):
    G, F = graphs
    fa = forest_arrays(F)
    for figure in (
        reach_all,
        generations_all,
        direct_referrals_all,
        referred_value_all,
    ):
        assert_plain_data(figure(F), node_types=(int, str))
        assert_plain_data(figure(fa), node_types=(int, str))
    for figure in (conversation_reach_all, conversations_started_all, influence_all):
        assert_plain_data(figure(G), node_types=(int, str))
    for by in RANKINGS:
        assert_plain_data(top_starters(G, fa, by=by, limit=None), (int, str))


def test_reach_all_at_scale():
    """A 200,000-customer random forest: one pass, checked on a sample."""
    rng = random.Random(0)
    n = 200_000
    ids = list(range(10, 10 + n))
    rng.shuffle(ids)
    F = nx.DiGraph()
    with gc_paused():
        F.add_nodes_from(ids)
        F.add_edges_from(
            (ids[rng.randrange(i)], ids[i]) for i in range(1, n) if rng.random() < 0.9
        )
    reaches = reach_all(F)
    assert len(reaches) == n
    biggest = max(reaches, key=reaches.get)
    for u in [biggest, *rng.sample(ids, 50)]:
        assert reaches[u] == len(nx.descendants(F, u))
