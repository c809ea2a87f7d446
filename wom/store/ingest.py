"""The one road for events into the log: check, resolve, append, derive.

The API, the landing pages, CSV imports and the demo all call ``ingest``. A batch is
all or nothing: any bad event raises ``InvalidInput`` naming the index and field of
every problem, and nothing is written.
"""

from __future__ import annotations

import math
import re
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson
from sqlite_utils import Database

from ..emails import looks_like_email, normalise_email
from ..names import normalise_name
from .connection import Store
from .derive import Changes, derive_batch
from .errors import InvalidInput
from .schema import EVENT_TYPES
from .settings import read_settings

__all__ = [
    "API_FIELDS",
    "CheckedEvent",
    "IngestResult",
    "check_events",
    "ingest",
    "ingest_checked",
    "parse_time",
    "to_micros",
    "now_micros",
    "new_external_id",
]

FUTURE_SLACK_US = 5 * 60 * 1_000_000
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}")
_COMMON = {"type", "at", "event_id", "channel"}
FIELDS = {
    "mention": _COMMON | {"from", "to"},
    "heard_from": _COMMON | {"from", "to"},
    "referral": _COMMON | {"from", "to"},
    "signup": _COMMON
    | {"customer", "name", "email", "link", "visitor", "ip_hmac", "user_agent"},
    "purchase": _COMMON | {"customer", "value", "currency", "visitor", "ip_hmac"},
    "click": _COMMON | {"link", "visitor", "user_agent", "ip_hmac", "ua_class"},
}
# What API clients may send: the documented shape, without the facts that only the
# landing pages record (the IP's HMAC; the user-agent class is computed here).
_TOLD = {"type", "from", "to", "at", "channel", "event_id"}
API_FIELDS = {
    "mention": _TOLD,
    "heard_from": _TOLD,
    "referral": _TOLD,
    "signup": {
        "type",
        "customer",
        "at",
        "name",
        "email",
        "link",
        "visitor",
        "event_id",
    },
    "purchase": {"type", "customer", "value", "currency", "at", "event_id"},
    "click": {"type", "link", "visitor", "at", "user_agent", "event_id"},
}
REQUIRED = {
    "mention": ("from", "to", "at"),
    "heard_from": ("from", "to", "at"),
    "referral": ("from", "to", "at"),
    "signup": ("customer", "at"),
    "purchase": ("customer", "value", "at"),
    "click": ("link", "visitor", "at"),
}


def now_micros() -> int:
    """The current time in microseconds since the epoch (UTC)."""
    return time.time_ns() // 1000


def to_micros(moment: datetime) -> int:
    """An aware datetime as microseconds since the epoch."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def parse_time(value) -> int:
    """An ISO 8601 time with a zone (or an aware datetime) -> microseconds (UTC).

    >>> parse_time("1970-01-01T00:00:01Z")
    1000000
    >>> parse_time("1970-01-01T01:00:00+01:00")
    0
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value) <= 40:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                "give an ISO 8601 time such as 2026-05-01T12:00:00Z"
            ) from None
    else:
        raise ValueError("give an ISO 8601 time such as 2026-05-01T12:00:00Z")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("add a time zone, such as Z or +02:00")
    return to_micros(moment)


def new_external_id() -> str:
    """A short, unique, stable id for a person created without one (``p-...``)."""
    return "p-" + secrets.token_urlsafe(8)[:10].replace("_", "x").replace("-", "y")


@dataclass
class CheckedEvent:
    """An event that passed the checks, times in microseconds, people by external id."""

    index: int
    type: str
    at: int
    talker: str | None = None
    listener: str | None = None
    link: str | None = None
    visitor: str | None = None
    value: float | None = None
    currency: str | None = None
    channel: str | None = None
    event_id: str | None = None
    ip_hmac: str | None = None
    ua_class: str | None = None
    name: str | None = None
    email: str | None = None


@dataclass
class IngestResult:
    """What a batch did: how many events were appended or were replays."""

    accepted: int = 0
    replayed: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    created_people: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)


def _text(raw: dict, key: str, limit: int, problems: list, index: int) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        problems.append(
            {
                "index": index,
                "field": key,
                "message": f"give a string of 1 to {limit} characters",
            }
        )
        return None
    return value.strip()


def _person(raw: dict, key: str, problems: list, index: int) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _ID.fullmatch(value):
        problems.append(
            {
                "index": index,
                "field": key,
                "message": "give a customer id of 1 to 128 letters, digits or ._:@+-",
            }
        )
        return None
    return value


