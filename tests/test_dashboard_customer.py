"""A customer's page, /dashboard/customers/<id>: who told them and who has the
credit, whom they told and their cascade, value, flags, share page and links;
and its actions, erase and resolve an answer, each behind a CSRF token."""

from __future__ import annotations

import re

import pytest

from tests.dashboard_people import load_people, unresolved_answer
from wom.store import ingest, now_micros
from wom.store.shares import person_id_of, share_secret


@pytest.fixture
def people(app, owner_client):
    load_people(app.extensions["wom.store"])
    return owner_client


@pytest.fixture
def store(app):
    return app.extensions["wom.store"]


def twin(client, person: str) -> dict:
    with client.get(f"/dashboard/customers/{person}.json") as reply:
        assert reply.status_code == 200, reply.get_data(True)
        return reply.json


def html(client, url: str) -> str:
    with client.get(url) as reply:
        assert reply.status_code == 200, reply.get_data(True)
        return reply.get_data(True)


def csrf(client) -> str:
    page = html(client, "/dashboard/customers")
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def test_a_referred_customer_shows_the_credited_referrer_and_the_touch(people):
    page = twin(people, "cat")
    assert page["credited_referrer"]["id"] == "bob"
    assert page["credited_referrer"]["status"] == "credited"
    assert page["credited_referrer"]["name"] == "Bob Stone"
    [touch] = page["heard_from"]
    assert (touch["id"], touch["kinds"], touch["credited"]) == (
        "bob",
        ["referral"],
        True,
    )


def test_a_starter_shows_whom_they_told_and_their_cascade(people):
    page = twin(people, "ann")
    assert [t["id"] for t in page["told"]] == ["bob", "dan"]
    assert page["told_count"] == 2
    tree = page["cascade"]
    assert tree["id"] == "ann"
    assert [c["id"] for c in tree["children"]] == ["bob", "dan"]
    assert [c["id"] for c in tree["children"][0]["children"]] == ["cat"]
    assert page["figures"]["reach"] == 3
    assert page["figures"]["direct_referrals"] == 2


def test_value_is_in_major_units_of_the_currency(people):
    page = twin(people, "ann")
    assert page["customer"]["value"] == 25.0
    assert page["currency"] == "EUR"
    assert page["figures"]["referred_value"] == 10.0


def test_a_prospect_has_a_page_too(people):
    page = twin(people, "zed")
    assert page["customer"]["status"] == "prospect"
    assert [t["id"] for t in page["heard_from"]] == ["eve"]
    assert page["cascade"] is None


def test_the_page_has_every_section(people):
    page = html(people, "/dashboard/customers/ann")
    for section in ("heard-from", "told", "cascade", "flags", "share", "erase"):
        assert f'id="{section}"' in page
    assert "Ann Lee" in page


def test_held_credit_and_its_flag_show_on_both_pages(people, store):
    signup = {"type": "signup", "visitor": "v-ivy"}
    ingest(store, [signup | {"customer": "ivy", "at": "2026-02-01T00:00:00Z"}])
    code = (
        store.reader()
        .execute(
            "SELECT l.code FROM links l JOIN people p ON p.id = l.owner_id "
            "WHERE p.external_id = 'ivy'"
        )
        .fetchone()[0]
    )
    # Through Ivy's own link from Ivy's own browser: the credit is held.
    ingest(
        store,
        [signup | {"customer": "hal", "link": code, "at": "2026-02-02T00:00:00Z"}],
    )
    hal = twin(people, "hal")
    assert hal["credited_referrer"]["status"] == "held"
    assert [flag["kind"] for flag in hal["flags"]] == ["held"]
    ivy = twin(people, "ivy")
    assert [(flag["kind"], flag["status"]) for flag in ivy["flags"]] == [
        ("held", "open")
    ]
    assert ivy["share_page"]["held_referrals"] == 1
    assert "held for review" in html(people, "/dashboard/customers/hal")


def test_the_share_page_state_says_since_when(people, store):
    assert twin(people, "ann")["share_page"]["since"] is None
    with store.write() as db:
        share_secret(db, person_id_of(db, "ann"), now_micros())
    assert twin(people, "ann")["share_page"]["since"] is not None
    assert "They have a share page since" in html(people, "/dashboard/customers/ann")


def test_an_unknown_customer_is_404(people):
    with people.get("/dashboard/customers/nobody") as reply:
        assert reply.status_code == 404
        assert reply.content_type.startswith("text/html")
    with people.get("/dashboard/customers/nobody.json") as reply:
        assert reply.status_code == 404
        assert reply.content_type == "application/problem+json"


