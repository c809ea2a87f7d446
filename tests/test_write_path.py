"""Every write announces itself: each public action and each API or page write is
followed by the analytics service without anyone telling it.

The service is loaded first, so what it shows afterwards can only come from the
store's announcement after COMMIT; a write path that skipped it would leave the
figure checked here stale.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import msgspec
import pytest

from tests.api_client import ApiClient
from wom import actions
from wom.contract import CustomerInput
from wom.store import now_micros
from wom.store.answers import unresolved_answers

AT = "2026-01-05T10:00:00Z"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def world(app):
    """ann is a customer with a link and a purchase; the service is loaded; every
    announcement the store makes is kept in ``heard``."""
    store = app.extensions["wom.store"]
    api = ApiClient.for_app(app, scope="admin")
    reply = api.events(
        {"type": "signup", "customer": "ann", "name": "Ann Lee", "at": AT},
        {"type": "purchase", "customer": "ann", "value": 10, "at": AT},
    )
    assert reply.status == 200
    service = app.extensions["wom.analytics"]
    service.ensure_loaded()
    heard = []
    store.subscribe(heard.append)

    class World:
        pass

    world = World()
    world.app, world.store, world.api, world.service = app, store, api, service
    world.heard = heard
    world.code = store.reader().execute("SELECT code FROM links").fetchone()[0]
    return world


def node(world, external_id):
    row = world.store.reader().execute(
        "SELECT id FROM people WHERE external_id = ?", [external_id]
    )
    return row.fetchone()[0]


def figures(world, external_id):
    return world.service.person(node(world, external_id))


def external_ids(world):
    return {world.service.G.nodes[n]["external_id"] for n in world.service.G}


# -- the actions, called as the web, the API and the CLI call them -----------------


def test_sign_up(world):
    done = actions.sign_up(
        world.store,
        name="Bo Ek",
        email="bo@example.org",
        code=world.code,
        visitor=None,
        known_visitor=None,
        ip_hmac="h" * 64,
        answer=None,
        now=datetime.now(UTC),
    )
    assert figures(world, done.external_id)["credited_referrer"] == "ann"
    assert figures(world, "ann")["reach"] == 1


def test_record_click(world):
    before = len(world.service.series.clicks)
    with world.app.app_context():
        actions.record_click(
            world.app.extensions["wom.click_batcher"],
            code=world.code,
            visitor="v-someone",
            user_agent=BROWSER,
            ip_hmac="h" * 64,
            at=now_micros(),
        )
    assert len(world.service.series.clicks) == before + 1


def test_record_events(world):
    from wom.contract import EventRules, check_objects

    rules = EventRules(currency="EUR", floor=0, now=now_micros())
    events = check_objects(
        [{"type": "mention", "from": "ann", "to": "cy", "at": AT}], rules
    )
    actions.record_events(
        world.app.extensions["wom.api_batcher"], events, source="t", now=now_micros()
    )
    assert figures(world, "ann")["conversations_started"] == 1


def test_save_customer(world):
    customer = msgspec.convert({"id": "dee", "acquired_at": AT}, CustomerInput)
    actions.save_customer(world.store, customer, source="t", now=now_micros())
    assert figures(world, "dee") is not None


def test_create_link(world):
    actions.create_link(world.store, "ann", code=None, channel="mail", now=now_micros())
    assert len(world.heard) == 1


def test_erase_customer(world):
    pseudonym = actions.erase_customer(world.store, "ann")
    assert pseudonym in external_ids(world) and "ann" not in external_ids(world)


def test_decide_flag(world):
    # bo signs up through ann's link from ann's address: held for review.
    world.api.events(
        {"type": "signup", "customer": "bo", "link": world.code, "at": AT},
    )
    world.store.writer.execute(  # the shared device is what holds the credit
        "INSERT INTO devices VALUES (?, 'ip', 'x'), (?, 'ip', 'x')",
        [node(world, "ann"), node(world, "bo")],
    )
    with world.store.write() as db:
        from wom.store.credits import derive_credits_of

        derive_credits_of(db, [node(world, "bo")])
    assert figures(world, "bo")["credited_referrer"] is None
    flag = world.store.reader().execute("SELECT key FROM flags").fetchone()[0]
    actions.decide_flag(world.store, flag, "approve", now=now_micros())
    assert figures(world, "bo")["credited_referrer"] == "ann"


def test_resolve_answer(world):
    actions.sign_up(
        world.store,
        name="Cy Po",
        email="cy@example.org",
        code=None,
        visitor=None,
        known_visitor=None,
        ip_hmac="h" * 64,
        answer="my neighbour",
        now=datetime.now(UTC),
    )
    (answer,) = unresolved_answers(world.store.reader())
    actions.resolve_answer(world.store, answer["id"], "ann", now=now_micros())
    assert figures(world, "ann")["conversations_started"] == 1


@pytest.mark.parametrize(
    "write",
    [
        lambda w: actions.create_token(w.store, "crm", now=now_micros()),
        lambda w: actions.revoke_token(w.store, "shop", now=now_micros()),
    ],
    ids=["create_token", "revoke_token"],
)
def test_token_writes_are_announced(world, write):
    write(world)
    assert len(world.heard) == 1


def test_change_setting(world):
    world.api.events({"type": "referral", "from": "ann", "to": "eve", "at": AT})
    world.api.events(
        {"type": "purchase", "customer": "eve", "value": 8, "at": AT},
    )
    assert figures(world, "ann")["referred_value"] == 800  # cents: 8 EUR
    actions.change_setting(world.store, "value_decay", "0")
    assert world.service.settings["value_decay"] == 0
    actions.change_setting(world.store, "time_zone", "Europe/Paris")
    assert world.service.spread("week")["time_zone"] == "Europe/Paris"


# -- the writes of the API and the pages --------------------------------------------


def test_api_post_events(world):
    world.api.events({"type": "mention", "from": "ann", "to": "fay", "at": AT})
    assert "fay" in external_ids(world)


def test_api_post_customers(world):
    reply = world.api.post("/customers", json={"id": "gus", "acquired_at": AT})
    assert reply.status == 201
    assert figures(world, "gus")["credited_referrer"] is None


def test_api_delete_customer(world):
    assert world.api.delete("/customers/ann").status == 204
    assert "ann" not in external_ids(world)


def test_api_post_link(world):
    assert world.api.post("/customers/ann/links", json={}).status == 201
    assert len(world.heard) == 1


def test_api_post_flag_decision(world):
    world.api.events({"type": "signup", "customer": "hal", "at": AT})
    world.store.writer.execute(
        "INSERT INTO devices VALUES (?, 'ip', 'x'), (?, 'ip', 'x')",
        [node(world, "ann"), node(world, "hal")],
    )
    world.api.events({"type": "referral", "from": "ann", "to": "hal", "at": AT})
    flag = world.store.reader().execute("SELECT key FROM flags").fetchone()[0]
    reply = world.api.post(f"/flags/{flag}", json={"decision": "approve"})
    assert reply.status == 200
    assert figures(world, "hal")["credited_referrer"] == "ann"


def test_landing_click_and_sign_up(world):
    client = world.app.test_client()
    before = len(world.service.series.clicks)
    with client.get(f"/r/{world.code}", headers={"User-Agent": BROWSER}) as page:
        token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', page.text
        )[1]
    assert len(world.service.series.clicks) == before + 1
    form = {
        "csrf_token": token,
        "ref": world.code,
        "name": "Ida Ro",
        "email": "ida@example.org",
    }
    with client.post("/join", data=form, headers={"User-Agent": BROWSER}) as done:
        assert done.status_code == 303
    assert figures(world, "ann")["reach"] == 1


def test_cli_import_and_settings(world, tmp_path):
    runner = world.app.test_cli_runner()
    mentions = tmp_path / "mentions.csv"
    mentions.write_text(f"from,to,at\nann,jo,{AT}\n")
    result = runner.invoke(args=["import", str(mentions), "--kind", "mentions"])
    assert result.exit_code == 0, result.output
    assert "jo" in external_ids(world)
    result = runner.invoke(args=["settings", "value_decay", "0.25"])
    assert result.exit_code == 0, result.output
    assert world.service.settings["value_decay"] == 0.25
