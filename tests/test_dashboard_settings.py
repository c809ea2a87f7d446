"""Settings, /dashboard/settings: every setting with when it takes effect, saved
group by group through actions.change_setting on the running server's writer
(bad values are a 422 naming the field; the currency is frozen once purchases
exist); and API tokens made (shown once), listed and revoked."""

from __future__ import annotations

import re

import pytest

from tests.api_client import ApiClient
from tests.conftest import app_config
from tests.dashboard_people import load_people
from wom import create_app
from wom.store import Store, ingest
from wom.store.settings import SETTINGS, read_settings
from wom.web.dashboard.settings import TAKES_EFFECT


@pytest.fixture
def store(app):
    return app.extensions["wom.store"]


def credit_of(store, person: str) -> str | None:
    row = (
        store.reader()
        .execute(
            "SELECT r.external_id FROM credits c JOIN people p ON p.id = c.customer_id "
            "JOIN people r ON r.id = c.referrer_id WHERE p.external_id = ?",
            [person],
        )
        .fetchone()
    )
    return row and row[0]


def twin(client) -> dict:
    with client.get("/dashboard/settings.json") as reply:
        assert reply.status_code == 200
        return reply.json


def csrf(client) -> str:
    with client.get("/dashboard/settings") as reply:
        page = reply.get_data(True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def group_form(client, group: str, **changes) -> dict:
    """The group's form as the page fills it, with ``changes`` typed over it."""
    [shown] = [g for g in twin(client)["groups"] if g["id"] == group]
    form = {
        s["key"]: s["value"] if isinstance(s["value"], str) else str(s["value"])
        for s in shown["settings"]
    }
    form.update(changes, group=group, csrf_token=csrf(client))
    return form


def save(client, group: str, **changes):
    return client.post("/dashboard/settings", data=group_form(client, group, **changes))


def test_every_setting_is_shown_once_with_when_it_takes_effect(owner_client):
    shown = [s for group in twin(owner_client)["groups"] for s in group["settings"]]
    assert sorted(s["key"] for s in shown) == sorted(SETTINGS)
    assert all(s["takes_effect"] and s["help"] for s in shown)


def test_every_setting_has_its_own_words_on_when_it_takes_effect():
    assert set(TAKES_EFFECT) == set(SETTINGS)


def test_a_saved_group_changes_its_settings(owner_client, store):
    with save(owner_client, "business", business_name="Lumière Café") as reply:
        assert reply.status_code == 303
        assert reply.headers["Location"].endswith("saved=business#business")
    assert read_settings(store.reader())["business_name"] == "Lumière Café"
    with owner_client.get(reply.headers["Location"]) as page:
        assert "Saved." in page.get_data(True)
        assert 'value="Lumière Café"' in page.get_data(True)


def test_the_business_name_reaches_the_landing_page_at_once(owner_client, store):
    load_people(store)
    code = store.reader().execute("SELECT code FROM links LIMIT 1").fetchone()[0]
    with owner_client.get(f"/r/{code}") as before:
        assert "Lumière Café" not in before.get_data(True)
    with save(owner_client, "business", business_name="Lumière Café") as reply:
        assert reply.status_code == 303
    with owner_client.get(f"/r/{code}") as after:
        assert "Lumière Café" in after.get_data(True)


@pytest.mark.parametrize(
    ("group", "key", "value"),
    [
        ("business", "business_name", ""),
        ("business", "destination_url", "ftp://example.org/"),
        ("business", "public_home", "maybe"),
        ("attribution", "attribution_rule", "middle"),
        ("attribution", "attribution_window_days", "0"),
        ("attribution", "value_decay", "2"),
        ("money-time", "currency", "EURO"),
        ("money-time", "time_zone", "Mars/Olympus_Mons"),
        ("money-time", "time_floor", "yesterday"),
        ("limits", "api_rate_limit", "0 per minute"),
        ("limits", "burst_threshold", "1"),
    ],
)
def test_a_bad_value_is_422_naming_the_field_and_stores_nothing(
    owner_client, store, group, key, value
):
    before = read_settings(store.reader())
    form = group_form(owner_client, group, **{key: value})
    with owner_client.post("/dashboard/settings", data=form) as reply:
        assert reply.status_code == 422
        page = reply.get_data(True)
    assert f'id="{key}-error"' in page
    assert f'id="{key}" name="{key}"' in page
    assert read_settings(store.reader()) == before


def test_a_new_attribution_rule_moves_the_credits_in_the_background(
    owner_client, store
):
    from wom.actions.switching import finish_switch

    load_people(store)
    # Zed, told by Eve, signs up after a later mention from Ann: the last touch
    # is Ann's.
    ingest(
        store,
        [
            {
                "type": "mention",
                "from": "ann",
                "to": "zed",
                "at": "2026-02-01T00:00:00Z",
            },
            {"type": "signup", "customer": "zed", "at": "2026-02-02T00:00:00Z"},
        ],
    )
    assert credit_of(store, "zed") == "eve"
    with save(owner_client, "attribution", attribution_rule="last") as reply:
        assert reply.status_code == 303
    assert read_settings(store.reader())["attribution_rule"] == "last"
    finish_switch(store)
    assert credit_of(store, "zed") == "ann"


def test_the_currency_changes_while_no_purchase_exists(owner_client, store):
    with save(owner_client, "money-time", currency="usd") as reply:
        assert reply.status_code == 303
    assert read_settings(store.reader())["currency"] == "USD"


def test_the_currency_is_refused_once_purchases_exist(owner_client, store):
    load_people(store)
    form = group_form(
        owner_client, "money-time", currency="USD", time_zone="Asia/Tokyo"
    )
    with owner_client.post("/dashboard/settings", data=form) as reply:
        assert reply.status_code == 409
        assert 'id="currency-error"' in reply.get_data(True)
    settings = read_settings(store.reader())
    assert (settings["currency"], settings["time_zone"]) == ("EUR", "UTC")


def test_a_new_time_zone_cuts_the_series_again(app, owner_client, store):
    load_people(store)
    service = app.extensions["wom.analytics"]
    utc = service.spread("day")
    assert utc["time_zone"] == "UTC"
    assert utc["series"][0]["start"] % 86_400 == 0
    with save(owner_client, "money-time", time_zone="Asia/Kolkata") as reply:
        assert reply.status_code == 303
    kolkata = service.spread("day")
    assert kolkata["time_zone"] == "Asia/Kolkata"
    # Midnight in Kolkata is 18:30 UTC the day before (UTC+05:30).
    assert (kolkata["series"][0]["start"] + 5.5 * 3600) % 86_400 == 0


def test_a_form_without_its_csrf_token_is_refused(owner_client, store):
    form = group_form(owner_client, "business", business_name="Sneaky")
    del form["csrf_token"]
    with owner_client.post("/dashboard/settings", data=form) as reply:
        assert reply.status_code == 400
    assert read_settings(store.reader())["business_name"] == "My business"


def test_an_unknown_group_is_400(owner_client):
    form = {"csrf_token": csrf(owner_client), "group": "secrets"}
    with owner_client.post("/dashboard/settings", data=form) as reply:
        assert reply.status_code == 400


def test_settings_change_while_the_server_holds_the_lock(db_path, owner_password_hash):
    from tests.dashboard_people import log_in

    app = create_app(app_config(db_path, HOLD_WRITER_LOCK=True))
    store = app.extensions["wom.store"]
    try:
        assert store.holds_lock
        client = log_in(app, owner_password_hash)
        with save(client, "business", business_name="Held Lock Bakery") as reply:
            assert reply.status_code == 303
        assert read_settings(store.reader())["business_name"] == "Held Lock Bakery"
    finally:
        store.close()


@pytest.fixture
def server(app, db_path):
    """Another process's store holding the lock file, as a running server does."""
    app.extensions["wom.store"].close()
    server = Store(db_path)
    server.hold_lock()
    yield server
    server.close()


@pytest.mark.parametrize(
    "args",
    [
        ["settings", "business_name", "Elsewhere"],
        ["create-token", "cli"],
        ["revoke-token", "cli"],
    ],
)
def test_the_cli_refused_for_the_lock_points_to_the_dashboard(runner, server, args):
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "Another wom process (probably the server) holds" in result.output
    assert "/dashboard/settings" in result.output


# -- API tokens -------------------------------------------------------------------


def make_token(client, name: str = "shop", scope: str = "write"):
    form = {"csrf_token": csrf(client), "name": name, "scope": scope}
    return client.post("/dashboard/settings/tokens", data=form)


def shown_token(page: str) -> str:
    return re.search(r'id="new-token-value" value="([^"]+)"', page)[1]


def test_a_new_token_is_shown_once_and_works(app, owner_client):
    with make_token(owner_client, "shop", "read") as reply:
        assert reply.status_code == 201
        token = shown_token(reply.get_data(True))
    assert ApiClient(app.test_client(), token).get("/customers").status == 200
    [listed] = twin(owner_client)["tokens"]
    assert (listed["name"], listed["scope"], listed["revoked_at"]) == (
        "shop",
        "read",
        None,
    )
    assert "token" not in listed
    with owner_client.get("/dashboard/settings") as again:
        assert token not in again.get_data(True)


def test_the_list_says_when_a_token_was_last_used(app, owner_client):
    with make_token(owner_client) as reply:
        token = shown_token(reply.get_data(True))
    assert twin(owner_client)["tokens"][0]["last_used_at"] is None
    ApiClient(app.test_client(), token).get("/customers")
    assert twin(owner_client)["tokens"][0]["last_used_at"] is not None


@pytest.mark.parametrize(
    ("name", "scope", "status", "field"),
    [
        ("", "write", 422, "name"),
        ("x" * 65, "write", 422, "name"),
        ("ok", "root", 422, "scope"),
    ],
)
def test_a_bad_token_form_says_which_field(owner_client, name, scope, status, field):
    with make_token(owner_client, name, scope) as reply:
        assert reply.status_code == status
        assert f'id="token-{field}-error"' in reply.get_data(True)
    assert twin(owner_client)["tokens"] == []


def test_a_second_token_of_the_same_name_is_409(owner_client):
    make_token(owner_client, "shop").close()
    with make_token(owner_client, "shop") as reply:
        assert reply.status_code == 409
        assert 'id="token-name-error"' in reply.get_data(True)


def test_a_revoked_token_gets_401_from_the_api(app, owner_client):
    with make_token(owner_client) as reply:
        token = shown_token(reply.get_data(True))
    form = {"csrf_token": csrf(owner_client), "name": "shop"}
    with owner_client.post("/dashboard/settings/tokens/revoke", data=form) as reply:
        assert reply.status_code == 303
    assert ApiClient(app.test_client(), token).get("/customers").status == 401
    assert twin(owner_client)["tokens"][0]["revoked_at"] is not None


def test_token_forms_need_their_csrf_token(owner_client):
    with owner_client.post("/dashboard/settings/tokens", data={"name": "x"}) as r:
        assert r.status_code == 400
    with owner_client.post(
        "/dashboard/settings/tokens/revoke", data={"name": "x"}
    ) as r:
        assert r.status_code == 400
    assert twin(owner_client)["tokens"] == []


def test_the_twin_needs_the_owner(client):
    with client.get("/dashboard/settings.json") as reply:
        assert reply.status_code == 401


def test_a_tokens_use_is_noted_at_most_once_a_minute(store):
    from wom import actions
    from wom.actions.tokens import USE_NOTED_EVERY

    actions.create_token(store, "shop", now=0)
    [token_id] = store.reader().execute("SELECT id FROM tokens").fetchone()
    assert actions.note_token_use(store, token_id, now=1_000)
    assert not actions.note_token_use(store, token_id, now=1_000 + USE_NOTED_EVERY - 1)
    assert actions.note_token_use(store, token_id, now=1_000 + USE_NOTED_EVERY)
    used = store.reader().execute("SELECT last_used_at FROM tokens").fetchone()[0]
    assert used == 1_000 + USE_NOTED_EVERY
