"""People: create or update by external id, list with a cursor, one person with
every figure, and their referral links."""

from __future__ import annotations

import base64
import json

import pytest

AT = "2026-02-01T09:00:00Z"


@pytest.fixture
def story(api):
    """ann tells bob (who signs up and buys), bob refers dan; cat is a prospect."""
    reply = api.events(
        {"type": "signup", "customer": "ann", "at": "2026-01-01T00:00:00Z"},
        {"type": "mention", "from": "ann", "to": "bob", "at": "2026-01-02T00:00:00Z"},
        {"type": "signup", "customer": "bob", "at": "2026-01-03T00:00:00Z"},
        {
            "type": "purchase",
            "customer": "bob",
            "value": 12,
            "at": "2026-01-04T00:00:00Z",
        },
        {"type": "referral", "from": "bob", "to": "dan", "at": "2026-01-05T00:00:00Z"},
        {"type": "mention", "from": "dan", "to": "cat", "at": "2026-01-06T00:00:00Z"},
    )
    assert reply.status == 200
    return api


def test_posting_a_new_customer_creates_them(api, db):
    reply = api.post(
        "/customers",
        json={
            "id": "zoe",
            "name": "Zoë",
            "email": "zoe@example.org",
            "acquired_at": AT,
        },
    )
    assert reply.status == 201
    assert reply.headers["Location"] == "/api/v1/customers/zoe"
    assert reply.json == {
        "id": "zoe",
        "status": "customer",
        "acquired_at": AT,
        "acquired_via": "root",
        "name": "Zoë",
        "email": "zoe@example.org",
    }
    signups = db.execute("SELECT count(*) FROM events WHERE type = 'signup'")
    assert signups.fetchone()[0] == 1


def test_posting_again_updates_and_adds_no_second_signup(api, db):
    api.post("/customers", json={"id": "zoe", "name": "Zoë", "acquired_at": AT})
    reply = api.post(
        "/customers", json={"id": "zoe", "email": "zoe@example.org", "acquired_at": AT}
    )
    assert reply.status == 200
    assert (reply.json["name"], reply.json["email"]) == ("Zoë", "zoe@example.org")
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 1


def test_a_person_without_acquired_at_is_a_prospect(api, db):
    reply = api.post("/customers", json={"id": "yan", "name": "Yan"})
    assert reply.status == 201
    assert (reply.json["status"], reply.json["acquired_at"]) == ("prospect", None)
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_a_changed_email_is_checked_for_self_referral(api):
    api.post(
        "/customers", json={"id": "ann", "email": "ann@gmail.com", "acquired_at": AT}
    )
    api.events(
        {"type": "mention", "from": "ann", "to": "alt", "at": "2026-02-02T00:00:00Z"},
        {"type": "signup", "customer": "alt", "at": "2026-02-03T00:00:00Z"},
    )
    assert api.get("/customers/alt").json["credited_referrer"]["id"] == "ann"
    api.post("/customers", json={"id": "alt", "email": "a.n.n+2@gmail.com"})
    assert api.get("/customers/alt").json["credited_referrer"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "No Id"}, "id"),
        ({"id": "has space"}, "id"),
        ({"id": "zoe", "email": "not-an-email"}, "email"),
        ({"id": "zoe", "acquired_at": "last week"}, "acquired_at"),
        ({"id": "zoe", "acquired_at": "2999-01-01T00:00:00Z"}, "acquired_at"),
        ({"id": "zoe", "phone": "+49 30 1234"}, "phone"),
        ({"id": "zoe", "name": ""}, "name"),
    ],
)
def test_a_bad_customer_is_422_naming_the_field(api, db, body, field):
    reply = api.post("/customers", json=body)
    assert reply.status == 422
    assert field in [error["field"] for error in reply.json["errors"]]
    assert db.execute("SELECT count(*) FROM people").fetchone()[0] == 0


def test_one_person_with_every_figure_their_referrer_and_touches(story):
    bob = story.get("/customers/bob").json
    assert bob["credited_referrer"] == {
        "id": "ann",
        "kind": "mention",
        "at": "2026-01-02T00:00:00Z",
        "status": "credited",
    }
    assert bob["cascade_root"] == "ann"
    assert bob["value"] == 12.0
    assert bob["figures"] | {"influence": None} == {
        "conversations_started": 1,
        "direct_referrals": 1,
        "reach": 1,
        "generations": 1,
        "referred_value": 0.0,
        "influence": None,
        "conversation_reach": None,
        "expected_spread": None,
    }
    touches = {(t["from"], t["to"]): t for t in bob["touches"]}
    assert set(touches) == {("ann", "bob"), ("bob", "dan")}
    assert touches["ann", "bob"]["kinds"] == ["mention"]
    assert touches["ann", "bob"]["converted"] is True
    assert [link["signups"] for link in bob["links"]] == [0]


