"""Communities of SNAP's email-Eu-core, held against its 42 departments.

Each line ``sender receiver`` is read as a ``mention``: one person talking to
another. All 1,005 people are customers.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

from tests.conftest import DATA
from wom.analytics.structure import communities, normalized_mutual_information
from wom.graph import build_conversation_graph

EDGES = DATA / "email-Eu-core.txt"
DEPARTMENTS = DATA / "email-Eu-core-department-labels.txt"


def read_pairs(path: Path) -> list[tuple[int, int]]:
    """Whitespace-separated integer pairs; any mix of \\r and \\n ends a line."""
    rows = (line.split() for line in re.split(r"[\r\n]+", path.read_text()))
    return [(int(row[0]), int(row[1])) for row in rows if len(row) >= 2]


@pytest.fixture(scope="module")
def raw_edges() -> list[tuple[int, int]]:
    return read_pairs(EDGES)


@pytest.fixture(scope="module")
def departments() -> dict[int, int]:
    return dict(read_pairs(DEPARTMENTS))


@pytest.fixture(scope="module")
def G(raw_edges, departments) -> nx.DiGraph:
    people = [
        {
            "id": u,
            "external_id": f"eu-{u}",
            "status": "customer",
            "acquired_at": 0.0,
            "acquired_via": "root",
            "value": 0.0,
        }
        for u in sorted(departments)
    ]
    touches = [
        {
            "talker_id": u,
            "listener_id": v,
            "kinds": "mention",
            "touches": count,
            "first_at": 0.0,
            "last_at": 0.0,
            "converted": 0,
        }
        for (u, v), count in Counter(e for e in raw_edges if e[0] != e[1]).items()
    ]
    return build_conversation_graph(people, touches)


@pytest.fixture(scope="module")
def found(G) -> dict:
    return communities(G)


def labels(found: dict) -> dict:
    return {u: i for i, c in enumerate(found["communities"]) for u in c["members"]}


def test_the_file_reads_as_published(raw_edges, departments, G):
    assert len(raw_edges) == 25_571
    assert sum(u == v for u, v in raw_edges) == 642
    assert len(departments) == 1_005 and len(set(departments.values())) == 42
    assert G.number_of_nodes() == 1_005
    assert max(map(len, nx.strongly_connected_components(G))) == 803
    assert max(map(len, nx.weakly_connected_components(G))) == 986
    # The published 0.69 counts the self-loops, which G leaves out.
    assert nx.reciprocity(nx.DiGraph(raw_edges)) == pytest.approx(0.69, abs=0.005)


def test_communities_cover_everyone_once(found):
    assert found["method"] == "louvain"
    assert sum(c["size"] for c in found["communities"]) == 1_005
    assert len(labels(found)) == 1_005


def test_communities_recover_departments_far_above_chance(found, departments):
    nmi = normalized_mutual_information(labels(found), departments)
    shuffled = list(departments.values())
    random.Random(0).shuffle(shuffled)
    baseline = normalized_mutual_information(
        labels(found), dict(zip(departments, shuffled, strict=True))
    )
    print(f"email-Eu-core: NMI {nmi:.3f} against departments, {baseline:.3f} shuffled")
    assert nmi > 0.5
    assert nmi > baseline + 0.3


def test_the_partition_is_networkx_on_the_raw_file(raw_edges, departments, found):
    H = nx.Graph()
    H.add_nodes_from(sorted(set(departments).union(*raw_edges)))
    H.add_edges_from(sorted({(min(e), max(e)) for e in raw_edges if e[0] != e[1]}))
    expected = nx.community.louvain_communities(H, seed=0, resolution=1)
    assert sorted(sorted(c) for c in expected) == sorted(
        c["members"] for c in found["communities"]
    )


def test_the_same_seed_gives_the_same_partition(G, found):
    assert communities(G, seed=0) == found
