"""The rewards ledger over /api/v1: rules (admin), the list (paged, filtered),
decisions (admin), and refusals that name the fix."""

from __future__ import annotations

import pytest

from tests.api_client import ApiClient
from tests.rewards_helpers import day, hold_end, send, set_reward_rules
from wom.actions import approve_due_rewards

RULE = {"side": "both", "trigger": "signup", "amount": 5, "hold_days": 14}


@pytest.fixture
def admin(app):
    return ApiClient.for_app(app, "admin", scope="admin")


@pytest.fixture
def store_of(app):
    return app.extensions["wom.store"]


@pytest.fixture
def earned(admin, store_of):
    """Rules from day 0 (set then); Ann referred Bob, Cat and Dan on days 1 to 3."""
    send(store_of, {"type": "signup", "customer": "ann", "at": day(0)})
    set_reward_rules(store_of, RULE | {"amount": "5"})
    for n, friend in enumerate(["bob", "cat", "dan"], start=1):
        send(store_of, {"type": "referral", "from": "ann", "to": friend, "at": day(n)})
    return store_of


def test_rules_round_trip_in_major_units(admin):
    sent = {"rules": [RULE | {"amount": 2.5, "cap_per_month": 3}]}
    put = admin.call("PUT", "/reward-rules", json=sent)
    assert put.status == 200
    assert put.json["rules"][0]["amount"] == 2.5
    got = admin.get("/reward-rules").json["in_force"]
    assert got["rules"] == [
        {
            "side": "both",
            "trigger": "signup",
            "min_purchase": None,
            "amount": 2.5,
            "perk": None,
            "cap_per_month": 3,
            "hold_days": 14,
        }
    ]
    assert got["currency"] == "EUR" and got["time_zone"] == "UTC"


def test_rules_cannot_reach_into_the_past(admin):
    sent = {"rules": [RULE], "effective_at": day(0)}
    reply = admin.call("PUT", "/reward-rules", json=sent)
    assert reply.status == 422
    assert reply.json["errors"][0]["field"] == "effective_at"


def test_rules_set_for_later_are_listed_as_scheduled(admin):
    later = "2030-01-01T00:00:00Z"
    admin.call("PUT", "/reward-rules", json={"rules": [RULE], "effective_at": later})
    found = admin.get("/reward-rules").json
    assert found["in_force"]["version"] is None
    assert [v["effective_at"] for v in found["scheduled"]] == [later]


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (RULE | {"amount": 0.001}, "rules[0].amount"),
        (RULE | {"amount": "5"}, "rules[0].amount"),
        (RULE | {"perk": "a bag"}, "rules[0].amount"),
        (RULE | {"hold_days": -1}, "rules[0].hold_days"),
        (RULE | {"colour": "red"}, "rules[0].colour"),
    ],
)
def test_a_bad_rule_is_a_422_naming_its_field(admin, rule, field):
    reply = admin.call("PUT", "/reward-rules", json={"rules": [rule]})
    assert reply.status == 422
    assert field in [error["field"] for error in reply.json["errors"]]


def test_the_list_pages_newest_first_with_totals(admin, earned):
    first = admin.get("/rewards?limit=4").json
    assert len(first["items"]) == 4 and first["next_cursor"]
    rest = admin.get(f"/rewards?limit=4&cursor={first['next_cursor']}").json
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    earned_at = [r["earned_at"] for r in first["items"] + rest["items"]]
    assert earned_at == sorted(earned_at, reverse=True)
    assert first["totals"]["pending"] == {"rewards": 6, "amount": 30.0, "perks": 0}


def test_the_list_filters_by_customer_and_state(admin, earned):
    mine = admin.get("/rewards?customer=ann").json["items"]
    assert {(r["customer"], r["side"]) for r in mine} == {("ann", "referrer")}
    assert {r["credit"] for r in mine} == {"bob", "cat", "dan"}
    assert admin.get("/rewards?state=approved").json["items"] == []


