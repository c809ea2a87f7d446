"""GET /graph: the conversation graph as node-link JSON, GEXF with time for
Gephi's timeline, or GraphML, read back by networkx."""

from __future__ import annotations

import io

import networkx as nx
import pytest
import xmlschema

from tests.api_client import ApiClient
from tests.gexf_reader import gexf_problems, read_gexf


@pytest.fixture
def api(app):
    api = ApiClient.for_app(app)
    reply = api.events(
        {"type": "signup", "customer": "ann", "at": "2026-01-01T00:00:00Z"},
        {"type": "mention", "from": "ann", "to": "bob", "at": "2026-01-02T00:00:00Z"},
        {"type": "signup", "customer": "bob", "at": "2026-01-03T00:00:00Z"},
        {"type": "referral", "from": "bob", "to": "cat", "at": "2026-02-01T00:00:00Z"},
        {
            "type": "heard_from",
            "from": "cat",
            "to": "dan",
            "at": "2026-02-02T00:00:00Z",
        },
    )
    assert reply.status == 200
    return api


def test_json_is_node_link_data_by_external_id(api):
    reply = api.get("/graph")
    assert reply.status == 200
    assert reply.content_type == "application/json"
    G = nx.node_link_graph(reply.json, edges="edges")
    assert set(G.edges) == {("ann", "bob"), ("bob", "cat"), ("cat", "dan")}
    assert G.nodes["bob"]["acquired_at"] == "2026-01-03T00:00:00Z"
    assert G.nodes["dan"]["status"] == "prospect"
    edge = G.edges["ann", "bob"]
    assert (edge["kinds"], edge["credited"], edge["converted"]) == (
        "mention",
        True,
        True,
    )
    assert edge["first_at"] == "2026-01-02T00:00:00Z"


def test_gexf_carries_time_for_the_timeline(api):
    reply = api.get("/graph?format=gexf")
    assert reply.status == 200
    assert reply.content_type.startswith("application/gexf+xml")
    G = read_gexf(reply.body)
    assert G.graph["mode"] == "dynamic"
    assert set(G.edges) == {("ann", "bob"), ("bob", "cat"), ("cat", "dan")}
    # A prospect appears when first told; a customer when told or converted.
    assert G.nodes["dan"]["start"] == "2026-02-02T00:00:00Z"
    assert G.nodes["bob"]["start"] == "2026-01-02T00:00:00Z"
    assert G.nodes["ann"]["start"] == "2026-01-01T00:00:00Z"
    assert G.edges["bob", "cat"]["start"] == "2026-02-01T00:00:00Z"


@pytest.fixture
def timed(api):
    """A conversation at a time of day, not only at midnight."""
    api.events(
        {"type": "mention", "from": "ann", "to": "eve", "at": "2026-03-04T14:30:15.25Z"}
    )
    return api


def test_gexf_is_valid_against_the_gexf_schema(timed):
    reply = timed.get("/graph?format=gexf")
    assert gexf_problems(reply.body) == []


def test_gexf_times_carry_their_time_of_day(timed):
    G = read_gexf(timed.get("/graph?format=gexf").body)
    assert G.graph["timeformat"] == "dateTime"
    starts = [a["start"] for _, a in G.nodes(data=True)] + [
        a["start"] for _, _, a in G.edges(data=True)
    ]
    assert "2026-03-04T14:30:15.250000Z" in starts
    date_time = xmlschema.XMLSchema.meta_schema.types["dateTime"]
    assert all(date_time.is_valid(start) for start in starts)


def test_graphml_reads_back(api):
    reply = api.get("/graph?format=graphml")
    assert reply.content_type.startswith("application/graphml+xml")
    G = nx.read_graphml(io.BytesIO(reply.body))
    assert G.number_of_edges() == 3
    assert G.edges["cat", "dan"]["kinds"] == "heard_from"


def test_since_keeps_conversations_begun_since_and_their_people(api):
    G = nx.node_link_graph(
        api.get("/graph?since=2026-01-15T00:00:00Z").json, edges="edges"
    )
    assert set(G.edges) == {("bob", "cat"), ("cat", "dan")}
    assert set(G.nodes) == {"bob", "cat", "dan"}


def test_kinds_keep_edges_of_those_kinds(api):
    G = nx.node_link_graph(api.get("/graph?kinds=mention,referral").json, edges="edges")
    assert set(G.edges) == {("ann", "bob"), ("bob", "cat")}


@pytest.mark.parametrize(
    "query", ["format=dot", "kinds=gossip", "kinds=", "since=last+year", "depth=2"]
)
def test_bad_parameters_are_400(api, query):
    reply = api.get(f"/graph?{query}")
    assert reply.status == 400
    assert reply.content_type == "application/problem+json"
