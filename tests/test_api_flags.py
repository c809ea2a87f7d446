"""Flags over the API: what awaits review, decisions on held credits and
self-referrals, and the flags' own cursor."""

from __future__ import annotations

import pytest


def day(n: int) -> str:
    return f"2026-01-{n:02d}T00:00:00Z"


@pytest.fixture
def self_referral(api):
    """zoe refers her own second address: a void credit and a flag."""
    api.events(
        {"type": "signup", "customer": "zoe", "email": "zoe@gmail.com", "at": day(1)},
        {"type": "mention", "from": "zoe", "to": "zo2", "at": day(2)},
        {"type": "signup", "customer": "zo2", "email": "z.o.e@gmail.com", "at": day(3)},
    )
    return api


def test_flags_list_what_awaits_review(self_referral):
    found = self_referral.get("/flags").json
    (flag,) = found["items"]
    assert (flag["kind"], flag["customer"], flag["referrer"]) == (
        "self_referral",
        "zo2",
        "zoe",
    )
    assert flag["status"] == "open"
    assert self_referral.get("/flags?kind=ring").json["items"] == []


def test_a_self_referral_cannot_be_approved_only_closed(self_referral):
    (flag,) = self_referral.get("/flags").json["items"]
    refused = self_referral.post(f"/flags/{flag['id']}", json={"decision": "approve"})
    assert refused.status == 409
    assert "void for good" in refused.json["detail"]
    assert self_referral.get("/customers/zo2").json["credited_referrer"] is None
    closed = self_referral.post(f"/flags/{flag['id']}", json={"decision": "void"})
    assert (closed.status, closed.json["status"]) == (200, "voided")


@pytest.fixture
def held(api):
    """ben signs up on the visitor cookie of ann, who told him: a held credit."""
    api.events(
        {"type": "signup", "customer": "ann", "visitor": "v-shared", "at": day(1)},
        {"type": "mention", "from": "ann", "to": "ben", "at": day(2)},
        {"type": "signup", "customer": "ben", "visitor": "v-shared", "at": day(3)},
    )
    (flag,) = api.get("/flags?kind=held").json["items"]
    return flag


def test_approving_a_held_credit_makes_it_count(api, held):
    flag = held
    assert api.get("/customers/ben").json["credited_referrer"]["status"] == "held"
    reply = api.post(f"/flags/{flag['id']}", json={"decision": "approve"})
    assert reply.status == 200
    assert reply.json["status"] == "approved"
    assert reply.json["credited_referrer"]["status"] == "credited"
    assert api.get("/starters?by=direct").json["items"][0]["id"] == "ann"
    assert api.get("/flags?status=open").json["items"] == []


def test_voiding_a_held_credit_removes_it(api, held):
    reply = api.post(f"/flags/{held['id']}", json={"decision": "void"})
    assert reply.json["credited_referrer"] is None
    assert api.get("/customers/ben").json["acquired_via"] == "root"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"decision": "maybe"}, 422),
        ({"decision": "approve", "why": "x"}, 422),
        ([], 422),
    ],
)
def test_a_decision_must_be_approve_or_void(self_referral, body, status):
    (flag,) = self_referral.get("/flags").json["items"]
    assert self_referral.post(f"/flags/{flag['id']}", json=body).status == status


@pytest.fixture
def five_held(api):
    """Five customers each sign up on their talker's visitor cookie: five flags."""
    for n in range(5):
        api.events(
            {"type": "signup", "customer": f"t{n}", "visitor": f"v{n}", "at": day(1)},
            {"type": "mention", "from": f"t{n}", "to": f"l{n}", "at": day(2)},
            {"type": "signup", "customer": f"l{n}", "visitor": f"v{n}", "at": day(3)},
        )
    return api


def test_flags_page_with_their_cursor(five_held):
    seen, cursor = [], None
    while True:
        page = five_held.get(
            "/flags?limit=2" + (f"&cursor={cursor}" if cursor else "")
        ).json
        seen += [flag["customer"] for flag in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"l{n}" for n in range(5)]


@pytest.mark.parametrize(
    "cursor",
    [
        "' OR 1=1--",
        "A" * 2000,
        "held:1:2",  # a flag key as it is: cursors are opaque
        "WyInIE9SIDE9MS0tIl0",  # ["' OR 1=1--"] encoded
        "WzEsMl0",  # [1,2] encoded
    ],
)
def test_a_flags_cursor_wom_did_not_write_is_400(five_held, cursor):
    reply = five_held.get("/flags", query_string={"cursor": cursor})
    assert reply.status == 400
    assert reply.content_type == "application/problem+json"
    assert reply.json["errors"][0]["field"] == "cursor"


def test_an_unknown_flag_is_404(api):
    assert api.post("/flags/held:1:2", json={"decision": "void"}).status == 404
