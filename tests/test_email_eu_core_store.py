"""The real email-Eu-core network, ingested through the store as mentions, holds
to networkx computed directly on the raw file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import networkx as nx
import pytest

from tests.conftest import DATA
from wom.analytics.influence import influence_all
from wom.analytics.structure import communities, normalized_mutual_information
from wom.graph import build_conversation_graph
from wom.service import AnalyticsService
from wom.store import InvalidInput, Store, ingest, queries

BASE = datetime(2026, 1, 1, tzinfo=UTC)


def raw_lines() -> list[tuple[str, str]]:
    text = (DATA / "email-Eu-core.txt").read_bytes().decode()
    return [tuple(line.split()) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def raw() -> nx.DiGraph:
    G = nx.DiGraph()
    G.add_nodes_from(str(n) for n in range(1005))
    G.add_edges_from((a, b) for a, b in raw_lines() if a != b)
    return G


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """All 1,005 people customers first, then each line a mention at BASE + line s."""
    store = Store(tmp_path_factory.mktemp("eu") / "wom.db")
    store.migrate()
    ingest(
        store,
        [
            {
                "type": "signup",
                "customer": str(n),
                "at": (BASE - timedelta(days=1)).isoformat(),
            }
            for n in range(1005)
        ],
    )
    mentions = [
        {
            "type": "mention",
            "from": a,
            "to": b,
            "at": (BASE + timedelta(seconds=number)).isoformat(),
        }
        for number, (a, b) in enumerate(raw_lines(), start=1)
        if a != b
    ]
    for start in range(0, len(mentions), 5000):
        ingest(store, mentions[start : start + 5000], source="eu-core")
    service = AnalyticsService(store, background=False)
    service.ensure_loaded()
    yield store, service
    store.close()


def test_the_file_has_the_documented_shape(raw):
    lines = raw_lines()
    assert len(lines) == 25571
    assert sum(a == b for a, b in lines) == 642
    assert raw.number_of_nodes() == 1005


def test_a_self_loop_is_refused_as_a_self_mention(loaded):
    store, _ = loaded
    with pytest.raises(InvalidInput, match="to:"):
        ingest(
            store, [{"type": "mention", "from": "1", "to": "1", "at": BASE.isoformat()}]
        )


def test_conversations_started_is_the_raw_out_degree(loaded, raw):
    store, service = loaded
    ids = dict(store.reader().execute("SELECT external_id, id FROM people"))
    assert service.G.number_of_edges() == raw.number_of_edges()
    for node in raw:
        assert service.person(ids[node])["conversations_started"] == raw.out_degree(
            node
        )


def test_touch_counts_keep_duplicate_lines(loaded):
    store, _ = loaded
    rows = store.reader().execute("SELECT sum(touches) FROM touches").fetchone()[0]
    assert rows == 25571 - 642


def test_influence_matches_pagerank_on_the_raw_file(loaded, raw):
    store, _ = loaded
    db = store.reader()
    G = build_conversation_graph(queries.people_rows(db), queries.touch_rows(db))
    ours = influence_all(G)
    reference = nx.pagerank(
        raw.reverse(copy=True), alpha=0.85, tol=1e-12, max_iter=1000
    )
    names = {node: G.nodes[node]["external_id"] for node in G}
    assert max(abs(ours[node] - reference[names[node]]) for node in G) < 1e-9
    top = sorted(reference, key=reference.get, reverse=True)[:20]
    assert sorted(ours, key=ours.get, reverse=True)[:20] == [
        next(n for n in G if names[n] == t) for t in top
    ]


def test_mentions_among_customers_give_no_credit(loaded):
    """Everyone was a customer before the first mention: all are roots."""
    store, service = loaded
    assert store.reader().execute("SELECT count(*) FROM credits").fetchone()[0] == 0
    assert service.cascades("size", limit=1)[0]["size"] == 1


def departments() -> dict[str, str]:
    text = (DATA / "email-Eu-core-department-labels.txt").read_text()
    return dict(line.split() for line in text.splitlines() if line.strip())


def test_communities_match_departments_like_networkx_on_the_raw_file(loaded, raw):
    store, _ = loaded
    db = store.reader()
    G = build_conversation_graph(queries.people_rows(db), queries.touch_rows(db))
    found = communities(G, seed=0)
    assert found["method"] == "louvain"
    ours = {
        G.nodes[member]["external_id"]: number
        for number, community in enumerate(found["communities"])
        for member in community["members"]
    }
    assert len(ours) == 1005
    reference = {
        member: number
        for number, community in enumerate(
            nx.community.louvain_communities(raw.to_undirected(), seed=0)
        )
        for member in community
    }
    truth = departments()
    ours_nmi = normalized_mutual_information(ours, truth)
    reference_nmi = normalized_mutual_information(reference, truth)
    assert ours_nmi > 0.5
    assert abs(ours_nmi - reference_nmi) < 0.08
    assert normalized_mutual_information(ours, reference) > 0.75
