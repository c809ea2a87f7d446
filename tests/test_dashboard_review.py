"""The Review page and its twin: filters, pages, and decisions through the form."""

from __future__ import annotations

import re

import pytest

from wom.store import ingest
from wom.store.settings import write_setting

DAY0 = "2026-01-01T00:00:00Z"


def at(day: int, second: int = 0) -> str:
    return f"2026-01-{day:02}T10:00:{second:02}Z"


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


@pytest.fixture
def flagged(app):
    """A held credit (a shared cookie), a self-referral and a burst of three."""
    store = app.extensions["wom.store"]
    with store.write() as db:
        write_setting(db, "burst_threshold", 2)
    ingest(
        store,
        [
            {"type": "signup", "customer": "ann", "visitor": "v-1", "at": DAY0},
            {"type": "mention", "from": "ann", "to": "ben", "at": at(2)},
            {"type": "signup", "customer": "ben", "visitor": "v-1", "at": at(3)},
            {"type": "signup", "customer": "zoe", "email": "zoe@gmail.com", "at": DAY0},
            {"type": "mention", "from": "zoe", "to": "zo2", "at": at(4)},
            {
                "type": "signup",
                "customer": "zo2",
                "email": "z.oe@gmail.com",
                "at": at(5),
            },
            {"type": "signup", "customer": "rex", "name": "Rex <b>", "at": DAY0},
            *(
                {"type": "referral", "from": "rex", "to": f"b{i}", "at": at(6, i)}
                for i in range(3)
            ),
        ],
        source="test",
    )
    app.extensions["wom.analytics"].refresh_background()
    return store


def twin(client, query: str = "") -> dict:
    with client.get("/dashboard/review.json" + query) as reply:
        assert reply.status_code == 200
        return reply.json


def decide(client, flag: str, decision: str, **extra):
    with client.get("/dashboard/review") as page:
        token = csrf(page.get_data(True))
    form = {"csrf_token": token, "flag": flag, "decision": decision, **extra}
    return client.post("/dashboard/review/decide", data=form)


def test_the_twin_lists_open_flags_with_their_credits_and_graphs(owner_client, flagged):
    found = twin(owner_client)
    assert [f["kind"] for f in found["flags"]] == ["burst", "held", "self_referral"]
    burst = found["flags"][0]
    assert [c["customer"] for c in burst["credits"]] == ["b0", "b1", "b2"]
    assert burst["names"]["rex"] == "Rex <b>"
    assert {n["id"] for n in burst["graph"]["nodes"]} == {"rex", "b0", "b1", "b2"}
    assert {
        (e["source"], e["target"], e["named"]) for e in burst["graph"]["edges"]
    } == {
        ("rex", "b0", True),
        ("rex", "b1", True),
        ("rex", "b2", True),
    }
    assert found["open"] == 3 and found["counts"]["burst"] == {"open": 1}


def test_the_page_renders_the_twins_flags(owner_client, flagged):
    with owner_client.get("/dashboard/review") as page:
        html = page.get_data(True)
    assert html.count('<article class="flag"') == 3
    assert "Rex &lt;b&gt;" in html and "Rex <b>" not in html


@pytest.mark.parametrize(
    ("query", "kinds"),
    [
        ("?kind=held", ["held"]),
        ("?status=approved", []),
        ("?status=any&kind=burst", ["burst"]),
    ],
)
def test_filters_by_kind_and_status(owner_client, flagged, query, kinds):
    assert [f["kind"] for f in twin(owner_client, query)["flags"]] == kinds


@pytest.mark.parametrize(
    "query", ["?kind=spam", "?status=maybe", "?after=x", "?after=" + "1" * 301]
)
def test_a_filter_it_does_not_know_is_a_400(owner_client, flagged, query):
    with owner_client.get("/dashboard/review" + query) as reply:
        assert reply.status_code == 400


