"""Money in the contract: integer minor units of the business's currency (ISO
4217 exponents), parsed from the number's text, capped so that sums fit in 64 bits,
and the migration that turned stored REAL values into them."""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

from tests.contract_helpers import count, fields_named, set_setting
from wom import actions
from wom.contract import MAX_PURCHASE
from wom.store import Conflict, Store
from wom.store.schema import migrations

AT = "2026-01-05T10:00:00Z"


def test_a_price_is_kept_in_cents_exactly(api, db):
    api.events({"type": "purchase", "customer": "ann", "value": 0.29, "at": AT})
    assert db.execute("SELECT value, typeof(value) FROM purchases").fetchone() == (
        29,
        "integer",
    )
    assert api.get("/customers/ann").json["value"] == 0.29


@pytest.mark.parametrize(
    ("currency", "value", "minor"),
    [
        ("EUR", 12.3, 1230),
        ("JPY", 1500, 1500),
        ("KWD", 1.234, 1234),
        ("EUR", 1e2, 10_000),
    ],
)
def test_minor_units_follow_the_currencys_iso_4217_exponent(
    app, api, db, currency, value, minor
):
    set_setting(app, "currency", currency)
    body = {"type": "purchase", "customer": "ann", "value": value, "at": AT}
    assert api.events(body).status == 200
    assert db.execute("SELECT value FROM purchases").fetchone()[0] == minor
    assert api.get("/customers/ann").json["value"] == value


@pytest.mark.parametrize(
    ("currency", "value"),
    [
        ("EUR", 0.001),
        ("EUR", 12.345),
        ("JPY", 15.5),
        ("KWD", 1.2345),
        ("EUR", 1e308),
        ("EUR", -1),
        ("EUR", "9"),
        ("EUR", True),
        ("EUR", None),
    ],
)
def test_a_value_the_currency_cannot_hold_is_422(app, api, db, currency, value):
    set_setting(app, "currency", currency)
    reply = api.events(
        {"type": "purchase", "customer": "ann", "value": value, "at": AT}
    )
    assert reply.status == 422
    assert fields_named(reply) == {(0, "value")}
    assert count(db) == 0


def test_one_purchase_is_capped_so_that_sums_fit_in_64_bits(api, db):
    most = MAX_PURCHASE / 100
    purchase = {"type": "purchase", "customer": "ann", "at": AT}
    assert (
        api.events(purchase | {"value": most}, purchase | {"value": most}).status == 200
    )
    over = api.events(purchase | {"value": most + 0.01})
    assert (over.status, fields_named(over)) == (422, {(0, "value")})
    total = db.execute("SELECT sum(value) FROM purchases").fetchone()[0]
    assert total == 2 * MAX_PURCHASE and 922_000_000 * MAX_PURCHASE < 2**63
    assert api.get("/customers/ann").json["value"] == 2 * most


def test_the_currency_cannot_change_once_purchases_exist(app, api):
    store = app.extensions["wom.store"]
    actions.change_setting(store, "currency", "JPY")  # nothing bought yet: allowed
    api.events({"type": "purchase", "customer": "ann", "value": 500, "at": AT})
    with pytest.raises(Conflict, match="Purchases are kept in JPY"):
        actions.change_setting(store, "currency", "EUR")
    assert actions.change_setting(store, "currency", "jpy") == "JPY"  # no change


@pytest.mark.parametrize("code", ["XAU", "XXX", "ABC"])
def test_a_currency_without_minor_units_or_unknown_is_refused(runner, code):
    result = runner.invoke(args=["settings", "currency", code])
    assert result.exit_code != 0
    assert "currency" in result.output


def test_the_migration_turns_stored_money_into_minor_units(tmp_path):
    db = Database(tmp_path / "old.db")
    migrations.apply(db, stop_before="0009_money_minor_units")
    db.execute("INSERT INTO settings(key, value) VALUES ('currency', '\"JPY\"')")
    db.execute("INSERT INTO people(external_id, created_at) VALUES ('ann', 0)")
    for value in (1500.0, 1e308):
        db.execute(
            "INSERT INTO events(type, at, listener_id, value, currency, source, "
            "received_at) VALUES ('purchase', 1, 1, ?, 'JPY', 'api', 1)",
            [value],
        )
    db.execute(
        "INSERT INTO purchases SELECT seq, listener_id, value, currency, at FROM events"
    )
    db.conn.commit()
    store = Store(tmp_path / "old.db")
    assert store.migrate()[0] == "0009_money_minor_units"
    found = (
        store.reader().execute("SELECT value, typeof(value) FROM purchases").fetchall()
    )
    assert found == [(1500, "integer"), (MAX_PURCHASE, "integer")]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.write() as w:
        w.execute("DELETE FROM events")
    store.close()
