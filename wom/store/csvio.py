"""CSV files in and out: customers, referrals, mentions and purchases.

An import goes through the same checks and the same append-and-derive path as the
API, in one transaction: a file with a bad row stores nothing, and every problem is
reported with its line number. Rows without an ``event_id`` get one made of the
file's digest and the line, so importing the same file twice adds nothing.

An export puts a quote before any text cell a spreadsheet would run as a formula
(OWASP's advice on CSV injection), and an import takes that quote off again.

Sign-ups through a referral link leave as referrals with their link's code (and
its channel): an import gives the referrer that link, if the database has none of
that code, and records the sign-up through it, so the credit is a link's again.
Clicks, visitor cookies and IP hashes never leave: they are device evidence, and a
fresh database has its own IP key anyway.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TextIO

import msgspec
import orjson
from sqlite_utils import Database

from ..contract import check_objects, currency_exponent, now_micros
from .connection import Store
from .csv_links import claim_links, link_claims
from .csv_text import defused, line_problem, records, unquoted
from .derive import derive_batch
from .errors import InvalidInput
from .ingest import append_events, upsert_identities
from .settings import event_rules, read_settings

__all__ = [
    "COLUMNS",
    "REQUIRED",
    "Imported",
    "detect_kind",
    "export_csv",
    "import_csv",
]

COLUMNS = {
    "customers": ("id", "name", "email", "acquired_at"),
    "referrals": ("from", "to", "at", "channel", "event_id", "link"),
    "mentions": ("type", "from", "to", "at", "channel", "event_id"),
    "purchases": ("customer", "value", "at", "currency", "event_id"),
}
REQUIRED = {
    "customers": ("id",),
    "referrals": ("from", "to", "at"),
    "mentions": ("from", "to", "at"),
    "purchases": ("customer", "value", "at"),
}
SOURCE = "csv"
_TOLD = ("mention", "heard_from")
CHUNK = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Imported:
    """What an import did."""

    kind: str
    rows: int = 0
    accepted: int = 0
    replayed: int = 0


def detect_kind(header: Iterable[str]) -> str:
    """The kind of file a header row names; InvalidInput when it cannot tell."""
    columns = set(header)
    if "id" in columns:
        return "customers"
    if "customer" in columns:
        return "purchases"
    if "type" in columns and {"from", "to"} <= columns:
        return "mentions"
    if {"from", "to"} <= columns:
        raise InvalidInput(
            [
                line_problem(
                    1,
                    "header",
                    "from and to fit referrals and mentions alike; "
                    "say --kind referrals or --kind mentions",
                )
            ]
        )
    raise InvalidInput(
        [
            line_problem(
                1,
                "header",
                "give a header row: id,name,email,acquired_at (customers), "
                "from,to,at (referrals or mentions) or customer,value,at (purchases)",
            )
        ]
    )


def _rows(text: str, kind: str | None) -> tuple[str, list[tuple[int, dict]]]:
    found = records(text)
    header = [name.strip() for name in next(found, (1, []))[1]]
    kind = kind or detect_kind(header)
    problems = [
        line_problem(1, name or "(empty)", f"not a column of a {kind} file; remove it")
        for name in header
        if name not in COLUMNS[kind]
    ] + [
        line_problem(1, name, "a required column is missing")
        for name in REQUIRED[kind]
        if name not in header
    ]
    if problems:
        raise InvalidInput(problems)
    rows = []
    try:
        for start, values in found:
            if (row := _row(kind, header, start, values, problems)) is not None:
                rows.append((start, row))
    except InvalidInput as exc:  # the reader stopped; what it found before counts
        raise InvalidInput(problems + exc.errors) from None
    if problems:
        raise InvalidInput(problems)
    return kind, rows


def _row(
    kind: str, header: list, start: int, values: list, problems: list
) -> dict | None:
    """A record's non-empty cells by column, or None (and its problem noted)."""
    if not any(value.strip() for value in values):
        return None
    if len(values) != len(header):
        problems.append(
            line_problem(start, "row", f"give {len(header)} cells, like the header")
        )
        return None
    found = dict(zip(header, values, strict=True))
    told = found.get("type", "").strip() or "mention"
    if kind == "mentions" and told not in _TOLD:
        problems.append(line_problem(start, "type", "give mention or heard_from"))
        return None
    return {
        name: unquoted(value.strip()) for name, value in found.items() if value.strip()
    }


_JSON_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")


def _number(text: str):
    """A cell as the JSON number it reads as, digit for digit (never a float)."""
    if _JSON_NUMBER.fullmatch(text):
        return msgspec.Raw(text.encode())
    return text  # not a number: the contract names it


def _event(kind: str, row: dict, default_id: str) -> dict:
    if kind == "customers":
        event = {"type": "signup", "customer": row["id"], "at": row["acquired_at"]}
        event |= {key: row[key] for key in ("name", "email") if key in row}
    elif kind == "purchases":
        event = {"type": "purchase", **row, "value": _number(row["value"])}
    elif "link" in row:
        # A sign-up through the referrer's link: the link names the referrer.
        event = {"type": "signup", "customer": row["to"], "link": row["link"]}
        event |= {key: row[key] for key in ("at", "event_id") if key in row}
    else:
        event = {"type": "referral" if kind == "referrals" else "mention"} | row
    # A row names its file and line unless it has an id of its own: the same
    # file imported twice adds nothing the second time.
    event.setdefault("event_id", default_id)
    return event


