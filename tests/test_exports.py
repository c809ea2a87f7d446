"""The owner's exports (wom.exports, /dashboard/exports/...): people with their
figures as CSV, the graph as GEXF 1.2 (valid against its schema) and GraphML
(read back by networkx); streamed, with memory that does not grow with the data,
and names from strangers carried as text."""

from __future__ import annotations

import csv
import io
import random
import tracemalloc
from datetime import UTC, datetime, timedelta

import networkx as nx
import pytest

from tests.dashboard_people import PEOPLE, load_people
from tests.gexf_reader import gexf_problems, read_gexf
from tests.payloads import XSS_CORPUS
from wom.exports import documents
from wom.exports.documents import PEOPLE_COLUMNS, graph_document, people_csv
from wom.store import ingest
from wom.store.csv_text import unquoted
from wom.store.people import names_of

EXPORTS = {
    "people.csv": "text/csv",
    "graph.gexf": "application/gexf+xml",
    "graph.graphml": "application/graphml+xml",
}


@pytest.fixture
def people(app, owner_client):
    load_people(app.extensions["wom.store"])
    return owner_client


def download(client, name: str) -> bytes:
    with client.get(f"/dashboard/exports/{name}") as reply:
        assert reply.status_code == 200
        assert reply.is_streamed
        assert reply.mimetype == EXPORTS[name]
        assert reply.headers["Content-Disposition"].startswith("attachment;")
        return reply.get_data()


def read_csv(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode())))


# -- people.csv ------------------------------------------------------------------


def test_people_csv_has_everyone_with_their_figures(people):
    rows = read_csv(download(people, "people.csv"))
    assert tuple(rows[0]) == PEOPLE_COLUMNS
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {person for person, *_ in PEOPLE} | {"zed"}
    ann = by_id["ann"]
    assert (ann["name"], ann["reach"], ann["direct_referrals"]) == ("Ann Lee", "3", "2")
    assert (ann["value"], ann["referred_value"]) == ("25.0", "10.0")
    assert (by_id["cat"]["credited_referrer"], by_id["cat"]["credit_status"]) == (
        "bob",
        "credited",
    )
    assert (by_id["zed"]["status"], by_id["zed"]["reach"]) == ("prospect", "0")


def test_people_csv_defuses_cells_a_spreadsheet_would_run(app, owner_client):
    ingest(
        app.extensions["wom.store"],
        [
            {
                "type": "signup",
                "customer": "x1",
                "name": '=HYPERLINK("http://evil.example","x")',
                "email": "x1@example.org",
                "at": "2026-01-01T00:00:00Z",
            }
        ],
    )
    [row] = read_csv(download(owner_client, "people.csv"))
    assert row["name"] == '\'=HYPERLINK("http://evil.example","x")'


# -- the graph --------------------------------------------------------------------


def test_graphml_reads_back_with_networkx(people):
    G = nx.read_graphml(io.BytesIO(download(people, "graph.graphml")))
    assert set(G) == {person for person, *_ in PEOPLE} | {"zed"}
    assert set(G.edges) == {
        ("ann", "bob"),
        ("bob", "cat"),
        ("ann", "dan"),
        ("eve", "zed"),
    }
    assert G.edges["ann", "bob"]["credited"] is True
    assert G.edges["eve", "zed"]["credited"] is False
    assert G.edges["eve", "zed"]["kinds"] == "mention"
    assert G.nodes["ann"]["label"] == "Ann Lee"
    assert G.nodes["ann"]["reach"] == 3
    assert G.nodes["ann"]["value"] == 25.0
    assert G.nodes["zed"]["status"] == "prospect"


def test_gexf_is_valid_against_the_gexf_schema(people):
    assert gexf_problems(download(people, "graph.gexf")) == []


def test_gexf_carries_time_for_the_timeline(people):
    G = read_gexf(download(people, "graph.gexf"))
    assert (G.graph["mode"], G.graph["timeformat"]) == ("dynamic", "dateTime")
    assert set(G.edges) == {
        ("ann", "bob"),
        ("bob", "cat"),
        ("ann", "dan"),
        ("eve", "zed"),
    }
    # A customer enters when told or when converted, whichever came first; a
    # prospect when first told; a conversation when it began.
    assert G.nodes["bob"]["start"] == "2026-01-02T00:00:00Z"
    assert G.nodes["zed"]["start"] == "2026-01-23T00:00:00Z"
    assert G.edges["ann", "dan"]["start"] == "2026-01-04T00:00:00Z"
    assert G.nodes["dan"]["label"] == "Dan Wu"


