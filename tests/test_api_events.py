"""POST /events: one event, a batch or NDJSON, in the documented shape, all or
nothing, replays by event_id as no-ops, and the limits (413, 415)."""

from __future__ import annotations

import orjson
import pytest

from tests.api_client import ApiClient
from wom.web.api.events import MAX_EVENTS, NDJSON

AT = "2026-01-05T10:00:00Z"
EVERY_TYPE = [
    {"type": "signup", "customer": "ann", "at": "2026-01-01T00:00:00Z"},
    {"type": "mention", "from": "ann", "to": "bob", "at": "2026-01-02T00:00:00Z"},
    {
        "type": "heard_from",
        "from": "ann",
        "to": "cat",
        "at": "2026-01-02T00:00:00Z",
        "channel": "dinner",
    },
    {
        "type": "signup",
        "customer": "bob",
        "at": "2026-01-03T00:00:00Z",
        "name": "Bob Müller",
        "email": "bob@example.org",
        "visitor": "v-1",
    },
    {"type": "referral", "from": "bob", "to": "dan", "at": "2026-01-04T00:00:00Z"},
    {
        "type": "purchase",
        "customer": "dan",
        "value": 25.5,
        "currency": "EUR",
        "at": "2026-01-05T00:00:00Z",
    },
]


def count(db, table: str = "events") -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def ndjson(events) -> bytes:
    return b"\n".join(orjson.dumps(event) for event in events) + b"\n"


def test_one_event_alone(api, db):
    reply = api.post("/events", json=EVERY_TYPE[0])
    assert reply.status == 200
    assert reply.json == {
        "received": 1,
        "accepted": 1,
        "replayed": 0,
        "new_people": 1,
        "first_seq": 1,
        "last_seq": 1,
    }
    assert count(db) == 1


def test_a_batch_of_every_type(api):
    reply = api.events(*EVERY_TYPE)
    assert reply.status == 200
    assert reply.json["accepted"] == len(EVERY_TYPE)
    bob = api.get("/customers/bob").json
    assert bob["credited_referrer"]["id"] == "ann"
    assert bob["acquired_via"] == "mention"
    assert (bob["name"], bob["email"]) == ("Bob Müller", "bob@example.org")
    dan = api.get("/customers/dan").json
    assert dan["value"] == 25.5
    assert dan["credited_referrer"]["kind"] == "referral"
    assert api.get("/customers/cat").json["status"] == "prospect"


def test_ndjson_takes_one_event_per_line(api, db):
    body = ndjson(EVERY_TYPE).replace(b"\n", b"\n\n", 1)  # blank lines are skipped
    reply = api.post("/events", data=body, content_type=NDJSON)
    assert reply.status == 200
    assert reply.json["accepted"] == len(EVERY_TYPE)
    assert count(db) == len(EVERY_TYPE)


def test_a_click_counts_on_its_link_and_bots_apart(api):
    api.events(EVERY_TYPE[0])
    code = api.post("/customers/ann/links", json={"code": "ann-spring"}).json["code"]
    human = {"type": "click", "link": code, "visitor": "v-9", "at": AT}
    bot = human | {"visitor": "v-10", "user_agent": "Slackbot-LinkExpanding 1.0"}
    person = human | {"user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}
    assert api.events(person, bot).status == 200
    link = next(
        link
        for link in api.get("/customers/ann/links").json["items"]
        if link["code"] == code
    )
    assert (link["clicks"], link["bot_clicks"]) == (1, 1)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"type": "gossip", "at": AT}, "type"),
        ({"type": "mention", "from": "ann", "at": AT}, "to"),
        ({"type": "mention", "from": "ann", "to": "ann", "at": AT}, "to"),
        ({"type": "mention", "from": "ann", "to": "bob", "at": "yesterday"}, "at"),
        ({"type": "mention", "from": "ann", "to": "bob", "at": "2026-01-01"}, "at"),
        (
            {
                "type": "mention",
                "from": "ann",
                "to": "bob",
                "at": "2999-01-01T00:00:00Z",
            },
            "at",
        ),
        ({"type": "mention", "from": "a b", "to": "bob", "at": AT}, "from"),
        ({"type": "signup", "customer": "ann", "at": AT, "email": "ann@"}, "email"),
        ({"type": "signup", "customer": "ann", "at": AT, "channel": "x"}, "channel"),
        ({"type": "purchase", "customer": "ann", "value": -1, "at": AT}, "value"),
        ({"type": "purchase", "customer": "ann", "value": "9", "at": AT}, "value"),
        (
            {
                "type": "purchase",
                "customer": "ann",
                "value": 9,
                "currency": "USD",
                "at": AT,
            },
            "currency",
        ),
        ({"type": "click", "link": "nope", "visitor": "v", "at": AT}, "link"),
        (
            {
                "type": "click",
                "link": "x",
                "visitor": "v",
                "at": AT,
                "ua_class": "human",
            },
            "ua_class",
        ),
        (
            {"type": "signup", "customer": "ann", "at": AT, "ip_hmac": "0" * 32},
            "ip_hmac",
        ),
        (
            {"type": "click", "link": "x", "visitor": "v", "at": AT, "user_agent": 1.5},
            "user_agent",
        ),
        # Values of the wrong JSON type, where a string belongs.
        ({"type": ["mention"], "from": "ann", "to": "bob", "at": AT}, "type"),
        ({"type": {"x": 1}, "customer": "ann", "at": AT}, "type"),
        ({"type": "mention", "from": ["ann"], "to": "bob", "at": AT}, "from"),
        ({"type": "mention", "from": "ann", "to": {"id": "bob"}, "at": AT}, "to"),
        ({"type": "signup", "customer": ["ann"], "at": AT}, "customer"),
    ],
)
def test_a_bad_event_is_422_naming_its_index_and_field(api, db, event, field):
    good = {"type": "mention", "from": "cat", "to": "dan", "at": AT}
    reply = api.events(good, event)
    assert reply.status == 422
    assert reply.content_type == "application/problem+json"
    assert {"index": 1, "field": field} in [
        {"index": e["index"], "field": e["field"]} for e in reply.json["errors"]
    ]
    assert count(db) == 0 and count(db, "people") == 0


