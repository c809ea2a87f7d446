"""The Rewards page and its twin, decisions one by one and in bulk, the rules
form, the payout file, and the share page's "you've earned"."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import orjson
import pytest

from tests.rewards_helpers import day, hold_end, ledger, send, set_reward_rules
from wom.actions import approve_due_rewards
from wom.store import now_micros
from wom.store.shares import share_secret

RULE = {"side": "both", "trigger": "signup", "amount": "5", "hold_days": 14}
EVIL = '=HYPERLINK("http://x.invalid","<script>alert(1)</script>")'


@pytest.fixture
def store(app):
    return app.extensions["wom.store"]


@pytest.fixture
def earned(store):
    """Ann (whose name is a formula) referred Bob, Cat and Dan; rewards on both
    sides, approved once their holds ended, Dan's still pending."""
    send(store, {"type": "signup", "customer": "ann", "at": day(0), "name": EVIL})
    set_reward_rules(store, RULE)
    send(store, {"type": "referral", "from": "ann", "to": "bob", "at": day(1)})
    send(store, {"type": "referral", "from": "ann", "to": "cat", "at": day(2)})
    approve_due_rewards(store, now=hold_end(2, 14))
    send(store, {"type": "referral", "from": "ann", "to": "dan", "at": day(20)})
    return store


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def page(client, path="/dashboard/rewards") -> str:
    with client.get(path) as reply:
        assert reply.status_code == 200, reply.status_code
        return reply.get_data(as_text=True)


def twin(client, query="") -> dict:
    with client.get("/dashboard/rewards.json" + query) as reply:
        assert reply.status_code == 200
        return orjson.loads(reply.data)


def post(client, path: str, form: dict, *, token: str | None = None):
    data = dict(form)
    if token is not None:
        data["csrf_token"] = token
    with client.post(path, data=data) as reply:
        return reply.status_code, reply.headers.get("Location"), reply.get_data(True)


def test_an_empty_ledger_says_what_to_do_first(owner_client):
    html = page(owner_client)
    assert "No rewards yet. Set a rule below" in html
    assert twin(owner_client)["rewards"] == []


def test_the_page_is_the_owners(client, earned):
    with client.get("/dashboard/rewards") as reply:
        assert reply.status_code == 303
    with client.get("/dashboard/rewards.json") as reply:
        assert reply.status_code == 401


def test_the_twin_holds_the_totals_and_the_rewards(owner_client, earned):
    data = twin(owner_client)
    assert data["totals"]["approved"]["rewards"] == 4
    assert data["totals"]["approved"]["display"] == "€20.00"
    assert data["totals"]["pending"]["display"] == "€10.00"
    assert [r["earned_at"][:10] for r in data["rewards"]][:2] == ["2026-03-22"] * 2
    assert data["rules"]["in_force"]["words"] == [
        "The referrer and the friend each get €5.00 when the friend signs up; "
        "approved after 14 days."
    ]


def test_the_page_shows_the_totals_and_the_ledger(owner_client, earned):
    html = page(owner_client)
    assert "€20.00" in html and "Mark paid" in html
    assert "<script>alert(1)</script>" not in html  # a name is text, never HTML


def test_the_list_filters_by_state_and_customer(owner_client, earned):
    approved = twin(owner_client, "?state=approved")["rewards"]
    assert {r["state"] for r in approved} == {"approved"} and len(approved) == 4
    dan = twin(owner_client, "?customer=dan")["rewards"]
    assert [(r["customer"], r["side"]) for r in dan] == [("dan", "friend")]
    assert twin(owner_client, "?customer=nobody")["unknown_customer"] is True


def test_a_bad_filter_is_a_400(owner_client, earned):
    with owner_client.get("/dashboard/rewards?state=lost") as reply:
        assert reply.status_code == 400
    with owner_client.get("/dashboard/rewards?after=x") as reply:
        assert reply.status_code == 400


def test_the_list_pages(owner_client, earned, store):
    from wom.web.dashboard import rewards

    for n, friend in enumerate(["e", "f", "g", "h", "i", "j", "k", "l", "m", "n"]):
        send(
            store, {"type": "referral", "from": "ann", "to": friend, "at": day(21 + n)}
        )
    first = twin(owner_client)
    assert len(first["rewards"]) == rewards.PAGE_SIZE and first["next"]
    rest = twin(owner_client, f"?after={first['next']}")
    shown = first["rewards"] + rest["rewards"]
    assert len({r["id"] for r in shown}) == len(shown) == 26


def test_mark_one_reward_paid(owner_client, earned, store):
    html = page(owner_client)
    reward = ledger(store)[("bob", "friend", "bob")]["id"]
    status, location, _ = post(
        owner_client,
        "/dashboard/rewards/decide",
        {"one": f"paid:{reward}", "note": "gift card"},
        token=csrf_of(html),
    )
    assert status == 303 and location.startswith("/dashboard/rewards")
    assert ledger(store)[("bob", "friend", "bob")]["state"] == "paid"
    assert "1 reward marked paid." in page(owner_client)