def check_event(
    raw, index: int, *, currency: str, now: int, fields: dict = FIELDS
) -> tuple[CheckedEvent | None, list[dict]]:
    """Check one event in the API's shape; return it or the problems found.

    ``fields`` names the fields each type may carry (``API_FIELDS`` for clients).
    """
    problems: list[dict] = []
    if not isinstance(raw, dict):
        return None, [
            {"index": index, "field": "(event)", "message": "give a JSON object"}
        ]
    kind = raw.get("type")
    if kind not in EVENT_TYPES:
        return None, [
            {
                "index": index,
                "field": "type",
                "message": f"give one of {', '.join(EVENT_TYPES)}",
            }
        ]
    for key in sorted(set(raw) - fields[kind]):
        problems.append(
            {
                "index": index,
                "field": key,
                "message": f"not a field of a {kind} event; remove it",
            }
        )
    for key in REQUIRED[kind]:
        if raw.get(key) is None:
            problems.append({"index": index, "field": key, "message": "required"})
    at = None
    if raw.get("at") is not None:
        try:
            at = parse_time(raw["at"])
        except ValueError as exc:
            problems.append({"index": index, "field": "at", "message": str(exc)})
        else:
            if at > now + FUTURE_SLACK_US:
                problems.append(
                    {
                        "index": index,
                        "field": "at",
                        "message": "more than 5 minutes ahead; send the real time",
                    }
                )
    event = CheckedEvent(index=index, type=kind, at=at or 0)
    event.event_id = _text(raw, "event_id", 128, problems, index)
    event.channel = _text(raw, "channel", 40, problems, index)
    if kind in ("mention", "heard_from", "referral"):
        event.talker = _person(raw, "from", problems, index)
        event.listener = _person(raw, "to", problems, index)
        if event.talker is not None and event.talker == event.listener:
            problems.append(
                {
                    "index": index,
                    "field": "to",
                    "message": "nobody tells themselves about us; name someone else",
                }
            )
    else:
        event.listener = _person(raw, "customer", problems, index)
        event.link = _text(raw, "link", 64, problems, index)
        event.visitor = _text(raw, "visitor", 64, problems, index)
        event.ip_hmac = _text(raw, "ip_hmac", 64, problems, index)
    if kind == "signup":
        event.name = _text(raw, "name", 200, problems, index)
        event.email = _text(raw, "email", 254, problems, index)
        if event.email is not None and not looks_like_email(event.email):
            problems.append(
                {
                    "index": index,
                    "field": "email",
                    "message": "not an email address; give one like zoe@example.org",
                }
            )
    if kind == "purchase":
        value = raw.get("value")
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            problems.append(
                {
                    "index": index,
                    "field": "value",
                    "message": "give a number of 0 or more",
                }
            )
        else:
            event.value = float(value) if value is not None else None
        given = raw.get("currency", currency)
        if not isinstance(given, str) or given.upper() != currency:
            problems.append(
                {
                    "index": index,
                    "field": "currency",
                    "message": f"values are kept in {currency}; convert before sending",
                }
            )
        event.currency = currency
    if kind == "click":
        agent = raw.get("user_agent")
        if agent is not None and not isinstance(agent, str):
            problems.append(
                {"index": index, "field": "user_agent", "message": "give a string"}
            )
        ua_class = raw.get("ua_class")
        if ua_class is None:
            from ..privacy import user_agent_class

            ua_class = user_agent_class(agent if isinstance(agent, str) else None)
        if ua_class not in ("human", "bot"):
            problems.append(
                {"index": index, "field": "ua_class", "message": "give human or bot"}
            )
        event.ua_class = ua_class
    return (None, problems) if problems else (event, [])


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_TOLD_TYPES = frozenset({"mention", "heard_from", "referral"})


def _quick_text(value, limit: int):
    """``_text`` for the fast path: the stripped string, or None to fall back."""
    if type(value) is not str or len(value) > limit:
        return None
    value = value.strip()
    return value or None