def test_every_problem_of_a_batch_is_listed(api):
    reply = api.events(
        {"type": "mention", "from": "ann", "at": AT},
        EVERY_TYPE[0],
        {"type": "purchase", "customer": "ann", "value": -3, "at": "soon"},
    )
    found = {(e["index"], e["field"]) for e in reply.json["errors"]}
    assert found == {(0, "to"), (2, "value"), (2, "at")}


def test_a_replayed_event_id_is_a_no_op(api, db):
    event = EVERY_TYPE[1] | {"event_id": "crm-1"}
    assert api.events(event).json["replayed"] == 0
    again = api.events(event, EVERY_TYPE[0] | {"event_id": "crm-2"})
    assert (again.json["accepted"], again.json["replayed"]) == (1, 1)
    assert count(db) == 2


def test_event_ids_belong_to_the_token(app, db):
    event = EVERY_TYPE[1] | {"event_id": "same"}
    assert ApiClient.for_app(app, "shop").events(event).json["accepted"] == 1
    assert ApiClient.for_app(app, "crm").events(event).json["accepted"] == 1
    assert db.execute("SELECT DISTINCT source FROM events ORDER BY 1").fetchall() == [
        ("crm",),
        ("shop",),
    ]


@pytest.mark.parametrize("form", ["json", "ndjson"])
def test_more_than_the_maximum_is_413_and_stores_nothing(api, db, form):
    events = [
        {"type": "mention", "from": "ann", "to": f"p{i}", "at": AT}
        for i in range(MAX_EVENTS + 1)
    ]
    if form == "json":
        reply = api.events(*events)
    else:
        reply = api.post("/events", data=ndjson(events), content_type=NDJSON)
    assert reply.status == 413
    assert reply.content_type == "application/problem+json"
    assert f"{MAX_EVENTS:,}" in reply.json["detail"]
    assert count(db) == 0


def test_the_maximum_itself_is_accepted(api, db):
    events = [
        {"type": "mention", "from": "ann", "to": f"p{i}", "at": AT}
        for i in range(MAX_EVENTS)
    ]
    assert api.post("/events", data=ndjson(events), content_type=NDJSON).status == 200
    assert count(db) == MAX_EVENTS


def test_a_body_over_max_content_length_is_413_and_stores_nothing(app, api, db):
    app.config["MAX_CONTENT_LENGTH"] = 2_000
    events = [
        {"type": "mention", "from": "ann", "to": f"p{i}", "at": AT} for i in range(60)
    ]
    reply = api.post("/events", data=ndjson(events), content_type=NDJSON)
    assert reply.status == 413
    assert reply.content_type == "application/problem+json"
    assert count(db) == 0


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"type": "mention"', "application/json", 400),
        (b'{"type": "mention"}\n{oops}\n', NDJSON, 400),
        (b"type=mention", "application/x-www-form-urlencoded", 415),
        (b"mention ann bob", "text/plain", 415),
        (b'[{"type": "mention"}]', "application/json", 422),
        (b'{"events": []}', "application/json", 422),
        (b'{"events": [], "more": 1}', "application/json", 422),
    ],
)
def test_a_body_that_is_not_events(api, body, content_type, status):
    reply = api.post("/events", data=body, content_type=content_type)
    assert reply.status == status
    assert reply.content_type == "application/problem+json"


def test_a_bad_ndjson_line_is_named(api):
    body = ndjson(EVERY_TYPE[:2]) + b"{not json}\n"
    reply = api.post("/events", data=body, content_type=NDJSON)
    assert reply.status == 400
    assert "Line 3" in reply.json["detail"]


def test_two_objects_on_one_ndjson_line_are_refused(api, db):
    # Joined into one JSON array they would read as two events, past any limit
    # on the number of lines.
    line = b",".join(orjson.dumps(event) for event in EVERY_TYPE[:2])
    reply = api.post("/events", data=line + b"\n", content_type=NDJSON)
    assert reply.status == 400
    assert "Line 1" in reply.json["detail"]
    assert count(db) == 0


# Shaped like an address, refused by email-validator's syntax (no network).
NOT_SENDABLE = [
    "a..b@example.org",
    ".zoe@example.org",
    "zoe@-example.org",
    "zoe@example.invalid",
    "x" * 65 + "@example.org",
]


@pytest.mark.parametrize("email", NOT_SENDABLE)
def test_an_email_no_one_can_send_to_is_422(api, db, email):
    for reply in (
        api.events({"type": "signup", "customer": "ann", "at": AT, "email": email}),
        api.post("/customers", json={"id": "ann", "email": email}),
    ):
        assert reply.status == 422
        assert reply.json["errors"][0]["field"] == "email"
    assert db.execute("SELECT count(*) FROM people").fetchone()[0] == 0