def test_mark_ticked_rewards_paid_in_bulk(owner_client, earned, store):
    html = page(owner_client)
    approved = [r["id"] for r in ledger(store).values() if r["state"] == "approved"]
    form = {"bulk": "paid", "ids": approved}
    status, _, _ = post(
        owner_client, "/dashboard/rewards/decide", form, token=csrf_of(html)
    )
    assert status == 303
    assert sorted(r["state"] for r in ledger(store).values()) == [
        "paid",
        "paid",
        "paid",
        "paid",
        "pending",
        "pending",
    ]


def test_a_pending_reward_is_refused_with_the_reason(owner_client, earned, store):
    html = page(owner_client)
    pending = ledger(store)[("dan", "friend", "dan")]["id"]
    post(
        owner_client,
        "/dashboard/rewards/decide",
        {"one": f"paid:{pending}"},
        token=csrf_of(html),
    )
    assert "is pending until" in page(owner_client)
    assert ledger(store)[("dan", "friend", "dan")]["state"] == "pending"


def test_a_decision_without_its_csrf_token_is_refused(owner_client, earned, store):
    reward = ledger(store)[("bob", "friend", "bob")]["id"]
    status, _, _ = post(
        owner_client, "/dashboard/rewards/decide", {"one": f"paid:{reward}"}
    )
    assert status == 400
    assert ledger(store)[("bob", "friend", "bob")]["state"] == "approved"


RULE_FORM = {
    "referrer-on": "on",
    "referrer-trigger": "purchase",
    "referrer-min_purchase": "20",
    "referrer-kind": "amount",
    "referrer-amount": "7.50",
    "referrer-perk": "",
    "referrer-cap_per_month": "3",
    "referrer-hold_days": "30",
    "friend-on": "on",
    "friend-trigger": "signup",
    "friend-min_purchase": "",
    "friend-kind": "perk",
    "friend-amount": "",
    "friend-perk": "a free bag",
    "friend-cap_per_month": "",
    "friend-hold_days": "0",
}


def test_the_rules_form_saves_a_new_version(owner_client, store):
    html = page(owner_client)
    status, location, _ = post(
        owner_client, "/dashboard/rewards/rules", RULE_FORM, token=csrf_of(html)
    )
    assert status == 303 and location.endswith("#rules")
    words = twin(owner_client)["rules"]["in_force"]["words"]
    assert words == [
        "The referrer gets €7.50 when a friend they referred makes a first purchase "
        "of at least €20.00; at most 3 a month per referrer; approved after 30 days.",
        "The friend gets a free bag when they sign up through a referral; approved "
        "at once.",
    ]
    assert 'value="7.5"' in page(owner_client)  # the form shows what is in force


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"referrer-amount": "7.505"}, "referrer-amount"),
        ({"friend-perk": ""}, "friend-kind"),
        ({"referrer-hold_days": "-1"}, "referrer-hold_days"),
        ({"referrer-min_purchase": ""}, "referrer-min_purchase"),
    ],
)
def test_a_refused_rule_is_named_beside_its_field(owner_client, store, change, field):
    html = page(owner_client)
    status, _, body = post(
        owner_client,
        "/dashboard/rewards/rules",
        RULE_FORM | change,
        token=csrf_of(html),
    )
    assert status == 422
    assert f'id="{field}-error"' in body
    assert store.reader().execute("SELECT count(*) FROM reward_log").fetchone()[0] == 0


def test_turning_every_side_off_ends_rewards_from_then_on(owner_client, earned):
    html = page(owner_client)
    post(owner_client, "/dashboard/rewards/rules", {}, token=csrf_of(html))
    assert twin(owner_client)["rules"]["in_force"]["rules"] == []


def test_the_payout_file_lists_what_is_owed_defused(owner_client, earned):
    with owner_client.get("/dashboard/rewards/payouts.csv") as reply:
        assert reply.status_code == 200
        assert reply.mimetype == "text/csv"
        assert reply.is_streamed
        text = reply.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4
    assert {row["amount"] for row in rows} == {"5.00"}
    ann = [row for row in rows if row["customer"] == "ann"]
    assert ann[0]["name"] == "'" + EVIL  # a spreadsheet shows it, never runs it


def test_the_share_page_says_what_the_customer_has_earned(app, earned, store):
    with store.write() as db:
        ann = db.execute("SELECT id FROM people WHERE external_id = 'ann'").fetchone()
        secret, _ = share_secret(db, ann[0], now_micros())
    with app.test_client().get(f"/s/{secret}") as reply:
        html = " ".join(unescape(reply.get_data(as_text=True)).split())
    assert (
        "You've earned €15.00: €10.00 on its way to you, and €5.00 waiting for "
        "confirmation." in html
    )


def test_the_share_page_says_nothing_of_rewards_before_any(app, store):
    send(store, {"type": "signup", "customer": "ann", "at": day(0)})
    with store.write() as db:
        secret, _ = share_secret(db, 1, now_micros())
    with app.test_client().get(f"/s/{secret}") as reply:
        assert "earned" not in reply.get_data(as_text=True)
