"""Read-only questions to the store. Every SELECT the web layer needs lives here."""

from __future__ import annotations

from collections.abc import Iterator

from sqlite_utils import Database

from .errors import NotFound

__all__ = [
    "overview",
    "people_rows",
    "touch_rows",
    "credit_rows",
    "click_times",
    "person",
    "person_by_link",
    "busiest_link",
    "derived_snapshot",
    "credit_evidence",
]

_US = 1_000_000.0


def overview(db: Database) -> dict:
    """Headline counts for the home page and the API."""
    row = db.execute(
        """
        SELECT
          (SELECT count(*) FROM people WHERE status = 'customer'),
          (SELECT count(*) FROM people WHERE status = 'prospect'),
          (SELECT count(*) FROM people WHERE acquired_via IN ('referred', 'mention')),
          (SELECT count(*) FROM touches),
          (SELECT coalesce(sum(clicks), 0) FROM links),
          (SELECT coalesce(sum(bot_clicks), 0) FROM links),
          (SELECT count(*) FROM purchases),
          (SELECT coalesce(sum(value), 0) FROM purchases),
          (SELECT count(*) FROM events),
          (SELECT count(*) FROM flags)
        """
    ).fetchone()
    (
        customers,
        prospects,
        by_wom,
        edges,
        clicks,
        bots,
        purchases,
        value,
        events,
        flags,
    ) = row
    return {
        "customers": customers,
        "prospects": prospects,
        "customers_by_word_of_mouth": by_wom,
        "wom_share": by_wom / customers if customers else None,
        "conversations": edges,
        "human_clicks": clicks,
        "bot_clicks": bots,
        "purchases": purchases,
        "purchase_value": round(value, 2),
        "events": events,
        "open_flags": flags,
    }


def _keys(db: Database, name: str, keys, columns: str) -> str:
    """Load ``keys`` into a temp table ``name``; return the join to filter by it."""
    db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})")
    db.execute(f"DELETE FROM {name}")
    rows = [key if isinstance(key, tuple) else (key,) for key in keys]
    if not rows:
        return name
    width = len(rows[0])
    db.conn.executemany(
        f"INSERT OR IGNORE INTO {name} VALUES ({', '.join('?' * width)})", rows
    )
    return name


def people_rows(db: Database, ids=None) -> Iterator[dict]:
    """People with the graph's node attributes (times in POSIX seconds).

    Every person, or only those in ``ids``.
    """
    where = ""
    if ids is not None:
        _keys(db, "wanted_people", ids, "id INTEGER PRIMARY KEY")
        where = "WHERE p.id IN (SELECT id FROM wanted_people)"
    cursor = db.execute(
        f"""
        SELECT p.id, p.external_id, p.status, p.acquired_at, p.acquired_via,
               coalesce((SELECT sum(value) FROM purchases u
                         WHERE u.person_id = p.id), 0.0)
        FROM people p {where}
        """
    )
    for pid, external_id, status, acquired_at, via, value in cursor:
        yield {
            "id": pid,
            "external_id": external_id,
            "status": status,
            "acquired_at": acquired_at / _US if acquired_at is not None else None,
            "acquired_via": via,
            "value": value,
        }


def touch_rows(db: Database, pairs=None) -> Iterator[dict]:
    """Talker -> listener pairs (times in POSIX seconds): all, or those in ``pairs``."""
    where = ""
    if pairs is not None:
        _keys(
            db,
            "wanted_pairs",
            pairs,
            "talker INTEGER, listener INTEGER, PRIMARY KEY (talker, listener)",
        )
        where = (
            "WHERE (talker_id, listener_id) IN "
            "(SELECT talker, listener FROM wanted_pairs)"
        )
    cursor = db.execute(
        "SELECT talker_id, listener_id, kinds, touches, first_at, last_at, converted "
        f"FROM touches {where}"
    )
    for talker, listener, kinds, count, first, last, converted in cursor:
        yield {
            "talker_id": talker,
            "listener_id": listener,
            "kinds": kinds,
            "touches": count,
            "first_at": first / _US,
            "last_at": last / _US,
            "converted": converted,
        }