def test_graph_exports_agree_with_the_apis_graph(app, people):
    from tests.api_client import ApiClient

    api = ApiClient.for_app(app)
    from_api = nx.read_graphml(io.BytesIO(api.get("/graph?format=graphml").body))
    ours = nx.read_graphml(io.BytesIO(download(people, "graph.graphml")))
    assert set(ours) == set(from_api)
    assert set(ours.edges) == set(from_api.edges)
    for u, v in ours.edges:
        for key in ("kinds", "touches", "converted", "credited"):
            assert ours.edges[u, v][key] == from_api.edges[u, v][key]


@pytest.fixture
def strangers(app, owner_client):
    """Customers named from the XSS corpus, one telling the next."""
    events = []
    for n, name in enumerate(XSS_CORPUS):
        at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n)
        if n:
            events.append(
                {"type": "mention", "from": f"x{n - 1}", "to": f"x{n}", "at": at}
            )
        events.append({"type": "signup", "customer": f"x{n}", "name": name, "at": at})
    ingest(app.extensions["wom.store"], events)
    return owner_client


def test_names_from_strangers_are_carried_as_text(app, strangers):
    # As stored (the contract trims the ends of a name).
    ids = [f"x{n}" for n in range(len(XSS_CORPUS))]
    names = names_of(app.extensions["wom.store"].reader(), ids)
    assert len(names) == len(XSS_CORPUS)
    graphml = nx.read_graphml(io.BytesIO(download(strangers, "graph.graphml")))
    assert dict(graphml.nodes(data="label")) == names
    gexf = download(strangers, "graph.gexf")
    assert gexf_problems(gexf) == []
    assert dict(read_gexf(gexf).nodes(data="label")) == names
    rows = read_csv(download(strangers, "people.csv"))
    # Read back as an import reads it (the quote before a formula taken off).
    assert {row["id"]: unquoted(row["name"]) for row in rows} == names


def test_exports_are_the_owners(client):
    for name in EXPORTS:
        with client.get(f"/dashboard/exports/{name}") as reply:
            assert reply.status_code == 303
            assert "/login" in reply.headers["Location"]


# -- memory ------------------------------------------------------------------------


def population(store, customers: int, first: int = 0, seed: int = 0) -> None:
    """Customers ``first`` .. ``first + customers - 1`` sign up a minute apart,
    each referred by an earlier one or by nobody."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    events = []
    for n in range(first, first + customers):
        at = start + timedelta(minutes=n)
        if n and rng.random() < 0.8:
            referrer = f"c{rng.randrange(n)}"
            events.append(
                {"type": "referral", "from": referrer, "to": f"c{n}", "at": at}
            )
        events.append(
            {
                "type": "signup",
                "customer": f"c{n}",
                "name": f"Customer {n}",
                "email": f"c{n}@example.org",
                "at": at,
            }
        )
    ingest(store, events)


def peak_growth(pieces) -> tuple[int, int]:
    """The most memory (bytes, Python's allocations) held at once above the start
    while the pieces are written out and dropped, and the bytes written."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        written = sum(len(piece) for piece in pieces)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - base, written


@pytest.mark.parametrize("kind", ["csv", "gexf", "graphml"])
def test_an_export_holds_a_chunk_not_the_document(app, monkeypatch, kind):
    store, service = app.extensions["wom.store"], app.extensions["wom.analytics"]
    # Small chunks, so that even the small population makes many of them.
    monkeypatch.setattr(documents, "CHUNK", 250)

    def measured() -> tuple[int, int]:
        if kind == "csv":
            return peak_growth(people_csv(store, service))
        return peak_growth(graph_document(store, service, kind))

    population(store, 2_000)
    service.ensure_loaded()
    small_peak, small_size = measured()
    population(store, 6_000, first=2_000)
    peak, size = measured()
    assert size > 3.5 * small_size
    # Four times the people, about the same memory at the peak: a chunk's worth
    # (and less than the document itself).
    assert peak < 1.5 * small_peak, (small_peak, peak)
    assert peak < size, (peak, size)
