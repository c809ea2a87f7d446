"""The money migration (0009): purchase values become integer minor units.
Registered on the store's one list of migrations (``schema.migrations``) between
0008 and 0010."""

from __future__ import annotations

import json

from sqlite_utils import Database

from .schema import migrations

__all__: list[str] = []


@migrations(name="0009_money_minor_units")
def _money_minor_units(db: Database) -> None:
    from ..contract import MAX_PURCHASE, currency_exponent

    # Money was a REAL: 0.29 was a float near it, and 1e308 twice summed to
    # Infinity. It is now whole minor units of the business's currency (cents for
    # EUR, yen for JPY), INTEGER, so sums are exact. A stored value with more
    # decimals than the currency has rounds half away from zero; one past the
    # largest purchase the contract takes (MAX_PURCHASE) is cut down to it.
    row = db.execute("SELECT value FROM settings WHERE key = 'currency'").fetchone()
    scale = 10 ** currency_exponent(json.loads(row[0]) if row else "EUR")
    minor = f"min(CAST(round(value * {scale}) AS INTEGER), {MAX_PURCHASE})"
    for table in ("events", "purchases"):
        definition, columns, extras = _definition(db, table)
        db.execute(
            definition.replace(f"CREATE TABLE {table} (", "CREATE TABLE money_new (", 1)
            .replace("value REAL", "value INTEGER", 1)
            .replace(f'CREATE TABLE "{table}" (', "CREATE TABLE money_new (", 1)
        )
        converted = ", ".join(
            f"CASE WHEN value IS NULL THEN NULL ELSE {minor} END" if c == "value" else c
            for c in columns
        )
        db.execute(
            f"INSERT INTO money_new({', '.join(columns)}) "
            f"SELECT {converted} FROM {table} ORDER BY seq"
        )
        db.execute(f"DROP TABLE {table}")
        db.execute(f"ALTER TABLE money_new RENAME TO {table}")
        for sql in extras:  # its indexes and triggers, as they were
            db.execute(sql)


def _definition(db: Database, table: str) -> tuple[str, list[str], list[str]]:
    """A table's CREATE statement, its columns, and its indexes' and triggers'."""
    definition = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
    ).fetchone()[0]
    columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
    extras = [
        sql
        for (sql,) in db.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? "
            "AND type IN ('index', 'trigger') AND sql IS NOT NULL",
            [table],
        )
    ]
    return definition, columns, extras
