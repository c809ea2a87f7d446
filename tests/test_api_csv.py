"""CSV import and export on the command line: the API's checks and ingest path,
line numbers for bad rows, nothing stored from a failed file, and a round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import IP_KEY, SECRET
from wom import create_app

CUSTOMERS = """id,name,email,acquired_at
ann,Ann Åberg,ann@example.org,2026-01-01T00:00:00Z
bob,Bob,,2026-01-03T00:00:00Z
cat,"Cat, the prospect",cat@example.org,
"""
REFERRALS = """from,to,at,channel
ann,dan,2026-01-04T00:00:00Z,podcast
dan,eve,2026-01-05T00:00:00Z,
"""
MENTIONS = """type,from,to,at
mention,ann,bob,2026-01-02T00:00:00Z
heard_from,bob,fay,2026-01-06T00:00:00Z
"""
PURCHASES = """customer,value,at,currency
bob,19.90,2026-01-07T00:00:00Z,EUR
eve,5,2026-01-08T00:00:00Z,
"""


@pytest.fixture
def write(tmp_path):
    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def count(db, sql: str) -> int:
    return db.execute(f"SELECT count(*) FROM {sql}").fetchone()[0]


def imported(runner, path: str, *options: str):
    return runner.invoke(args=["import", path, *options])


@pytest.fixture
def loaded(runner, write):
    for name, text, options in [
        ("customers.csv", CUSTOMERS, ()),
        ("mentions.csv", MENTIONS, ()),
        ("referrals.csv", REFERRALS, ("--kind", "referrals")),
        ("purchases.csv", PURCHASES, ()),
    ]:
        result = imported(runner, write(name, text), *options)
        assert result.exit_code == 0, result.output
    return runner


def test_customers_with_a_time_sign_up_and_the_others_are_kept(runner, write, db):
    result = imported(runner, write("customers.csv", CUSTOMERS))
    assert result.exit_code == 0, result.output
    assert "Imported 3 customers rows: 2 events stored" in result.stdout
    people = dict(db.execute("SELECT external_id, status FROM people"))
    assert people == {"ann": "customer", "bob": "customer", "cat": "prospect"}
    names = dict(
        db.execute(
            "SELECT p.external_id, i.name FROM identities i "
            "JOIN people p ON p.id = i.person_id"
        )
    )
    assert names["ann"] == "Ann Åberg" and names["cat"] == "Cat, the prospect"


def test_every_kind_goes_through_ingest(loaded, db):
    credited = dict(
        db.execute(
            "SELECT c.external_id, r.external_id FROM credits k "
            "JOIN people c ON c.id = k.customer_id "
            "JOIN people r ON r.id = k.referrer_id"
        )
    )
    assert credited == {"bob": "ann", "dan": "ann", "eve": "dan"}
    assert count(db, "events WHERE type = 'heard_from'") == 1
    assert db.execute("SELECT sum(value) FROM purchases").fetchone()[0] == 24.9


def test_the_same_file_twice_adds_nothing(runner, write, db):
    path = write("referrals.csv", REFERRALS)
    imported(runner, path, "--kind", "referrals")
    again = imported(runner, path, "--kind", "referrals")
    assert "0 events stored, 2 seen before" in again.stdout
    assert count(db, "events") == 2


def test_bad_rows_are_reported_by_line_and_nothing_is_stored(runner, write, db):
    text = PURCHASES + "ann,-3,2026-01-09T00:00:00Z,\nbob,7,next tuesday,USD\n"
    result = imported(runner, write("purchases.csv", text))
    assert result.exit_code == 1
    assert "line 4, value: give a number of 0 or more" in result.output
    assert "line 5, at:" in result.output
    assert "line 5, currency:" in result.output
    assert count(db, "events") == 0 and count(db, "people") == 0


def test_a_bad_customer_row_names_the_column(runner, write, db):
    text = CUSTOMERS + "zed,Zed,not-an-email,2026-01-01T00:00:00Z\n"
    result = imported(runner, write("customers.csv", text))
    assert result.exit_code == 1
    assert "line 5, email:" in result.output
    assert count(db, "people") == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("from,to,at\nann,bob,2026-01-01T00:00:00Z\n", "--kind referrals"),
        ("who,whom\nann,bob\n", "give a header row"),
        ("id,phone\nann,123\n", "line 1, phone: not a column"),
        ("customer,at\nann,2026-01-01T00:00:00Z\n", "line 1, value: a required column"),
        ("type,from,to,at\nreferral,a,b,2026-01-01T00:00:00Z\n", "line 2, type"),
        ("id,name\nann\n", "line 2, row: give 2 cells"),
    ],
)
def test_a_file_that_cannot_be_read(runner, write, db, text, message):
    result = imported(runner, write("odd.csv", text))
    assert result.exit_code == 1
    assert message in result.output
    assert count(db, "events") == 0


@pytest.mark.parametrize("kind", ["customers", "referrals", "mentions", "purchases"])
def test_export_writes_what_import_reads(loaded, kind):
    result = loaded.invoke(args=["export", kind])
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0]
    assert header.split(",")[0] in {"id", "from", "type", "customer"}


def test_a_round_trip_gives_the_same_people_and_credits(loaded, tmp_path, db):
    folder = tmp_path / "exported"
    folder.mkdir()
    for kind in ("customers", "mentions", "referrals", "purchases"):
        out = folder / f"{kind}.csv"
        result = loaded.invoke(args=["export", kind, "-o", str(out)])
        assert result.exit_code == 0, result.output
    copy = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "copy.db"),
            "SECRET_KEY": SECRET,
            "IP_HMAC_KEY": IP_KEY,
            "WOM_ANALYTICS_BACKGROUND": False,
        }
    )
    runner = copy.test_cli_runner()
    try:
        for kind in ("customers", "mentions", "referrals", "purchases"):
            path = str(folder / f"{kind}.csv")
            result = runner.invoke(args=["import", path, "--kind", kind])
            assert result.exit_code == 0, result.output
        assert snapshot(copy.extensions["wom.store"].reader()) == snapshot(db)
    finally:
        copy.extensions["wom.store"].close()


def snapshot(db) -> dict:
    return {
        "people": db.execute(
            "SELECT p.external_id, p.status, p.acquired_at, p.acquired_via, i.name, "
            "i.email FROM people p LEFT JOIN identities i ON i.person_id = p.id "
            "ORDER BY 1"
        ).fetchall(),
        "credits": db.execute(
            "SELECT c.external_id, r.external_id, k.kind, k.status FROM credits k "
            "JOIN people c ON c.id = k.customer_id "
            "JOIN people r ON r.id = k.referrer_id ORDER BY 1"
        ).fetchall(),
        "value": db.execute("SELECT sum(value) FROM purchases").fetchone()[0],
    }


def test_import_refuses_while_the_server_holds_the_lock(app, write, db_path: Path):
    from wom.store import Store

    server = Store(db_path)
    app.extensions["wom.store"].close()
    server.hold_lock()
    try:
        result = app.test_cli_runner().invoke(
            args=["import", write("customers.csv", CUSTOMERS)]
        )
        assert result.exit_code == 1
        assert "Stop it first" in result.output
    finally:
        server.close()
