"""The CSV tests' files and helpers: one small file of each kind, and a copy of
every kind from one app into another."""

from __future__ import annotations

from pathlib import Path

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


def count(db, sql: str) -> int:
    return db.execute(f"SELECT count(*) FROM {sql}").fetchone()[0]


def imported(runner, path: str, *options: str):
    return runner.invoke(args=["import", path, *options])


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
