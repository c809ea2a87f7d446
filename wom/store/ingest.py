"""The one road for events into the log: check, resolve, append, derive.

The API, the landing pages, CSV imports and the demo all call ``ingest`` (or
``ingest_checked`` with events already checked). A batch is all or nothing: any
bad event raises ``InvalidInput`` naming the index and field of every problem, and
nothing is written. What an event must look like is the contract's
(``wom.contract``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import orjson
from sqlite_utils import Database

from ..contract import CheckedEvent, check_objects, now_micros
from ..emails import normalise_email
from ..names import normalise_name
from .changes import Changes
from .clicks import Click, fold_clicks
from .connection import Store
from .derive import derive_batch
from .errors import InvalidInput
from .settings import event_rules

__all__ = [
    "IngestResult",
    "append_events",
    "ingest",
    "ingest_checked",
    "upsert_identities",
]


@dataclass
class IngestResult:
    """What a batch did: how many events were taken (appended, or added to a
    click run) or were replays."""

    accepted: int = 0
    replayed: int = 0
    # The log rows the batch appended (None: none; a repeat click adds to its
    # run alone), and each accepted event's row, in order.
    first_seq: int | None = None
    last_seq: int | None = None
    seqs: list[int | None] = field(default_factory=list)
    created_people: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)


def ingest(
    store: Store,
    raw_events: Sequence,
    *,
    source: str = "web",
    now: int | None = None,
    within: Callable[[Database, IngestResult], None] | None = None,
) -> IngestResult:
    """Check and append a batch of events in one transaction; derive what they change.

    A replayed ``event_id`` (per source) is a no-op. ``within(db, result)`` runs
    inside the transaction, before COMMIT (the API stores its idempotent response
    there, so the response and the events commit together). Returns after COMMIT.
    """
    now = now_micros() if now is None else now
    # Checking needs no lock: only the append and derivation hold the writer.
    events = check_objects(list(raw_events), event_rules(store.reader(), now))
    return ingest_checked(store, events, source=source, now=now, within=within)


def ingest_checked(
    store: Store,
    events: list[CheckedEvent],
    *,
    source: str,
    now: int,
    within: Callable[[Database, IngestResult], None] | None = None,
) -> IngestResult:
    """``ingest`` for events already checked by the contract."""
    with store.write() as db:
        result = append_events(db, events, source=source, now=now)
        if within is not None:
            within(db, result)
    return result


# What each event brings; the source and the arrival time are the batch's own.
_STAGED_COLUMNS = (
    "type, at, talker_id, listener_id, link_id, visitor, value, currency, channel, "
    "event_id, ip_hmac, ua_class"
)


def append_events(
    db: Database,
    events: list[CheckedEvent],
    *,
    source: str,
    now: int,
    derive: bool = True,
) -> IngestResult:
    """Append checked events inside the caller's write transaction.

    Clicks go to their runs (``clicks.fold_clicks``); the log keeps those that
    start a run or carry an ``event_id``, the other events whole. With
    ``derive=False`` the caller promises to derive (``derive_batch`` or
    ``rebuild``) before it commits, and to merge ``result.changes`` into the
    transaction's once what it did holds (the batcher's savepoints).
    """
    result = IngestResult()
    events = _drop_replays(db, events, source, result)
    if not events:
        return result
    links = _resolve_links(db, events)
    ids, created = _resolve_people(db, events, now)
    result.created_people = created
    identities = _store_identities(db, events, ids)
    rows, clicks = [], []
    for position, event in enumerate(events):
        link = links.get(event.link) if event.link else None
        talker = ids.get(event.talker) if event.talker else None
        listener = ids.get(event.listener) if event.listener else None
        link_id = None
        if link is not None:
            link_id, owner = link
            # A customer signing up through their own link is no touch.
            if event.type in ("signup", "click") and owner != listener:
                talker = owner
        if event.type == "click":
            clicks.append(
                Click(
                    position,
                    event.ua_class or "bot",
                    link_id,
                    event.visitor,
                    event.at,
                    keep=event.event_id is not None,
                )
            )
        rows.append(
            (
                event.type,
                event.at,
                talker,
                listener,
                link_id,
                event.visitor,
                event.value,
                event.currency,
                event.channel,
                event.event_id,
                event.ip_hmac,
                event.ua_class,
            )
        )
    logged, result.changes = fold_clicks(db, clicks, now)
    # Repeat clicks live in their runs' counts alone.
    kept = {click.position for click in clicks} - logged
    if kept:
        rows = [row for position, row in enumerate(rows) if position not in kept]
    result.accepted = len(events)
    if rows:
        result.first_seq, result.last_seq = _append_rows(db, rows, source, now)
    seq = result.first_seq
    for position in range(len(events)):
        if position in kept:
            result.seqs.append(None)
        else:
            result.seqs.append(seq)
            seq += 1
    if derive:
        db.changes.merge(result.changes)
        if rows:
            result.changes.merge(
                derive_batch(
                    db,
                    result.first_seq,
                    result.last_seq,
                    identities=identities,
                    kinds={event.type for event in events},
                )
            )
    return result


# Up to this many rows go in as one JSON parameter: a landing page's batch of
# clicks then costs one statement, where staging costs three.
_FEW_ROWS = 64


def _append_rows(db: Database, rows: list[tuple], source: str, now: int):
    """Append ``rows`` to the log by one statement; return their first and last seq."""
    if len(rows) <= _FEW_ROWS:
        columns = ", ".join(f"value ->> {i}" for i in range(12))
        appended = db.execute(
            f"INSERT INTO events({_STAGED_COLUMNS}, source, received_at) "
            f"SELECT {columns}, ?, ? FROM json_each(?) ORDER BY key",
            [source, now, orjson.dumps(rows)],
        )
    else:
        # Staged in a bare temp table, then appended by one statement: measured
        # faster than binding straight into the indexed log, or than json_each.
        db.execute(f"CREATE TEMP TABLE IF NOT EXISTS staged_events ({_STAGED_COLUMNS})")
        db.execute("DELETE FROM staged_events")
        db.conn.executemany(
            f"INSERT INTO staged_events VALUES ({', '.join('?' * 12)})", rows
        )
        appended = db.execute(
            f"INSERT INTO events({_STAGED_COLUMNS}, source, received_at) "
            "SELECT *, ?, ? FROM staged_events ORDER BY rowid",
            [source, now],
        )
    if appended.rowcount != len(rows):
        raise RuntimeError("the event log did not take the whole batch")
    # One statement of the one writer: AUTOINCREMENT numbers its rows one after
    # another, ending at the last rowid it inserted.
    return appended.lastrowid - len(rows) + 1, appended.lastrowid


def _drop_replays(
    db: Database, events: list[CheckedEvent], source: str, result: IngestResult
) -> list[CheckedEvent]:
    keyed = [e.event_id for e in events if e.event_id is not None]
    seen: set[str] = set()
    if keyed:
        seen.update(
            row[0]
            for row in db.execute(
                "SELECT event_id FROM events WHERE source = ? "
                "AND event_id IN (SELECT value FROM json_each(?))",
                [source, orjson.dumps(keyed)],
            )
        )
    fresh = []
    for event in events:
        if event.event_id is not None:
            if event.event_id in seen:
                result.replayed += 1
                continue
            seen.add(event.event_id)
        fresh.append(event)
    return fresh


def _resolve_links(
    db: Database, events: list[CheckedEvent]
) -> dict[str, tuple[int, int]]:
    codes = sorted({e.link for e in events if e.link})
    found: dict[str, tuple[int, int, int]] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        for code, link_id, owner, disabled in db.execute(
            f"SELECT code, id, owner_id, disabled FROM links WHERE code IN "
            f"({','.join('?' * len(chunk))})",
            chunk,
        ):
            found[code] = (link_id, owner, disabled)
    problems = [
        {
            "index": e.index,
            "field": "link",
            "message": f"no referral link with code {e.link!r}; create it first",
        }
        for e in events
        if e.link and e.link not in found
    ] + [
        {
            "index": e.index,
            "field": "link",
            "message": f"referral link {e.link!r} is disabled; use another",
        }
        for e in events
        if e.type == "click" and e.link in found and found[e.link][2]
    ]
    if problems:
        raise InvalidInput(problems)
    return {code: (link_id, owner) for code, (link_id, owner, _) in found.items()}


def _resolve_people(
    db: Database, events: list[CheckedEvent], now: int
) -> tuple[dict[str, int], list[str]]:
    """Internal ids of everyone the events name; unknown people are created, in
    order of first appearance."""
    names = list(
        dict.fromkeys(
            name for e in events for name in (e.talker, e.listener) if name is not None
        )
    )
    if not names:  # clicks name nobody
        return {}, []
    # One JSON parameter, read by SQLite's json_each: no row-by-row binding.
    query = (
        "SELECT j.value, p.id FROM json_each(?) j "
        "CROSS JOIN people p ON p.external_id = j.value"
    )
    ids: dict[str, int] = dict(db.execute(query, [orjson.dumps(names)]).fetchall())
    created = [name for name in names if name not in ids]
    if created:
        top = db.execute("SELECT coalesce(max(id), 0) FROM people").fetchone()[0]
        db.execute(
            "INSERT INTO people(external_id, created_at) "
            "SELECT value, ? FROM json_each(?) ORDER BY key",
            [now, orjson.dumps(created)],
        )
        # One writer appends: new rowids follow the largest, in insertion order.
        last = db.execute("SELECT max(id) FROM people").fetchone()[0]
        if last == top + len(created):
            ids.update(zip(created, range(top + 1, last + 1), strict=True))
        else:
            ids = dict(db.execute(query, [orjson.dumps(names)]).fetchall())
    return ids, created


def _store_identities(
    db: Database, events: Iterable[CheckedEvent], ids: dict[str, int]
) -> set[int]:
    """Keep names and emails from sign-ups; return people whose email changed.

    Every sign-up counts, in order: a later one without an email keeps the email
    an earlier one gave, in one batch as across two.
    """
    return upsert_identities(
        db,
        [
            (ids[event.listener], event.name, event.email)
            for event in events
            if event.type == "signup" and (event.name or event.email)
        ],
    )


def upsert_identities(
    db: Database, rows: list[tuple[int, str | None, str | None]]
) -> set[int]:
    """Set names and emails (None keeps what is stored); return whose email changed."""
    if not rows:
        return set()
    people = list({person for person, _, _ in rows})
    stored: dict[int, tuple] = {}
    for start in range(0, len(people), 500):
        chunk = people[start : start + 500]
        for person, name, email in db.execute(
            "SELECT person_id, name, email FROM identities WHERE person_id IN "
            f"({','.join('?' * len(chunk))})",
            chunk,
        ):
            stored[person] = (name, email)
    before = dict(stored)
    for person, name, email in rows:
        old_name, old_email = stored.get(person, (None, None))
        stored[person] = (
            name if name is not None else old_name,
            email if email is not None else old_email,
        )
    written = [
        (
            person,
            name,
            email,
            normalise_email(email) if email else None,
            normalise_name(name) if name else None,
        )
        for person, (name, email) in stored.items()
        if stored[person] != before.get(person)
    ]
    db.conn.executemany(
        "INSERT OR REPLACE INTO identities(person_id, name, email, email_normalised, "
        "name_normalised) VALUES (?, ?, ?, ?, ?)",
        written,
    )
    return {
        person
        for person, (_, email) in stored.items()
        if email != before.get(person, (None, None))[1]
    }