def import_csv(
    store: Store,
    text: str,
    *,
    kind: str | None = None,
    progress: Callable[[int], None] | None = None,
    webhooks: bool = False,
) -> Imported:
    """Import one CSV file's text, all or nothing; InvalidInput names bad lines.

    An import sends no webhooks unless ``webhooks`` asks for them."""
    kind, rows = _rows(text, kind)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    now = now_micros()
    rules = event_rules(store.reader(), now)
    dated, undated = [], []
    for line, row in rows:
        if kind == "customers" and "acquired_at" not in row:
            undated.append((line, _profile(row, now)))
        else:
            dated.append((line, _event(kind, row, f"csv:{digest}:{line}")))
    # One check for both, events first, so an index maps to the line of its row.
    lines = [line for line, _ in dated + undated]
    renamed = {"customer": "id", "at": "acquired_at"} if kind == "customers" else {}
    claims = link_claims(rows, rules) if kind == "referrals" else []
    if claims:
        renamed = {"customer": "to"}
    try:
        checked = check_objects([event for _, event in dated + undated], rules)
    except InvalidInput as exc:
        raise _at_lines(exc, lines, renamed) from None
    events, profiles = checked[: len(dated)], checked[len(dated) :]
    imported = Imported(kind, rows=len(rows))
    try:
        with store.write() as db:
            db.changes.quiet = not webhooks
            claim_links(db, claims, now)
            for start in range(0, len(events), CHUNK):
                chunk = events[start : start + CHUNK]
                result = append_events(db, chunk, source=SOURCE, now=now)
                imported.accepted += result.accepted
                imported.replayed += result.replayed
                if progress:
                    progress(len(chunk))
            if profiles:
                _keep_profiles(db, profiles, now)
                if progress:
                    progress(len(profiles))
    except InvalidInput as exc:
        raise _at_lines(exc, lines, renamed) from None
    return imported


def _profile(row: dict, now: int) -> dict:
    """A customer row without a time, as a sign-up now (kept as a profile only)."""
    event = {"type": "signup", "customer": row["id"], "at": _iso(now)}
    return event | {key: row[key] for key in ("name", "email") if key in row}


def _at_lines(exc: InvalidInput, lines: list[int], renamed: dict) -> InvalidInput:
    found = sorted(
        (
            (lines[e["index"]] if e.get("index") is not None else None, e)
            for e in exc.errors
        ),
        key=lambda pair: pair[0] or 0,
    )
    return InvalidInput(
        [
            line_problem(line, renamed.get(e["field"], e["field"]), e["message"])
            for line, e in found
        ]
    )


def _keep_profiles(db: Database, profiles, now: int) -> None:
    """People without a sign-up time: kept with their name and email."""
    db.conn.executemany(
        "INSERT OR IGNORE INTO people(external_id, created_at) VALUES (?, ?)",
        [(p.listener, now) for p in profiles],
    )
    ids = dict(
        db.execute(
            "SELECT external_id, id FROM people WHERE external_id IN "
            "(SELECT value FROM json_each(?))",
            [orjson.dumps([p.listener for p in profiles])],
        ).fetchall()
    )
    changed = upsert_identities(
        db, [(ids[p.listener], p.name, p.email) for p in profiles]
    )
    last = db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    derive_batch(db, last + 1, last, identities=changed)
    db.changes.people |= set(ids.values())


def _iso(micros: int | None) -> str:
    if micros is None:
        return ""
    return (_EPOCH + timedelta(microseconds=micros)).isoformat().replace("+00:00", "Z")


_EXPORTS = {
    "customers": """
        SELECT p.external_id, i.name, i.email, p.acquired_at
        FROM people p LEFT JOIN identities i ON i.person_id = p.id ORDER BY p.id
    """,
    # Imported referrals, and sign-ups through a link (its talker is the owner).
    "referrals": """
        SELECT t.external_id, l.external_id, e.at, e.channel, e.event_id, NULL,
               e.seq
        FROM events e JOIN people t ON t.id = e.talker_id
        JOIN people l ON l.id = e.listener_id
        WHERE e.type = 'referral'
        UNION ALL
        SELECT t.external_id, l.external_id, e.at, k.channel, e.event_id, k.code,
               e.seq
        FROM events e JOIN people t ON t.id = e.talker_id
        JOIN people l ON l.id = e.listener_id JOIN links k ON k.id = e.link_id
        WHERE e.type = 'signup'
        ORDER BY 7
    """,
    "mentions": """
        SELECT e.type, t.external_id, l.external_id, e.at, e.channel, e.event_id
        FROM events e JOIN people t ON t.id = e.talker_id
        JOIN people l ON l.id = e.listener_id
        WHERE e.type IN ('mention', 'heard_from') ORDER BY e.seq
    """,
    "purchases": """
        SELECT p.external_id, e.value, e.at, e.currency, e.event_id
        FROM events e JOIN people p ON p.id = e.listener_id
        WHERE e.type = 'purchase' ORDER BY e.seq
    """,
}


def export_rows(db: Database, kind: str) -> Iterator[list]:
    """The rows of a ``kind`` file, header first, times in ISO 8601, values in
    major units written out in full (12.30, never 12.3 or a float's noise)."""
    columns = COLUMNS[kind]
    yield list(columns)
    at = columns.index("acquired_at" if kind == "customers" else "at")
    exponent = currency_exponent(read_settings(db)["currency"])
    for row in db.execute(_EXPORTS[kind]):
        # Past the columns, what the query orders by.
        row = ["" if value is None else value for value in row[: len(columns)]]
        row[at] = _iso(row[at] or None)
        if kind == "purchases" and row[1] != "":
            row[1] = f"{Decimal(row[1]).scaleb(-exponent):f}"
        yield row


def export_csv(db: Database, kind: str, out: TextIO) -> int:
    """Write a ``kind`` file that ``import_csv`` reads back; return its rows."""
    writer = csv.writer(out, lineterminator="\n")
    written = 0
    for row in export_rows(db, kind):
        writer.writerow([defused(cell) for cell in row])
        written += 1
    return written - 1