class _QuickChecker:
    """The common case of ``check_event`` at a fraction of its cost.

    ``check`` returns exactly the CheckedEvent that ``check_event`` would, or None
    whenever anything is unusual (a wrong type, a missing or unknown field, a bad
    value), and then ``check_event`` runs and names the problems. Tests hold the
    two to the same answers.
    """

    def __init__(self, *, currency: str, now: int, fields: dict):
        self.currency = currency
        self.latest = now + FUTURE_SLACK_US
        self.fields = fields
        self.people: set[str] = set()
        self.agents: dict = {}

    def person(self, value) -> bool:
        if value in self.people:
            return True
        if type(value) is str and _ID.fullmatch(value):
            self.people.add(value)
            return True
        return False

    def check(self, raw, index: int) -> CheckedEvent | None:
        if type(raw) is not dict:
            return None
        kind = raw.get("type")
        allowed = self.fields.get(kind)
        if allowed is None or not allowed.issuperset(raw):
            return None
        at = raw.get("at")
        if type(at) is not str or len(at) > 40:
            return None
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            return None
        if moment.utcoffset() is None:
            return None
        micros = (moment - _EPOCH) // _ONE_US
        if micros > self.latest:
            return None
        event = CheckedEvent(index=index, type=kind, at=micros)
        get = raw.get
        for key, limit in (("event_id", 128), ("channel", 40)):
            value = get(key)
            if value is not None:
                value = _quick_text(value, limit)
                if value is None:
                    return None
                setattr(event, key, value)
        if kind in _TOLD_TYPES:
            talker, listener = get("from"), get("to")
            if not self.person(talker) or not self.person(listener):
                return None
            if talker == listener:
                return None
            event.talker, event.listener = talker, listener
            return event
        customer = get("customer")
        if customer is not None:
            if not self.person(customer):
                return None
            event.listener = customer
        for key in ("link", "visitor", "ip_hmac"):
            value = get(key)
            if value is not None:
                value = _quick_text(value, 64)
                if value is None:
                    return None
                setattr(event, key, value)
        if kind == "signup":
            return self._signup(event, get)
        if kind == "purchase":
            return self._purchase(event, raw, get)
        return self._click(event, get)

    def _signup(self, event: CheckedEvent, get) -> CheckedEvent | None:
        if event.listener is None:
            return None
        name, email = get("name"), get("email")
        if name is not None:
            event.name = _quick_text(name, 200)
            if event.name is None:
                return None
        if email is not None:
            event.email = _quick_text(email, 254)
            if event.email is None or not looks_like_email(event.email):
                return None
        return event

    def _purchase(self, event: CheckedEvent, raw: dict, get) -> CheckedEvent | None:
        value = get("value")
        if event.listener is None or type(value) not in (int, float):
            return None
        if not math.isfinite(value) or value < 0:
            return None
        if "currency" in raw:
            given = raw["currency"]
            if type(given) is not str or given.upper() != self.currency:
                return None
        event.value = float(value)
        event.currency = self.currency
        return event

    def _click(self, event: CheckedEvent, get) -> CheckedEvent | None:
        if event.link is None or event.visitor is None:
            return None
        agent, ua_class = get("user_agent"), get("ua_class")
        if agent is not None and type(agent) is not str:
            return None
        if ua_class is None:
            ua_class = self.agents.get(agent)
            if ua_class is None:
                from ..privacy import user_agent_class

                ua_class = self.agents[agent] = user_agent_class(agent)
        if ua_class not in ("human", "bot"):
            return None
        event.ua_class = ua_class
        return event


def check_events(
    raw_events: Sequence,
    *,
    currency: str,
    now: int | None = None,
    fields: dict = FIELDS,
) -> list[CheckedEvent]:
    """Check every event; raise InvalidInput listing all problems, or return them."""
    now = now_micros() if now is None else now
    quick = _QuickChecker(currency=currency, now=now, fields=fields).check
    checked, problems = [], []
    for index, raw in enumerate(raw_events):
        event = quick(raw, index)
        if event is None:
            event, found = check_event(
                raw, index, currency=currency, now=now, fields=fields
            )
            problems.extend(found)
        if event is not None:
            checked.append(event)
    if problems:
        raise InvalidInput(problems)
    return checked


def ingest(
    store: Store,
    raw_events: Sequence,
    *,
    source: str = "web",
    now: int | None = None,
    fields: dict = FIELDS,
    within: Callable[[Database, IngestResult], None] | None = None,
) -> IngestResult:
    """Check and append a batch of events in one transaction; derive what they change.

    A replayed ``event_id`` (per source) is a no-op. ``within(db, result)`` runs
    inside the transaction, before COMMIT (the API stores its idempotent response
    there, so the response and the events commit together). Returns after COMMIT.
    """
    now = now_micros() if now is None else now
    # Checking needs no lock: only the append and derivation hold the writer.
    currency = read_settings(store.reader())["currency"]
    events = check_events(raw_events, currency=currency, now=now, fields=fields)
    return ingest_checked(store, events, source=source, now=now, within=within)


def ingest_checked(
    store: Store,
    events: list[CheckedEvent],
    *,
    source: str,
    now: int,
    within: Callable[[Database, IngestResult], None] | None = None,
) -> IngestResult:
    """``ingest`` for events already checked (by ``check_events`` or ``decode``)."""
    with store.write() as db:
        result = append_events(db, events, source=source, now=now)
        if within is not None:
            within(db, result)
    store.notify(result.changes)
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

    With ``derive=False`` the caller promises a ``rebuild`` before it commits.
    """
    result = IngestResult()
    events = _drop_replays(db, events, source, result)
    if not events:
        return result
    links = _resolve_links(db, events)
    ids, created = _resolve_people(db, events, now)
    result.created_people = created
    identities = _store_identities(db, events, ids)
    rows = []
    for event in events:
        link = links.get(event.link) if event.link else None
        talker = ids.get(event.talker) if event.talker else None
        listener = ids.get(event.listener) if event.listener else None
        link_id = None
        if link is not None:
            link_id, owner = link
            # A customer signing up through their own link is no touch.
            if event.type in ("signup", "click") and owner != listener:
                talker = owner
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
    result.first_seq = appended.lastrowid - len(rows) + 1
    result.last_seq = appended.lastrowid
    result.accepted = len(rows)
    if derive:
        result.changes = derive_batch(
            db,
            result.first_seq,
            result.last_seq,
            identities=identities,
            kinds={event.type for event in events},
        )
    return result


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
    """Keep names and emails from sign-ups; return people whose email changed."""
    latest: dict[int, CheckedEvent] = {}
    for event in events:
        if event.type == "signup" and (event.name or event.email):
            latest[ids[event.listener]] = event
    return upsert_identities(db, [(pid, e.name, e.email) for pid, e in latest.items()])


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
