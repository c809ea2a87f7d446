"""What an event must look like: its fields, its checks, and times as integers.

``check_events`` is the thorough road: it names every problem of a batch by index
and field. ``_QuickChecker`` answers the common case at a fraction of the cost and
defers to ``check_event`` for anything unusual; tests hold the two together.
"""

from __future__ import annotations

import math
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..emails import looks_like_email
from .errors import InvalidInput
from .schema import EVENT_TYPES

__all__ = [
    "API_FIELDS",
    "FIELDS",
    "FUTURE_SLACK_US",
    "CheckedEvent",
    "check_event",
    "check_events",
    "new_external_id",
    "now_micros",
    "parse_time",
    "to_micros",
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


def _finite(value: int | float) -> bool:
    """A number a float can hold: not NaN, not infinite, not a huge integer.

    >>> _finite(9.5), _finite(float("nan")), _finite(10**400)
    (True, False, False)
    """
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


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
            or not _finite(value)
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
        # Strings only: a list or a dict cannot be looked up in a set.
        if type(value) is not str:
            return False
        if value in self.people:
            return True
        if _ID.fullmatch(value):
            self.people.add(value)
            return True
        return False

    def check(self, raw, index: int) -> CheckedEvent | None:
        if type(raw) is not dict:
            return None
        kind = raw.get("type")
        allowed = self.fields.get(kind) if type(kind) is str else None
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
        if not _finite(value) or value < 0:
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
