"""The Graph page, /dashboard/graph, and its twin: what is drawn, how the filters
narrow it, the person's figures, the bound, and the checks of its parameters."""

from __future__ import annotations

import pytest

from tests.api_client import ApiClient
from tests.dashboard_pages import STORY, embedded
from tests.payloads import XSS_CORPUS
from wom.store import ingest, people


@pytest.fixture
def story(app):
    ingest(app.extensions["wom.store"], STORY, source="test")
    return app


def twin(client, query: str = "") -> dict:
    with client.get("/dashboard/graph.json" + query) as reply:
        assert reply.status_code == 200, reply.get_data(True)
        return reply.json


def page(client, query: str = "") -> str:
    with client.get("/dashboard/graph" + query) as reply:
        assert reply.status_code == 200
        return reply.get_data(True)


def ids(data: dict) -> list[str]:
    return [row["id"] for row in data["nodes"]]


def test_the_page_draws_exactly_what_its_twin_returns(story, owner_client):
    assert embedded(page(owner_client), "graph-data") == twin(owner_client)


def test_the_largest_cascade_comes_first_with_its_prospects_then_the_rest(
    story, owner_client
):
    data = twin(owner_client)
    assert ids(data) == ["maya", "leo", "ana", "pia", "tom", "ivy"]
    assert data["shown"] == {"people": 6, "conversations": 5}
    assert data["total"] == {"people": 6, "customers": 5}
    assert data["complete"] is True
    assert {row["id"]: row["cascade"] for row in data["nodes"]}["pia"] == "maya"


def test_conversations_carry_their_kinds_times_and_credit(story, owner_client):
    edges = {(e["source"], e["target"]): e for e in twin(owner_client)["edges"]}
    assert set(edges) == {
        ("maya", "leo"),
        ("maya", "ana"),
        ("leo", "tom"),
        ("ana", "pia"),
        ("ivy", "maya"),
    }
    assert edges["maya", "leo"]["kinds"] == ["referral"]
    assert edges["maya", "leo"]["credited"] is True
    assert edges["ivy", "maya"]["credited"] is False
    assert edges["ana", "pia"]["first_at"] == "2026-01-06T09:00:00Z"


def test_each_person_carries_the_figures_the_api_gives(story, owner_client):
    maya = twin(owner_client)["nodes"][0]
    person = ApiClient.for_app(story).get("/customers/maya").json
    assert maya["name"] == "Maya Okafor"
    assert maya["figures"] == person["figures"]
    assert maya["value"] == person["value"]
    assert maya["cascade_root"] == person["cascade_root"] == "maya"
    assert maya["figures"]["reach"] == 3


def test_a_limit_bounds_the_drawing_and_the_page_says_so(story, owner_client):
    data = twin(owner_client, "?limit=2")
    assert ids(data) == ["maya", "leo"]
    assert data["complete"] is False
    assert [(e["source"], e["target"]) for e in data["edges"]] == [("maya", "leo")]
    shown = page(owner_client, "?limit=2")
    assert "Showing 2 of 6 people" in shown
    assert "the 1 largest cascade that matches" in shown


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?min_reach=1", ["maya", "leo"]),
        ("?converted=1", ["maya", "leo", "ana", "tom", "ivy"]),
        ("?kinds=mention", ["maya", "ana", "pia", "ivy"]),
        ("?kinds=referral&kinds=link", ["maya", "leo", "tom"]),
        # A conversation begun in the range brings both its people.
        ("?from=2026-01-04&to=2026-01-31", ["leo", "ana", "pia", "tom"]),
        ("?from=2026-02-01", ["maya", "ivy"]),
    ],
)
def test_filters_narrow_who_is_drawn(story, owner_client, query, expected):
    assert ids(twin(owner_client, query)) == expected


def test_a_kinds_filter_keeps_conversations_of_those_kinds(story, owner_client):
    edges = twin(owner_client, "?kinds=mention")["edges"]
    assert {(e["source"], e["target"]) for e in edges} == {
        ("maya", "ana"),
        ("ana", "pia"),
        ("ivy", "maya"),
    }