def test_an_unknown_person_is_404(api):
    reply = api.get("/customers/nobody")
    assert reply.status == 404
    assert "nobody" in reply.json["detail"]


def walk(api, query: str) -> list[str]:
    """Every customer id, page by page."""
    seen, cursor = [], None
    while True:
        page = api.get(f"/customers?{query}" + (f"&cursor={cursor}" if cursor else ""))
        assert page.status == 200
        seen += [row["id"] for row in page.json["items"]]
        cursor = page.json["next_cursor"]
        if cursor is None:
            return seen


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("acquired_at", ["c0", "c1", "c2", "c3", "c4", "c5", "c6"]),
        ("-acquired_at", ["c6", "c5", "c4", "c3", "c2", "c1", "c0"]),
        ("id", ["c0", "c1", "c2", "c3", "c4", "c5", "c6"]),
        ("-id", ["c6", "c5", "c4", "c3", "c2", "c1", "c0"]),
    ],
)
def test_pages_cover_every_customer_once_in_order(api, sort, expected):
    api.events(
        *[
            {"type": "signup", "customer": f"c{i}", "at": f"2026-01-0{i + 1}T00:00:00Z"}
            for i in range(7)
        ]
    )
    assert walk(api, f"sort={sort}&limit=3") == expected


def test_filters_by_how_and_when_customers_were_acquired(story):
    assert walk(story, "acquired_via=referred") == ["dan"]
    assert walk(story, "acquired_via=root") == ["ann"]
    assert walk(story, "from=2026-01-02T00:00:00Z&to=2026-01-05T00:00:00Z") == ["bob"]
    listed = story.get("/customers").json["items"]
    assert {row["id"]: row["credited_referrer"] for row in listed} == {
        "ann": None,
        "bob": "ann",
        "dan": "bob",
    }


@pytest.mark.parametrize(
    "query",
    [
        "sort=name",
        "sort=acquired_at;DROP TABLE people",
        "acquired_via=magic",
        "limit=0",
        "limit=1001",
        "limit=ten",
        "from=tomorrow",
        "from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        "cursor=bm90IGEgY3Vyc29y",
        "cursor=' OR 1=1--",
        "cursor=" + "A" * 2000,
        # Forged cursors: [sort, value, id] with values of the wrong kind.
        *(
            "cursor=" + base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
            for forged in (
                ["acquired_at", [1, 2], 5],
                ["acquired_at", {"a": 1}, 5],
                ["acquired_at", 1, 2**70],
                ["acquired_at", "x", 5],
                ["id", 3, 5],
                ["id", "c-1", True],
                [["id"], "c-1", 5],
                [{"id": 1}, "c-1", 5],
            )
        ),
        "page=2",
        "limit=1&limit=2",
    ],
)
def test_anything_off_the_allow_list_is_400(api, query):
    reply = api.get(f"/customers?{query}")
    assert reply.status == 400
    assert reply.content_type == "application/problem+json"
    assert reply.json["errors"][0]["field"] in query


def test_a_cursor_keeps_its_sort(story):
    cursor = story.get("/customers?sort=id&limit=1").json["next_cursor"]
    reply = story.get(f"/customers?sort=-id&cursor={cursor}")
    assert reply.status == 400
    assert "sort=id" in reply.json["errors"][0]["message"]


def test_a_person_gets_links_with_chosen_or_random_codes(story):
    made = story.post(
        "/customers/ann/links", json={"code": "ann-podcast", "channel": "podcast"}
    )
    assert made.status == 201
    assert (made.json["code"], made.json["channel"]) == ("ann-podcast", "podcast")
    random = story.post("/customers/ann/links", json={}).json["code"]
    assert len(random) == 8 and random.isalnum()
    codes = [link["code"] for link in story.get("/customers/ann/links").json["items"]]
    assert codes[-2:] == ["ann-podcast", random]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"code": "ann-podcast"}, 409),
        ({"code": "Has Spaces"}, 422),
        ({"code": "ab"}, 422),
        ({"channel": ""}, 422),
        ({"owner": "bob"}, 422),
    ],
)
def test_a_link_that_cannot_be_made(story, body, status):
    story.post("/customers/ann/links", json={"code": "ann-podcast"})
    reply = story.post("/customers/ann/links", json=body)
    assert reply.status == status
    assert reply.content_type == "application/problem+json"


def test_links_of_an_unknown_person_are_404(api):
    assert api.get("/customers/nobody/links").status == 404
    assert api.post("/customers/nobody/links", json={}).status == 404