def credit_rows(db: Database, *, held: bool = False, customers=None) -> Iterator[dict]:
    """Credited referrers (held ones too when ``held``); all, or of ``customers``."""
    statuses = "('credited', 'held')" if held else "('credited')"
    where = ""
    if customers is not None:
        _keys(db, "wanted_customers", customers, "id INTEGER PRIMARY KEY")
        where = "AND customer_id IN (SELECT id FROM wanted_customers)"
    cursor = db.execute(
        f"SELECT customer_id, referrer_id, kind, at, status FROM credits "
        f"WHERE status IN {statuses} {where}"
    )
    for customer, referrer, kind, at, status in cursor:
        yield {
            "customer_id": customer,
            "referrer_id": referrer,
            "kind": kind,
            "at": at / _US,
            "status": status,
        }


def click_times(db: Database) -> list[float]:
    """When every human click happened (POSIX seconds), for the spread series."""
    return [
        row[0] / _US
        for row in db.execute(
            "SELECT at FROM events WHERE type = 'click' AND ua_class = 'human'"
        )
    ]


def person(db: Database, external_id: str) -> dict:
    """One person by external id, with identity and link; NotFound if unknown."""
    row = db.execute(
        """
        SELECT p.id, p.external_id, p.status, p.acquired_at, p.acquired_via,
               i.name, i.email
        FROM people p LEFT JOIN identities i ON i.person_id = p.id
        WHERE p.external_id = ?
        """,
        [external_id],
    ).fetchone()
    if row is None:
        raise NotFound(f"No customer with id {external_id!r}.")
    keys = (
        "id",
        "external_id",
        "status",
        "acquired_at",
        "acquired_via",
        "name",
        "email",
    )
    found = dict(zip(keys, row, strict=True))
    found["links"] = [
        dict(zip(("code", "channel", "clicks", "signups"), link, strict=True))
        for link in db.execute(
            "SELECT code, channel, clicks, signups FROM links WHERE owner_id = ? "
            "ORDER BY id",
            [found["id"]],
        )
    ]
    return found


def person_by_link(db: Database, code: str) -> dict:
    """The owner of an enabled link; NotFound for an unknown or disabled code."""
    row = db.execute(
        "SELECT p.external_id FROM links l JOIN people p ON p.id = l.owner_id "
        "WHERE l.code = ? AND l.disabled = 0",
        [code],
    ).fetchone()
    if row is None:
        raise NotFound(f"No referral link {code!r}.")
    return person(db, row[0])


def busiest_link(db: Database) -> str | None:
    """The code of the link with the most sign-ups (the home page's example)."""
    row = db.execute(
        "SELECT code FROM links WHERE disabled = 0 ORDER BY signups DESC, clicks DESC, "
        "id LIMIT 1"
    ).fetchone()
    return row[0] if row else None


def derived_snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every derived row, sorted: what a rebuild must reproduce exactly."""
    from .schema import DERIVED_TABLES

    snapshot = {}
    for table, columns in DERIVED_TABLES.items():
        where = " WHERE kind IN ('self_referral', 'held')" if table == "flags" else ""
        snapshot[table] = [
            tuple(row)
            for row in db.execute(
                f"SELECT {', '.join(columns)} FROM {table}{where} "
                f"ORDER BY {', '.join(columns)}"
            )
        ]
    return snapshot


def credit_evidence(db: Database) -> Iterator[dict]:
    """Every sign-up through a referrer's link, credited or not, with its device
    facts: what the burst and shared-device checks look at."""
    cursor = db.execute(
        "SELECT listener_id, talker_id, at, ip_hmac, visitor FROM events "
        "WHERE type = 'signup' AND talker_id IS NOT NULL"
    )
    for customer, referrer, at, ip_hmac, visitor in cursor:
        yield {
            "customer_id": customer,
            "referrer_id": referrer,
            "at": at / _US,
            "ip_hmac": ip_hmac,
            "visitor": visitor,
        }
