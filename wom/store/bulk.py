"""The bulk path: load a large, already-consistent history (the demo) in one go.

It appends through the same mapping as ``ingest`` but derives once at the end with
``rebuild``, which computes exactly what incremental ingest would have.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..contract import CheckedEvent, currency_exponent, minor_units, now_micros
from ..contract.times import to_micros
from ..emails import normalise_email
from ..names import normalise_name
from ..privacy import hmac_ip, user_agent_class
from .connection import Store
from .derive import rebuild
from .errors import InvalidInput
from .ingest import append_events
from .settings import read_settings

__all__ = ["load_history"]

CHUNK = 50_000


def _checked(index: int, raw: dict, ip_key: bytes, exponent: int) -> CheckedEvent:
    kind = raw["type"]
    ip = raw.get("ip")
    value = raw.get("value")
    event = CheckedEvent(
        index=index,
        type=kind,
        at=to_micros(raw["at"]),
        talker=raw.get("from"),
        listener=raw.get("to") or raw.get("customer"),
        link=raw.get("link"),
        visitor=raw.get("visitor"),
        # Major units as the API takes them (a Decimal, or a float's shortest
        # text), kept as minor units.
        value=None if value is None else minor_units(str(value), exponent),
        currency=raw.get("currency"),
        channel=raw.get("channel"),
        event_id=raw.get("event_id"),
        ip_hmac=hmac_ip(ip, ip_key) if ip else None,
    )
    if kind == "click":
        event.ua_class = user_agent_class(raw.get("user_agent"))
    return event


def load_history(
    store: Store,
    people: Sequence[dict],
    events: Sequence[dict],
    *,
    ip_key: bytes,
    source: str = "demo",
    progress: Callable[[int], None] | None = None,
    webhooks: bool = False,
) -> None:
    """Load people (with names, emails and link codes) and their events, then derive.

    ``people`` rows: ``external_id``, ``name``, ``email``, ``link_code``. ``events``
    are in the API's shape with aware datetimes, plus an optional plain ``ip``
    (hashed here). Refuses a database that already has events. It sends no
    webhooks unless ``webhooks`` asks for them (then every customer, credit and
    flag of the history is new to the subscribers).
    """
    now = now_micros()
    with store.write() as db:
        exponent = currency_exponent(read_settings(db)["currency"])
        if db.execute("SELECT 1 FROM events LIMIT 1").fetchone():
            raise InvalidInput.field(
                "database", "already holds events; load history into a new one"
            )
        db.conn.executemany(
            "INSERT INTO people(external_id, created_at) VALUES (?, ?)",
            ((p["external_id"], now) for p in people),
        )
        ids = dict(db.execute("SELECT external_id, id FROM people").fetchall())
        db.conn.executemany(
            "INSERT INTO identities(person_id, name, email, email_normalised, "
            "name_normalised) VALUES (?, ?, ?, ?, ?)",
            (
                (
                    ids[p["external_id"]],
                    p.get("name"),
                    p.get("email"),
                    normalise_email(p["email"]) if p.get("email") else None,
                    normalise_name(p["name"]) if p.get("name") else None,
                )
                for p in people
                if p.get("name") or p.get("email")
            ),
        )
        db.conn.executemany(
            "INSERT INTO links(code, owner_id, created_at) VALUES (?, ?, ?)",
            (
                (p["link_code"], ids[p["external_id"]], now)
                for p in people
                if p.get("link_code")
            ),
        )
        # Appending to a log with its secondary indexes in place costs a random
        # B-tree insert per index per row; building them afterwards is one sort.
        indexes = db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'events' AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in indexes:
            db.execute(f"DROP INDEX {name}")
        for start in range(0, len(events), CHUNK):
            chunk = [
                _checked(start + i, raw, ip_key, exponent)
                for i, raw in enumerate(events[start : start + CHUNK])
            ]
            append_events(db, chunk, source=source, now=now, derive=False)
            if progress:
                progress(len(chunk))
        for _, sql in indexes:
            db.execute(sql)
        rebuild(db, quiet=not webhooks)