# -- erase ----------------------------------------------------------------------


def test_erase_asks_first(people):
    page = html(people, "/dashboard/customers/bob/erase")
    assert "cannot be undone" in page
    assert 'name="confirm" value="erase"' in page


def test_erase_without_a_csrf_token_is_refused(people):
    with people.post("/dashboard/customers/bob/erase", data={"confirm": "erase"}) as r:
        assert r.status_code == 400
    assert twin(people, "bob")["customer"]["name"] == "Bob Stone"


def test_erase_without_the_confirmation_is_refused(people):
    with people.post(
        "/dashboard/customers/bob/erase", data={"csrf_token": csrf(people)}
    ) as reply:
        assert reply.status_code == 400
    assert twin(people, "bob")["customer"]["name"] == "Bob Stone"


def test_erase_leads_to_the_pseudonyms_page_which_says_erased(people):
    form = {"csrf_token": csrf(people), "confirm": "erase"}
    with people.post("/dashboard/customers/bob/erase", data=form) as reply:
        assert reply.status_code == 303
        location = reply.headers["Location"]
    pseudonym = re.search(r"/dashboard/customers/(erased-[0-9a-f]{16})", location)[1]
    page = html(people, location)
    assert "This person was erased" in page
    assert "Bob Stone" not in page
    erased = twin(people, pseudonym)
    assert erased["customer"]["erased"] is True
    assert erased["customer"]["email"] is None
    # Aggregate figures stay: Ann still reached three people.
    assert twin(people, "ann")["figures"]["reach"] == 3
    with people.get("/dashboard/customers/bob.json") as reply:
        assert reply.status_code == 404


# -- resolve an answer -------------------------------------------------------------


def test_an_ambiguous_answer_offers_the_customers_it_may_mean(people):
    [answer] = twin(people, "fay")["unresolved_answers"]
    assert answer["text"] == "Sam Park"
    assert {c["id"] for c in answer["candidates"]} == {"sam-1", "sam-2"}


def test_an_unknown_answer_offers_nobody_but_takes_an_id(people):
    [answer] = twin(people, "gus")["unresolved_answers"]
    assert answer["candidates"] == []
    assert 'name="other"' in html(people, "/dashboard/customers/gus")


def resolve(client, store, person: str, **form):
    answer = unresolved_answer(store, person)
    return client.post(f"/dashboard/customers/{person}/answers/{answer}", data=form)


def test_resolving_records_the_touch_and_clears_the_answer(people, store):
    with resolve(people, store, "fay", csrf_token=csrf(people), talker="sam-2") as r:
        assert r.status_code == 303
        assert "notice=resolved" in r.headers["Location"]
    page = twin(people, "fay")
    assert page["unresolved_answers"] == []
    assert [(t["id"], t["kinds"]) for t in page["heard_from"]] == [
        ("sam-2", ["heard_from"])
    ]
    assert twin(people, "sam-2")["told"][0]["id"] == "fay"
    assert "Answer resolved" in html(people, r.headers["Location"])


def test_a_typed_id_wins_over_the_choice(people, store):
    form = {"csrf_token": csrf(people), "talker": "sam-2", "other": "eve"}
    with resolve(people, store, "fay", **form) as reply:
        assert reply.status_code == 303
    assert [t["id"] for t in twin(people, "fay")["heard_from"]] == ["eve"]


def test_resolving_without_a_csrf_token_is_refused(people, store):
    with resolve(people, store, "fay", talker="sam-2") as reply:
        assert reply.status_code == 400
    assert len(twin(people, "fay")["unresolved_answers"]) == 1


@pytest.mark.parametrize(
    ("talker", "status", "says"),
    [
        ("fay", 422, "nobody tells themselves"),
        ("nobody-known", 422, "No customer with id"),
        ("", 422, "choose a customer"),
    ],
)
def test_a_refused_resolution_says_why_beside_the_answer(
    people, store, talker, status, says
):
    with resolve(people, store, "fay", csrf_token=csrf(people), other=talker) as r:
        assert r.status_code == status
        page = r.get_data(True)
    assert says in page
    assert 'class="field-error"' in page
    assert len(twin(people, "fay")["unresolved_answers"]) == 1


def test_an_answer_of_someone_else_is_404(people, store):
    answer = unresolved_answer(store, "fay")
    form = {"csrf_token": csrf(people), "talker": "sam-2"}
    with people.post(f"/dashboard/customers/gus/answers/{answer}", data=form) as r:
        assert r.status_code == 404