def test_an_unknown_customer_is_a_404(admin, earned):
    assert admin.get("/rewards?customer=nobody").status == 404


# Found answered 404 by the soak's bad-input corpus (tests/data/bad_inputs).
@pytest.mark.parametrize("customer", ["", "c" * 129, "a/b"])
def test_a_customer_id_no_customer_could_have_is_a_400(admin, earned, customer):
    reply = admin.get(f"/rewards?customer={customer}")
    assert reply.status == 400
    assert reply.json["errors"][0]["field"] == "customer"


def test_a_made_up_cursor_is_a_400(admin, earned):
    assert admin.get("/rewards?cursor=WzEsImEiXQ").status == 400


def test_paying_a_reward_once_its_hold_ends(admin, earned):
    reward = admin.get("/rewards?customer=bob").json["items"][0]
    early = admin.post(f"/rewards/{reward['id']}", json={"decision": "paid"})
    assert early.status == 409
    assert "pending until" in early.json["detail"]
    approve_due_rewards(earned, now=hold_end(3, 14))
    paid = admin.post(
        f"/rewards/{reward['id']}", json={"decision": "paid", "note": "gift card"}
    )
    assert paid.status == 200
    assert (paid.json["state"], paid.json["note"]) == ("paid", "gift card")
    assert paid.json["amount"] == 5.0 and paid.json["currency"] == "EUR"


def test_voiding_a_reward(admin, earned):
    reward = admin.get("/rewards?customer=bob").json["items"][0]
    reply = admin.post(f"/rewards/{reward['id']}", json={"decision": "void"})
    assert (reply.json["state"], reply.json["reason"]) == (
        "voided",
        "voided by the owner",
    )


def test_an_unknown_reward_is_a_404(admin, earned):
    reply = admin.post("/rewards/rw_1_2_friend", json={"decision": "void"})
    assert reply.status == 404


def test_a_decision_is_replayed_by_its_idempotency_key(admin, earned):
    reward = admin.get("/rewards?customer=bob").json["items"][0]
    headers = {"Idempotency-Key": "void-bob"}
    sent = {"decision": "void", "note": "duplicate"}
    first = admin.post(f"/rewards/{reward['id']}", json=sent, headers=headers)
    again = admin.post(f"/rewards/{reward['id']}", json=sent, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json == first.json


@pytest.mark.parametrize("scope", ["read", "write"])
@pytest.mark.parametrize(
    ("method", "path", "sent"),
    [
        ("POST", "/rewards/rw_1_2_friend", {"decision": "paid"}),
        ("GET", "/reward-rules", None),
        ("PUT", "/reward-rules", {"rules": []}),
    ],
)
def test_decisions_and_rules_need_an_admin_token(
    app, earned, scope, method, path, sent
):
    client = ApiClient.for_app(app, f"not-admin-{scope}", scope=scope)
    reply = client.call(method, path, json=sent)
    assert reply.status == 403
    assert "needs a token of scope admin" in reply.json["detail"]
    assert len(earned.reader().execute("SELECT * FROM reward_log").fetchall()) == 1


def test_a_read_token_reads_the_ledger(app, earned):
    client = ApiClient.for_app(app, "reader", scope="read")
    assert client.get("/rewards").status == 200


def test_the_openapi_document_describes_the_ledger(admin):
    document = admin.get("/openapi.json").json
    assert {"/rewards", "/rewards/{reward_id}", "/reward-rules"} <= set(
        document["paths"]
    )
    assert "RewardPage" in document["components"]["schemas"]


# Found by the soak's auth check: the document said a write token would do.
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/rewards/{reward_id}"),
        ("get", "/reward-rules"),
        ("put", "/reward-rules"),
    ],
)
def test_the_document_says_decisions_and_rules_need_an_admin_token(admin, method, path):
    operation = admin.get("/openapi.json").json["paths"][path][method]
    assert operation["security"] == [{"bearer": ["admin"]}]