@pytest.mark.parametrize("asked", ["tom", "Tom Berg", "  tom  b", "TOM"])
def test_a_search_starts_the_drawing_from_that_person(story, owner_client, asked):
    data = twin(owner_client, f"?limit=3&focus={asked}")
    assert data["focus"] == "tom"
    assert ids(data)[0] == "tom"
    assert "tom" in ids(data)


def test_a_search_for_nobody_says_so(story, owner_client):
    data = twin(owner_client, "?focus=nobody%20here")
    assert data["focus"] is None
    assert ids(data)[0] == "maya"
    assert "Nobody with the id or name “nobody here”" in page(
        owner_client, "?focus=nobody%20here"
    )


def test_a_prospect_found_brings_in_who_told_them(story, owner_client):
    data = twin(owner_client, "?focus=pia&converted=1")
    assert data["focus"] == "pia"
    assert "pia" not in ids(data)  # customers only: a prospect is filtered out
    assert ids(data)[0] == "maya"


@pytest.mark.parametrize(
    "query",
    [
        "?limit=0",
        "?limit=5001",
        "?limit=ten",
        "?min_reach=-1",
        "?kinds=telepathy",
        "?kinds=mention&kinds=gossip",
        "?from=2026-13-01",
        "?from=1%20January",
        "?from=2026-02-01&to=2026-01-01",
        "?converted=yes",
        "?converted=1&converted=1",
        "?focus=" + "x" * 201,
        "?colour=red",
    ],
)
def test_bad_parameters_are_a_400(story, owner_client, query):
    with owner_client.get("/dashboard/graph.json" + query) as reply:
        assert reply.status_code == 400
        assert reply.content_type == "application/problem+json"
        assert reply.json["errors"][0]["field"] in query
    with owner_client.get("/dashboard/graph" + query) as reply:
        assert reply.status_code == 400
        assert reply.mimetype == "text/html"


def test_empty_form_fields_lead_to_the_page_without_them(story, owner_client):
    with owner_client.get("/dashboard/graph?focus=&from=&min_reach=1&to=") as reply:
        assert reply.status_code == 303
        assert reply.headers["Location"] == "/dashboard/graph?min_reach=1"


def test_colours_follow_acquisition_until_communities_are_computed(story, owner_client):
    before = twin(owner_client)
    assert before["colour_by"] == "acquisition"
    assert before["communities"] == []
    assert "Communities are still being computed" in page(owner_client)
    story.extensions["wom.analytics"].refresh_background(wait=True)
    after = twin(owner_client)
    assert after["colour_by"] == "community"
    assert after["computed_at"] is not None
    assert {row["community"] for row in after["nodes"]} >= {0}
    legend = after["communities"]
    assert sum(row["shown"] for row in legend) == len(after["nodes"])
    assert legend[0]["shown"] >= legend[-1]["shown"]


def test_names_are_escaped_in_the_page(app, owner_client):
    signups = [
        {"type": "signup", "customer": "a", "name": "x", "at": "2026-01-01T00:00:00Z"},
        *(
            {
                "type": "signup",
                "customer": f"p{i}",
                "name": name,
                "at": "2026-01-02T00:00:00Z",
            }
            for i, name in enumerate(XSS_CORPUS)
        ),
    ]
    ingest(app.extensions["wom.store"], signups, source="test")
    shown = page(owner_client, "?focus=%3Cscript%3E")
    assert "<script>alert(1)</script>" not in shown
    assert "<img src=x" not in shown
    data = embedded(shown, "graph-data")
    assert data["focus"] == "p0"  # found by the name as typed
    stored = people.names_of(app.extensions["wom.store"].reader(), ids(data))
    assert {row["name"] for row in data["nodes"]} >= set(stored.values())
    assert len(stored) == len(XSS_CORPUS) + 1


def test_an_empty_database_says_what_to_do_first(owner_client):
    shown = page(owner_client)
    assert "No customers yet: start here" in shown
    assert "/api/docs" in shown
    assert twin(owner_client)["nodes"] == []


def test_the_twin_needs_a_login(story, client):
    with client.get("/dashboard/graph.json") as reply:
        assert reply.status_code == 401
