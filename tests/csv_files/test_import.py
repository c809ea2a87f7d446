"""CSV import on the command line: the API's checks and ingest path, line numbers for
bad rows, and nothing stored from a failed file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.csv_files.helpers import (
    CUSTOMERS,
    MENTIONS,
    PURCHASES,
    REFERRALS,
    count,
    credit_pairs,
    imported,
)


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
