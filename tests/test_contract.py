"""The contract (wom.contract): each rule is a 422 naming its field with nothing
stored, money is exact minor units, and the OpenAPI components are generated from
the same declarations that validate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.contract_helpers import count, fields_named, set_setting
from wom import contract
from wom.contract import EventRules, InvalidInput, decode_events
from wom.contract.decoding import event_problems
from wom.contract.document import REGISTRY, components
from wom.contract.events import EVENT_CLASSES
from wom.web.api.openapi import build_document, document

AT = "2026-01-05T10:00:00Z"
NUL_NAME = "Bob\u0000Evil"


# Control characters (Unicode category Cc) in any string.


@pytest.mark.parametrize("control", ["\u0000", "\u001b", "\u007f", "\u0085", "\t"])
@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"type": "signup", "customer": "bob", "at": AT, "name": "Bob{}"}, "name"),
        (
            {"type": "signup", "customer": "bob", "at": AT, "email": "b{}@x.org"},
            "email",
        ),
        (
            {"type": "mention", "from": "a", "to": "b", "at": AT, "channel": "x{}"},
            "channel",
        ),
        ({"type": "mention", "from": "a{}", "to": "b", "at": AT}, "from"),
        (
            {"type": "mention", "from": "a", "to": "b", "at": AT, "event_id": "e{}"},
            "event_id",
        ),
        ({"type": "signup", "customer": "bob", "at": AT, "visitor": "v{}"}, "visitor"),
        ({"type": "click", "link": "k{}", "visitor": "v", "at": AT}, "link"),
        (
            {
                "type": "click",
                "link": "k",
                "visitor": "v",
                "at": AT,
                "user_agent": "M{}",
            },
            "user_agent",
        ),
    ],
)
def test_a_control_character_in_an_event_is_422_naming_the_field(
    api, db, control, event, field
):
    sent = {key: value.replace("{}", control) for key, value in event.items()}
    reply = api.events(sent)
    assert reply.status == 422
    assert (0, field) in fields_named(reply)
    assert count(db) == 0 and count(db, "people") == 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/customers", {"id": "c-1", "name": NUL_NAME}, "name"),
        ("/customers", {"id": "c-1", "email": "c\u0000@x.org"}, "email"),
        ("/customers/ann/links", {"channel": "insta\u0085gram"}, "channel"),
        ("/customers/ann/links", {"code": "ann-\u0000x"}, "code"),
    ],
)
def test_a_control_character_in_a_body_is_422_naming_the_field(
    api, db, path, body, field
):
    api.events({"type": "signup", "customer": "ann", "at": AT})
    before = [count(db, table) for table in ("links", "identities")]
    reply = api.post(path, json=body)
    assert reply.status == 422
    assert (None, field) in fields_named(reply)
    assert [count(db, table) for table in ("links", "identities")] == before


@pytest.mark.parametrize("control", ["\u007f", "\u0085", "\u009f"])
def test_a_control_character_sent_as_raw_bytes_is_refused(api, db, control):
    # orjson writes DEL and the C1 controls as raw UTF-8, not as escapes.
    body = orjson.dumps(
        {"type": "signup", "customer": "bob", "at": AT, "name": control}
    )
    assert control.encode() in body
    reply = api.post("/events", data=body, content_type="application/json")
    assert (reply.status, fields_named(reply)) == (422, {(0, "name")})


def test_a_backslash_before_an_n_is_text_not_a_newline(api, db):
    name = "C:\\new folder \\u0000 £"
    reply = api.events({"type": "signup", "customer": "bob", "at": AT, "name": name})
    assert reply.status == 200
    assert db.execute("SELECT name FROM identities").fetchone()[0] == name


def test_the_name_the_landing_form_refuses_is_refused_by_the_api_too(api, db):
    reply = api.events(
        {"type": "signup", "customer": "bob", "at": AT, "name": NUL_NAME}
    )
    assert reply.status == 422
    assert db.execute("SELECT count(*) FROM identities").fetchone()[0] == 0


# Times: not before the floor, not further ahead than a small skew.


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z"])
def test_a_time_before_the_floor_is_422(api, db, at):
    reply = api.events({"type": "signup", "customer": "ann", "at": at})
    assert reply.status == 422
    assert (0, "at") in fields_named(reply)
    assert "time_floor" in reply.json["errors"][0]["message"]
    assert count(db) == 0


def test_the_floor_is_a_setting_that_lets_old_history_in(app, api, db):
    set_setting(app, "time_floor", "1990-01-01T00:00:00Z")
    reply = api.events(
        {"type": "signup", "customer": "ann", "at": "1995-06-01T00:00:00Z"}
    )
    assert reply.status == 200
    assert count(db) == 1


@pytest.mark.parametrize(("ahead", "status"), [(4, 200), (6, 422)])
def test_a_time_may_run_a_few_minutes_ahead_and_no_more(api, ahead, status):
    at = (datetime.now(UTC) + timedelta(minutes=ahead)).isoformat()
    assert api.events({"type": "signup", "customer": "ann", "at": at}).status == status


def test_customers_keep_the_same_time_rules(api, db):
    reply = api.post(
        "/customers", json={"id": "c-1", "acquired_at": "0001-01-01T00:00:00Z"}
    )
    assert reply.status == 422
    assert fields_named(reply) == {(None, "acquired_at")}
    assert count(db, "people") == 0


# Wrong types: every body is decoded by its Struct.


@pytest.mark.parametrize("decision", [{}, [], None, 1, "approved"])
def test_a_flag_decision_of_the_wrong_type_is_422(api, decision):
    reply = api.post("/flags/held:1:2", json={"decision": decision})
    assert reply.status == 422
    assert fields_named(reply) == {(None, "decision")}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "c-1", "acquired_at": None}, "acquired_at"),
        ({"id": None}, "id"),
        ({"id": 7}, "id"),
        ({"id": "c-1", "name": ["Zoë"]}, "name"),
        ({"id": "c-1", "nickname": "Z"}, "nickname"),
    ],
)
def test_a_customer_of_the_wrong_shape_is_422(api, db, body, field):
    reply = api.post("/customers", json=body)
    assert reply.status == 422
    assert (None, field) in fields_named(reply)
    assert count(db, "people") == 0


@pytest.mark.parametrize("body", [[], "c-1", 5])
def test_a_body_that_is_no_object_is_422(api, body):
    reply = api.post("/customers", json=body)
    assert reply.status == 422
    assert fields_named(reply) == {(None, "(body)")}


# One declaration: the fast decode, the field-by-field look and the document.

RULES = EventRules(currency="EUR", floor=946_684_800_000_000, now=1_800_000_000_000_000)
value = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.sampled_from(
        ["ann", "bob", " x ", "", "a\u0000", "b@x.org", AT, "0001-01-01T00:00:00Z"]
    ),
    st.integers(-2, 2),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(st.just("ann"), max_size=1),
)
raw_events = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            [
                "mention",
                "heard_from",
                "referral",
                "signup",
                "purchase",
                "click",
                "gossip",
            ]
        )
    },
    optional={
        name: value
        for name in (
            "from",
            "to",
            "customer",
            "at",
            "value",
            "currency",
            "name",
            "email",
            "link",
            "visitor",
            "channel",
            "event_id",
            "user_agent",
            "extra",
        )
    },
)


@settings(max_examples=300, deadline=None)
@given(raw_events)
def test_the_fast_decode_and_the_second_look_agree(raw):
    body = orjson.dumps(raw)
    problems = event_problems(body, RULES)
    try:
        decode_events(body, RULES)
    except InvalidInput as refused:
        assert problems
        assert [(e["field"], e["message"]) for e in refused.errors] == problems
    else:
        assert problems == []


def test_the_document_components_are_the_contracts():
    assert document()["components"]["schemas"] == components()
    assert set(REGISTRY) <= set(document()["components"]["schemas"])


def test_a_field_added_to_a_contract_type_shows_in_the_document():
    class CustomerInput(contract.CustomerInput):
        """A customer, with a loyalty tier."""

        tier: str = "gold"

    plain = build_document()["components"]["schemas"]["CustomerInput"]
    grown = build_document(REGISTRY | {"CustomerInput": CustomerInput})
    schema = grown["components"]["schemas"]["CustomerInput"]
    assert "tier" not in plain["properties"]
    assert schema["properties"]["tier"] == {"type": "string", "default": "gold"}
    assert schema["description"] == "A customer, with a loyalty tier."


@pytest.mark.parametrize("name", sorted(set(REGISTRY) - {"Event"}))
def test_every_example_decodes_through_its_own_type(name):
    example = components()[name]["examples"][0]
    msgspec.json.decode(orjson.dumps(example), type=REGISTRY[name])


@pytest.mark.parametrize("kind", EVENT_CLASSES.values(), ids=list(EVENT_CLASSES))
def test_every_event_example_keeps_the_rules(kind):
    assert decode_events(orjson.dumps(kind.example), RULES)
