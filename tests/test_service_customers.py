"""wom.service.customers: keyset pages by a forest figure agree with one full
sort, and a customer's tree stays small while counting what it leaves out."""

from __future__ import annotations

import random

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wom.service.customers import FIGURE_SORTS, figure_page, figures_of, told_tree
from wom.service.forest_state import ForestState


def random_forest(size: int, seed: int) -> nx.DiGraph:
    """``size`` customers, each referred by an earlier one or by nobody, with
    purchases of a few distinct values (so that ties are common)."""
    rng = random.Random(seed)
    F = nx.DiGraph()
    for n in range(size):
        F.add_node(n, external_id=f"c{n}", value=float(rng.choice([0, 0, 5, 20])))
        if n and rng.random() < 0.7:
            F.add_edge(rng.randrange(n), n, kind="link")
    return F


def every_page(state, figure: str, descending: bool, limit: int) -> list:
    rows, after = [], None
    while True:
        page, after = figure_page(
            state, figure, descending=descending, after=after, limit=limit
        )
        rows += page
        if after is None:
            return rows


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(0, 60),
    seed=st.integers(0, 10_000),
    figure=st.sampled_from(sorted(FIGURE_SORTS)),
    descending=st.booleans(),
    limit=st.integers(1, 7),
)
def test_pages_by_a_figure_are_one_sort_cut_in_pieces(
    size, seed, figure, descending, limit
):
    state = ForestState(random_forest(size, seed))
    figures = figures_of(state, range(size))
    expected = sorted(
        ((node, figures[node][figure]) for node in range(size)),
        key=lambda row: (row[1], row[0]),
        reverse=descending,
    )
    assert every_page(state, figure, descending, limit) == expected


def test_a_new_customer_joins_the_pages():
    state = ForestState(random_forest(10, 1))
    figure_page(state, "reach")  # the ids' array is kept from here
    state.add(10, value=99.0)
    rows, _ = figure_page(state, "value", limit=1)
    assert rows == [(10, 99.0)]


@pytest.fixture
def broad():
    """One root who brought twenty people, each of whom brought two."""
    F = nx.DiGraph()
    F.add_node(0, external_id="root", acquired_at=0.0)
    for child in range(1, 21):
        F.add_node(child, external_id=f"c{child}", acquired_at=float(child))
        F.add_edge(0, child, kind="link")
        for grandchild in (100 * child, 100 * child + 1):
            F.add_node(grandchild, external_id=f"g{grandchild}", acquired_at=1e6)
            F.add_edge(child, grandchild, kind="mention")
    return F


def test_the_tree_shows_the_first_referrals_and_counts_the_rest(broad):
    tree = told_tree(broad, ForestState(broad), 0, depth=1, width=3)
    assert [child["external_id"] for child in tree["children"]] == ["c1", "c2", "c3"]
    assert tree["reach"] == 60
    # The seventeen left out, with their two each; the drawn three count their
    # own two, below the deepest drawn generation.
    assert tree["unshown"] == 17 * 3
    assert all(child["unshown"] == 2 for child in tree["children"])


def test_every_descendant_is_drawn_or_counted(broad):
    def drawn(entry) -> int:
        return len(entry["children"]) + sum(drawn(c) for c in entry["children"])

    def counted(entry) -> int:
        return entry["unshown"] + sum(counted(c) for c in entry["children"])

    tree = told_tree(broad, ForestState(broad), 0, depth=2, width=4)
    assert drawn(tree) + counted(tree) == tree["reach"]
    assert tree["children"][0]["children"][0]["kind"] == "mention"


def test_someone_outside_the_forest_has_no_tree(broad):
    assert told_tree(broad, ForestState(broad), "prospect") is None