def test_flags_come_ten_at_a_time(owner_client, app):
    store = app.extensions["wom.store"]
    ingest(
        store,
        [
            event
            for i in range(12)
            for event in (
                {"type": "signup", "customer": f"t{i}", "visitor": f"v{i}", "at": DAY0},
                {"type": "mention", "from": f"t{i}", "to": f"l{i}", "at": at(2)},
                {
                    "type": "signup",
                    "customer": f"l{i}",
                    "visitor": f"v{i}",
                    "at": at(3),
                },
            )
        ],
        source="test",
    )
    first = twin(owner_client)
    assert len(first["flags"]) == 10 and first["next"]
    rest = twin(owner_client, f"?after={first['next']}")
    assert len(rest["flags"]) == 2 and rest["next"] is None


def test_voiding_through_the_form_closes_the_flag(owner_client, flagged):
    held = twin(owner_client, "?kind=held")["flags"][0]
    with decide(owner_client, held["id"], "void", kind="held") as reply:
        assert reply.status_code == 303
        assert reply.location.endswith("/dashboard/review?kind=held")
    assert twin(owner_client, "?kind=held")["flags"] == []
    (voided,) = twin(owner_client, "?kind=held&status=voided")["flags"]
    assert voided["id"] == held["id"]
    with owner_client.get("/dashboard/review") as page:
        assert "1 credit voided" in page.get_data(True)


def test_a_self_referral_cannot_be_approved(owner_client, flagged):
    flag = twin(owner_client, "?kind=self_referral")["flags"][0]
    with decide(owner_client, flag["id"], "approve") as reply:
        assert reply.status_code == 409
        assert "void for good" in reply.get_data(True)
    assert twin(owner_client, "?kind=self_referral")["flags"][0]["status"] == "open"


@pytest.mark.parametrize(
    ("flag", "decision", "status"),
    [("held:1:2", "void", 404), ("held:1:2", "maybe", 400), ("", "void", 400)],
)
def test_a_decision_on_no_flag_or_of_no_kind_is_refused(
    owner_client, flagged, flag, decision, status
):
    with decide(owner_client, flag, decision) as reply:
        assert reply.status_code == status


def test_a_decision_without_its_csrf_token_is_refused(owner_client, flagged):
    held = twin(owner_client, "?kind=held")["flags"][0]
    form = {"flag": held["id"], "decision": "void"}
    with owner_client.post("/dashboard/review/decide", data=form) as reply:
        assert reply.status_code == 400
    assert twin(owner_client, "?kind=held")["flags"][0]["status"] == "open"


def test_the_twin_needs_a_login(client):
    with client.get("/dashboard/review.json") as reply:
        assert reply.status_code == 401


def test_an_empty_database_says_how_to_start(owner_client):
    with owner_client.get("/dashboard/review") as page:
        assert "No customers yet: start here" in page.get_data(True)


def test_customers_without_flags_learn_what_raises_one(owner_client, app):
    store = app.extensions["wom.store"]
    ingest(store, [{"type": "signup", "customer": "a", "at": DAY0}], source="test")
    with owner_client.get("/dashboard/review") as page:
        assert "Nothing awaits review" in page.get_data(True)


def test_a_click_flood_closes_from_the_page_too(owner_client, app):
    from tests.test_store_clicks import T0, clicks
    from wom.store.clicks import CLICK_FLOOD_CLICKS

    store = app.extensions["wom.store"]
    ingest(store, [{"type": "signup", "customer": "a", "at": T0}], source="test")
    code = store.reader().execute("SELECT code FROM links").fetchone()[0]
    flood = clicks(code, [n / 100 for n in range(CLICK_FLOOD_CLICKS + 1)])
    ingest(store, flood, source="test")
    (flag,) = twin(owner_client, "?kind=click_flood")["flags"]
    assert flag["credits"] == [] and flag["label"] == "Click flood"
    with decide(owner_client, flag["id"], "void") as reply:
        assert reply.status_code == 303
    (closed,) = twin(owner_client, "?kind=click_flood&status=voided")["flags"]
    assert closed["id"] == flag["id"]
