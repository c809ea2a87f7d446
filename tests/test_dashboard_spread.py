"""The Spread pages: the cascades, sortable and bounded, and one cascade's tree
with the times its playback replays; each the same dict as its twin."""

from __future__ import annotations

import pytest

from tests.dashboard_pages import STORY, embedded
from wom.store import ingest

# Ivy's second cascade: a chain, deeper than Maya's but smaller.
CHAIN = [
    {"type": "signup", "customer": "zed", "at": "2026-03-01T00:00:00Z"},
    {"type": "referral", "from": "zed", "to": "yan", "at": "2026-03-02T00:00:00Z"},
    {"type": "signup", "customer": "yan", "at": "2026-03-02T01:00:00Z"},
    {"type": "referral", "from": "yan", "to": "xia", "at": "2026-03-03T00:00:00Z"},
    {"type": "signup", "customer": "xia", "at": "2026-03-03T01:00:00Z"},
]


@pytest.fixture
def story(app):
    ingest(app.extensions["wom.store"], STORY + CHAIN, source="test")
    return app


def get(client, path: str, status: int = 200):
    with client.get(path) as reply:
        assert reply.status_code == status, reply.get_data(True)
        return reply.json if path.endswith(".json") or "json?" in path else reply


def cascades(client, query: str = "") -> list[str]:
    data = get(client, "/dashboard/spread.json" + query)
    return [row["id"] for row in data["cascades"]]


def test_the_list_is_the_same_dict_as_its_twin(story, owner_client):
    with owner_client.get("/dashboard/spread") as reply:
        shown = reply.get_data(True)
    assert "Maya Okafor" in shown
    twin = get(owner_client, "/dashboard/spread.json")
    assert [row["id"] for row in twin["cascades"]] == ["maya", "zed", "ivy"]
    assert twin["cascades"][0] == {
        "id": "maya",
        "name": "Maya Okafor",
        "started_at": "2026-01-01T10:00:00Z",
        "size": 4,
        "depth": 2,
        "max_breadth": 2,
        "structural_virality": pytest.approx(5 / 3),
        # From Maya's sign-up to Tom's conversion: the referral that made him.
        "duration": 4 * 86_400 - 3_600,
        "reading": "broadcast",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?by=size", ["maya", "zed", "ivy"]),
        ("?by=depth", ["maya", "zed", "ivy"]),
        ("?by=virality", ["maya", "zed", "ivy"]),
        ("?by=size&limit=1", ["maya"]),
    ],
)
def test_cascades_sort_and_are_bounded(story, owner_client, query, expected):
    assert cascades(owner_client, query) == expected


@pytest.mark.parametrize(
    "query", ["?by=reach", "?limit=0", "?limit=501", "?limit=all", "?page=2"]
)
def test_bad_list_parameters_are_a_400(story, owner_client, query):
    with owner_client.get("/dashboard/spread.json" + query) as reply:
        assert reply.status_code == 400
        assert reply.content_type == "application/problem+json"


def test_a_cascade_is_its_tree_breadth_first_with_generations(story, owner_client):
    data = get(owner_client, "/dashboard/spread/maya.json")
    assert [(n["id"], n["parent"], n["generation"]) for n in data["nodes"]] == [
        ("maya", None, 0),
        ("leo", "maya", 1),
        ("ana", "maya", 1),
        ("tom", "leo", 2),
    ]
    assert data["breadth"] == [1, 2, 1]
    assert data["complete"] is True
    assert data["nodes"][0]["name"] == "Maya Okafor"


def test_the_timeline_has_each_conversion_and_each_conversation(story, owner_client):
    data = get(owner_client, "/dashboard/spread/maya.json")
    assert {n["id"]: n["acquired_at"] for n in data["nodes"]}["ana"] == (
        "2026-01-03T10:00:00Z"
    )
    edges = {(e["source"], e["target"]): e for e in data["edges"]}
    # Ivy's mention of Maya is outside the cascade; Ana's prospect too.
    assert set(edges) == {("maya", "leo"), ("maya", "ana"), ("leo", "tom")}
    assert edges["maya", "ana"] == {
        "source": "maya",
        "target": "ana",
        "kinds": ["mention"],
        "at": "2026-01-03T09:00:00Z",
        "credited": True,
    }
    assert data["timeline"] == {
        "start": "2026-01-01T10:00:00Z",
        "end": "2026-01-06T09:00:00Z",
    }


def test_a_chain_reads_as_small_and_a_limit_cuts_whole_generations(story, owner_client):
    data = get(owner_client, "/dashboard/spread/zed.json?limit=2")
    assert [n["id"] for n in data["nodes"]] == ["zed", "yan"]
    assert data["complete"] is False
    assert data["size"] == 3
    assert data["reading"]["kind"] == "small"
    with owner_client.get("/dashboard/spread/zed?limit=2") as reply:
        assert "Showing the first 2 of 3 people" in reply.get_data(True)


def test_the_cascade_page_embeds_its_twin(story, owner_client):
    with owner_client.get("/dashboard/spread/maya") as reply:
        shown = reply.get_data(True)
    assert embedded(shown, "cascade-data") == get(
        owner_client, "/dashboard/spread/maya.json"
    )
    assert "Breadth per generation" in shown


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_someone_inside_a_cascade_leads_to_its_root(story, owner_client, suffix):
    with owner_client.get(f"/dashboard/spread/tom{suffix}?limit=5") as reply:
        assert reply.status_code == 303
        assert reply.headers["Location"] == f"/dashboard/spread/maya{suffix}?limit=5"


@pytest.mark.parametrize("who", ["pia", "nobody"])
def test_a_prospect_or_a_stranger_has_no_cascade(story, owner_client, who):
    with owner_client.get(f"/dashboard/spread/{who}.json") as reply:
        assert reply.status_code == 404
        assert reply.content_type == "application/problem+json"


def test_an_empty_database_says_what_to_do_first(owner_client):
    with owner_client.get("/dashboard/spread") as reply:
        assert "No customers yet: start here" in reply.get_data(True)
    assert get(owner_client, "/dashboard/spread.json")["cascades"] == []
