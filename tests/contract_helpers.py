"""What the contract's tests share: row counts, the fields a 422 names, and a
setting written straight to the store."""

from __future__ import annotations

from wom.store.settings import write_setting

__all__ = ["count", "fields_named", "set_setting"]


def count(db, table: str = "events") -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def fields_named(reply) -> set[tuple]:
    return {(e["index"], e["field"]) for e in reply.json["errors"]}


def set_setting(app, key: str, value) -> None:
    with app.extensions["wom.store"].write() as db:
        write_setting(db, key, value)
