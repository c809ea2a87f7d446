"""The array form of the referral forest and the passes over it; repairs."""

from contextlib import contextmanager
from unittest import mock

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import forests
from wom.analytics import passes
from wom.analytics.cascades import cascade_tree, cascades
from wom.analytics.forest import ForestArrays, as_forest, forest_arrays, positions_of
from wom.analytics.influence import (
    generations_all,
    reach_all,
    referred_value_all,
    top_starters,
)
from wom.analytics.passes import ancestor_bits, preorder, subtree_height, subtree_sum
from wom.analytics.spread import spread_series

FEW = settings(max_examples=60, deadline=None, derandomize=True)


@contextmanager
def branch(name):
    """Force the per-generation numpy pass ("wide") or the Python loop ("deep")."""
    width = {"wide": 0, "deep": 10**9}[name]
    with mock.patch.object(passes, "_MIN_MEAN_WIDTH", width):
        yield


def test_empty_forest():
    fa = forest_arrays(nx.DiGraph())
    assert len(fa) == 0 and fa.generations_count == 0
    assert subtree_sum(fa, np.zeros(0)).tolist() == []
    assert subtree_height(fa).tolist() == []
    assert fa.credited_kind == [] and fa.values.tolist() == []


def test_as_forest_reuses_prebuilt_arrays():
    fa = forest_arrays(nx.DiGraph([(1, 2)]))
    assert as_forest(fa) is fa


@FEW
@given(forests())
def test_arrays_describe_the_forest(F):
    fa = forest_arrays(F)
    assert fa.nodes == list(F)
    position = {u: i for i, u in enumerate(fa.nodes)}
    for i, u in enumerate(fa.nodes):
        referrers = list(F.predecessors(u))
        assert fa.parent[i] == (position[referrers[0]] if referrers else -1)
        assert sorted(fa.children(i).tolist()) == sorted(
            position[v] for v in F.successors(u)
        )
        root = fa.nodes[fa.root[i]]
        assert F.in_degree(root) == 0
        assert fa.depth[i] == nx.shortest_path_length(F, root, u)
    seen = set()
    for i in fa.order.tolist():  # roots first, every parent before its children
        assert fa.parent[i] == -1 or fa.parent[i] in seen
        seen.add(i)
    for g in range(fa.generations_count):
        level = fa.order[fa.level_ptr[g] : fa.level_ptr[g + 1]]
        assert (fa.depth[level] == g).all()


@FEW
@given(forests(), st.sampled_from(["wide", "deep"]), st.sampled_from([1.0, 0.5, 0.0]))
def test_passes_match_brute_force(F, name, decay):
    fa = forest_arrays(F)
    weights = fa.values
    with branch(name):
        sums = subtree_sum(fa, weights, decay)
        heights = subtree_height(fa)
        bits = np.array([1 << (i % 64) for i in range(len(fa))], dtype=np.uint64)
        above = ancestor_bits(fa, bits)
    for i, u in enumerate(fa.nodes):
        below = nx.single_source_shortest_path_length(F, u)
        want = sum(F.nodes[w]["value"] * decay**g for w, g in below.items())
        assert sums[i] == pytest.approx(want)
        assert heights[i] == max(below.values())
        mask = 0
        for a in nx.ancestors(F, u):
            mask |= 1 << (fa.index[a] % 64)
        assert int(above[i]) == mask


@FEW
@given(forests(), st.sampled_from(["wide", "deep"]))
def test_preorder_keeps_each_subtree_together(F, name):
    fa = forest_arrays(F)
    with branch(name):
        pre = preorder(fa)
    assert sorted(pre.tolist()) == list(range(len(fa)))
    for i, u in enumerate(fa.nodes):
        subtree = nx.descendants(F, u) | {u}
        places = sorted(pre[fa.index[w]] for w in subtree)
        assert places == list(range(pre[i], pre[i] + len(subtree)))


def test_attributes_default_when_missing():
    F = nx.DiGraph([(1, 2)])
    F.nodes[1].update(value=None, acquired_at=5.0)
    F.edges[1, 2]["kind"] = "mention"
    fa = forest_arrays(F)
    assert fa.values.tolist() == [0.0, 0.0]
    assert np.isnan(fa.acquired_at[1]) and fa.acquired_at[0] == 5.0
    assert fa.credited_kind == [None, "mention"]


@pytest.mark.parametrize("name", ["wide", "deep"])
def test_long_chain(name):
    n = 3000
    fa = ForestArrays([-1] + list(range(n - 1)))
    with branch(name):
        assert subtree_sum(fa, np.ones(n, np.int64)).tolist() == list(range(n, 0, -1))
        assert subtree_height(fa)[0] == n - 1


class TestBrokenContract:
    """``F`` should never break its contract; if it does, answers stay defined."""

    def test_two_referrers_keep_the_first_inserted(self):
        F = nx.DiGraph([("a", "c"), ("b", "c")])
        fa = forest_arrays(F)
        assert fa.nodes[fa.parent[fa.index["c"]]] == "a"

    def test_self_loop_is_no_referral(self):
        F = nx.DiGraph([("a", "a"), ("b", "a")])
        fa = forest_arrays(F)
        assert fa.nodes[fa.parent[fa.index["a"]]] == "b"

    def test_cycle_is_cut_at_its_lowest_position(self):
        fa = forest_arrays(nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]))
        assert fa.parent.tolist() == [-1, 0, 1, 2]
        assert fa.depth.tolist() == [0, 1, 2, 3]

    def test_every_figure_still_answers(self):
        F = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("x", "c"), ("c", "c")])
        nx.set_node_attributes(F, {u: float(i) for i, u in enumerate(F)}, "acquired_at")
        fa = forest_arrays(F)
        assert reach_all(fa) == {"a": 2, "b": 1, "c": 0, "x": 0}
        assert sum(c["size"] for c in cascades(fa)) == len(F)
        assert cascade_tree(F, "a")["children"][0]["node"] == "b"
        assert [r["node"] for r in top_starters(F, fa, limit=1)] == ["a"]
        assert spread_series(fa, F)[0]["new_customers"] == 4
        assert generations_all(F)["a"] == 2 and referred_value_all(F)["c"] == 0.0

    def test_lone_self_loop_becomes_a_root(self):
        fa = ForestArrays([0, 0])
        assert fa.parent.tolist() == [-1, 0]


@pytest.mark.parametrize(
    "nodes, ids, want",
    [
        ([5, 6, 7], [7, 5, 8, -1], [2, 0, -1, -1]),  # dense: lookup table
        ([10**12, 3, 10**15], [10**15, 4, 3], [2, -1, 1]),  # sparse: search
        (["a", "b"], ["b", "z", "a"], [1, -1, 0]),  # not integers: dictionary
        ([1, "a"], ["a", 1], [1, 0]),
        ([], [1, 2], [-1, -1]),
        ([1, 2], [], []),
    ],
)
def test_positions_of(nodes, ids, want):
    assert positions_of(nodes, iter(ids)).tolist() == want
