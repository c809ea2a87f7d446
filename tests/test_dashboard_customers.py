"""The Customers table, /dashboard/customers: search, sorts from an allow-list,
keyset pages behind a checked cursor, figures per customer, the answers that
name nobody, and a useful page when there is nobody yet."""

from __future__ import annotations

import base64
import json

import pytest

from tests.conftest import app_config
from tests.dashboard_people import PEOPLE, load_people, log_in
from wom import create_app
from wom.web.dashboard.customers import SORTS

CUSTOMERS = [person for person, *_ in PEOPLE]


@pytest.fixture(scope="module")
def people(tmp_path_factory, owner_password_hash):
    """The owner, logged in, over the population (read-only: made once)."""
    app = create_app(app_config(tmp_path_factory.mktemp("customers") / "wom.db"))
    store = app.extensions["wom.store"]
    load_people(store)
    yield log_in(app, owner_password_hash)
    store.close()


def twin(client, query: str = "") -> dict:
    with client.get(f"/dashboard/customers.json{query}") as reply:
        assert reply.status_code == 200, reply.get_data(True)
        return reply.json


def ids(page: dict) -> list[str]:
    return [row["id"] for row in page["items"]]


def every_page(client, query: str, limit: int = 2) -> list[str]:
    """The ids of every page, following next_cursor from the first."""
    found, cursor = [], None
    while True:
        more = f"&cursor={cursor}" if cursor else ""
        page = twin(client, f"?{query}&limit={limit}{more}")
        found += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def test_the_table_lists_customers_newest_first_and_no_prospect(people):
    page = twin(people)
    assert ids(page) == CUSTOMERS[::-1]
    assert page["customers"] == len(CUSTOMERS)
    assert "zed" not in ids(page)


def test_each_row_carries_its_figures_and_acquisition(people):
    rows = {row["id"]: row for row in twin(people)["items"]}
    assert (rows["ann"]["reach"], rows["ann"]["direct_referrals"]) == (3, 2)
    assert rows["ann"]["value"] == 25.0
    assert (rows["cat"]["referrer"], rows["cat"]["credit_status"]) == (
        "bob",
        "credited",
    )
    assert rows["eve"]["acquired_via"] == "root"
    assert rows["ann"]["name"] == "Ann Lee"


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("-reach", ["ann", "bob"]),
        ("-direct_referrals", ["ann", "bob"]),
        ("-value", ["ann", "bob"]),
        ("acquired_at", ["ann", "bob", "cat"]),
        ("id", ["ann", "bob", "cat", "dan", "eve"]),
        ("-id", ["sam-2", "sam-1", "gus", "fay"]),
    ],
)
def test_sorts_order_the_table(people, sort, first):
    assert ids(twin(people, f"?sort={sort}"))[: len(first)] == first


@pytest.mark.parametrize("sort", list(SORTS))
def test_pages_cover_every_customer_once_in_the_order_of_one_page(people, sort):
    whole = ids(twin(people, f"?sort={sort}&limit=200"))
    assert sorted(whole) == sorted(CUSTOMERS)
    assert every_page(people, f"sort={sort}") == whole


@pytest.mark.parametrize("sort", ["-reach", "id", "-acquired_at"])
def test_a_search_pages_too(people, sort):
    whole = ids(twin(people, f"?q=sam&sort={sort}&limit=200"))
    assert sorted(whole) == ["sam-1", "sam-2"]
    assert every_page(people, f"q=sam&sort={sort}", limit=1) == whole


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("Sam", {"sam-1", "sam-2"}),
        ("  bob  ", {"bob"}),
        ("ANN L", {"ann"}),
        ("sam.two@", {"sam-2"}),
        ("DAN@EXAMPLE.ORG", {"dan"}),
        ("sam-", {"sam-1", "sam-2"}),
        ("zed", set()),
        ("nobody", set()),
    ],
)
def test_search_finds_names_emails_and_ids_by_their_beginning(people, q, found):
    page = twin(people, f"?q={q}")
    assert set(ids(page)) == found
    assert page["q"] == q.strip()
    assert page["search_truncated"] is False


def test_the_page_shows_the_rows_of_its_twin_in_order(people):
    rows = twin(people, "?sort=-reach")["items"]
    with people.get("/dashboard/customers?sort=-reach") as reply:
        html = reply.get_data(True)
    places = [html.index(f'href="/dashboard/customers/{row["id"]}"') for row in rows]
    assert places == sorted(places)
    assert 'aria-sort="descending"' in html


def test_names_are_set_as_text(app, owner_client):
    from wom.store import ingest

    ingest(
        app.extensions["wom.store"],
        [
            {
                "type": "signup",
                "customer": "x1",
                "name": "<script>alert(1)</script>",
                "at": "2026-01-01T00:00:00Z",
            }
        ],
    )
    with owner_client.get("/dashboard/customers") as reply:
        html = reply.get_data(True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "query",
    [
        "sort=name",
        "sort=reach;DROP TABLE people",
        "sort=%20-reach",
        "limit=0",
        "limit=201",
        "limit=ten",
        "limit=%C2%B2",
        "cursor=not-base64!",
        "cursor=" + _cursor({"sort": "-acquired_at"}),
        "cursor=" + _cursor(["-reach", 1, 2]),  # another sort's cursor
        "cursor=" + _cursor(["-acquired_at", "' OR 1=1--", 2]),
        "cursor=" + _cursor(["-acquired_at", 1, "2"]),
        "cursor=" + _cursor(["-acquired_at", 1, 2**70]),
        "sort=-reach&cursor=" + _cursor(["-reach", True, 2]),
        "sort=id&cursor=" + _cursor(["id", 5, 2]),
        "cursor=" + "A" * 600,
        "q=" + "x" * 201,
        "answers_after=-1",
    ],
)
def test_hostile_parameters_are_400_naming_the_parameter(people, query):
    with people.get(f"/dashboard/customers.json?{query}") as reply:
        assert reply.status_code == 400
        assert reply.content_type == "application/problem+json"
        field = reply.json["errors"][0]["field"]
    assert query.split("=")[0].split("&")[-1] in (field, "sort")
    with people.get(f"/dashboard/customers?{query}") as page:
        assert page.status_code == 400
        assert page.content_type.startswith("text/html")


def test_answers_that_name_nobody_are_listed(people):
    answers = twin(people)["unresolved_answers"]
    assert answers["count"] == 2
    assert [(a["customer"], a["text"]) for a in answers["items"]] == [
        ("fay", "Sam Park"),
        ("gus", "my neighbour"),
    ]
    with people.get("/dashboard/customers") as reply:
        assert 'href="/dashboard/customers/fay#answers"' in reply.get_data(True)


def test_the_exports_are_linked(people):
    exports = twin(people)["exports"]
    assert exports == {
        "people_csv": "/dashboard/exports/people.csv",
        "graph_gexf": "/dashboard/exports/graph.gexf",
        "graph_graphml": "/dashboard/exports/graph.graphml",
    }


def test_with_nobody_yet_the_page_says_how_to_start(owner_client):
    with owner_client.get("/dashboard/customers") as reply:
        html = reply.get_data(True)
    assert reply.status_code == 200
    assert "No customers yet" in html
    assert "/api/docs" in html


def test_the_table_needs_the_owner(client):
    with client.get("/dashboard/customers.json") as reply:
        assert reply.status_code == 401
    with client.get("/dashboard/customers") as reply:
        assert reply.status_code == 303
