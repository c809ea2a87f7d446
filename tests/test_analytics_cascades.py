"""Cascades: size, depth, breadth, structural virality, duration, and the tree."""

import math
from collections import Counter

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import assert_plain_data, forests
from wom.analytics.cascades import CASCADE_SORTS, cascade, cascade_tree, cascades
from wom.analytics.forest import forest_arrays

FEW = settings(max_examples=60, deadline=None, derandomize=True)


def star(n):
    return nx.DiGraph([(0, leaf) for leaf in range(1, n)])


def path(n):
    F = nx.DiGraph()
    F.add_nodes_from(range(n))
    F.add_edges_from((i, i + 1) for i in range(n - 1))
    return F


class TestHandChecks:
    def test_star_of_five(self):
        figures = cascade(star(5), 0)
        assert (figures["size"], figures["depth"]) == (5, 1)
        assert figures["breadth"] == [1, 4] and figures["max_breadth"] == 4

    def test_path_of_four_has_depth_three(self):
        assert cascade(path(4), 0)["depth"] == 3

    @pytest.mark.parametrize("n", [2, 3, 5, 10, 100])
    def test_star_virality_is_broadcast(self, n):
        assert cascade(star(n), 0)["structural_virality"] == pytest.approx(
            2 * (n - 1) / n
        )

    @pytest.mark.parametrize("n", [2, 3, 4, 10, 100])
    def test_path_virality(self, n):
        assert cascade(path(n), 0)["structural_virality"] == pytest.approx((n + 1) / 3)

    def test_single_node_has_no_virality(self):
        figures = cascade(path(1), 0)
        assert figures["structural_virality"] is None
        assert figures["size"] == 1 and figures["breadth"] == [1]

    def test_duration(self):
        F = path(3)
        for u, at in zip(F, [100.0, 160.0, 130.0], strict=True):
            F.nodes[u]["acquired_at"] = at
        assert cascade(F, 0)["duration"] == 60.0
        F.nodes[0]["acquired_at"] = None
        assert cascade(F, 0)["duration"] is None


def _brute(F, root):
    """Every figure of the cascade below ``root``, from networkx alone."""
    depths = nx.single_source_shortest_path_length(F, root)
    n = len(depths)
    per_generation = Counter(depths.values())
    tree = F.subgraph(depths).to_undirected()
    times = [F.nodes[u]["acquired_at"] for u in depths]
    known = [t for t in times if t is not None]
    start = F.nodes[root]["acquired_at"]
    return {
        "root": root,
        "external_id": F.nodes[root]["external_id"],
        "size": n,
        "depth": max(depths.values()),
        "breadth": [per_generation[g] for g in range(max(depths.values()) + 1)],
        "max_breadth": max(per_generation.values()),
        "structural_virality": (
            nx.wiener_index(tree) / (n * (n - 1) / 2) if n > 1 else None
        ),
        "duration": None if start is None else max(known) - start,
    }


def _same(got, want):
    assert got.keys() == want.keys()
    for key, value in want.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value), key
        else:
            assert got[key] == value, key


@FEW
@given(forests(missing_times=True))
def test_every_cascade_matches_brute_force(F):
    rows = cascades(F)
    roots = [u for u in F if F.in_degree(u) == 0]
    assert sorted(row["root"] for row in rows) == sorted(roots)
    for row in rows:
        _same(row, _brute(F, row["root"]))
    for u in F:  # any node: its subtree as a cascade
        _same(cascade(F, u), _brute(F, u))
        assert_plain_data(cascade_tree(F, u, max_depth=1))
    assert_plain_data(rows)


@FEW
@given(forests(), st.sampled_from(sorted(CASCADE_SORTS)))
def test_sorted_largest_first(F, sort):
    rows = cascades(forest_arrays(F), sort=sort)
    figure = CASCADE_SORTS[sort]

    def key(row):
        value = row[figure]
        return (
            -(value if value is not None else -math.inf),
            -row["size"],
            row["external_id"],
        )

    assert [key(r) for r in rows] == sorted(key(r) for r in rows)
    assert cascades(F, sort=sort, limit=2) == rows[:2]


def test_single_nodes_sort_last_by_virality():
    F = path(3)
    F.add_node(9)
    nx.set_node_attributes(F, {u: f"c{u}" for u in F}, "external_id")
    assert [c["root"] for c in cascades(F, sort="virality")] == [0, 9]


def test_empty_forest_has_no_cascades():
    assert cascades(nx.DiGraph()) == []
    assert cascade(nx.DiGraph(), 1) is None


def test_unknown_sort():
    with pytest.raises(ValueError, match="Unknown sort 'fame'"):
        cascades(path(2), sort="fame")


class TestTree:
    @pytest.fixture
    def F(self):
        F = nx.DiGraph()
        F.add_edge("a", "b", kind="link")
        F.add_edge("a", "c", kind="mention")
        F.add_edge("b", "d", kind="link")
        times = {"a": 0.0, "b": 50.0, "c": 20.0, "d": 60.0}
        for u, at in times.items():
            F.nodes[u].update(acquired_at=at, value=1.5, external_id=u.upper())
        return F

    def test_nested_plain_dicts(self, F):
        tree = cascade_tree(F, "a")
        assert tree["node"] == "a" and tree["kind"] is None
        assert [c["node"] for c in tree["children"]] == ["c", "b"]  # by conversion
        b = tree["children"][1]
        assert b == {
            "node": "b",
            "external_id": "B",
            "acquired_at": 50.0,
            "value": 1.5,
            "kind": "link",
            "hidden": 0,
            "children": [
                {
                    "node": "d",
                    "external_id": "D",
                    "acquired_at": 60.0,
                    "value": 1.5,
                    "kind": "link",
                    "children": [],
                    "hidden": 0,
                }
            ],
        }

    @pytest.mark.parametrize("max_depth, hidden", [(0, 3), (1, 1), (2, 0)])
    def test_max_depth_counts_what_it_hides(self, F, max_depth, hidden):
        tree = cascade_tree(F, "a", max_depth=max_depth)

        def shown_and_hidden(node):
            below = [shown_and_hidden(c) for c in node["children"]]
            return (
                1 + sum(s for s, _ in below),
                node["hidden"] + sum(h for _, h in below),
            )

        assert shown_and_hidden(tree) == (4 - hidden, hidden)

    def test_not_in_forest(self, F):
        assert cascade_tree(F, "zz") is None

    @FEW
    @given(forests())
    def test_tree_mirrors_the_forest(self, F):
        for root in (u for u in F if F.in_degree(u) == 0):
            tree = cascade_tree(F, root)
            edges, stack = set(), [tree]
            while stack:
                node = stack.pop()
                edges.update((node["node"], c["node"]) for c in node["children"])
                stack.extend(node["children"])
            assert edges == set(F.subgraph(nx.descendants(F, root) | {root}).edges)
