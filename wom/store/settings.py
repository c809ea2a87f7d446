"""The business's settings: kept in the database, each with a default and a check."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many as parse_rate_limits
from sqlite_utils import Database

from ..contract import EventRules, currency_exponent, iso, now_micros, parse_time
from ..privacy import check_bot_pattern, use_owner_bot_pattern
from .errors import InvalidInput

__all__ = [
    "SETTINGS",
    "ATTRIBUTION_KEYS",
    "event_rules",
    "follow_bot_pattern",
    "read_settings",
    "parse_setting",
    "write_setting",
]


@dataclass(frozen=True)
class Setting:
    """One setting: its default, what it means, and how a typed-in value is read."""

    default: Any
    help: str
    parse: Callable[[str], Any]


def _text(limit: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip()
        if not value or len(value) > limit:
            raise ValueError(f"give between 1 and {limit} characters")
        return value

    return parse


def _url(value: str) -> str:
    value = value.strip()
    if value == "":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("give an absolute http(s):// URL, or an empty string for none")
    return value


def _currency(value: str) -> str:
    """An ISO 4217 code with a minor unit (ValueError for others).

    >>> _currency(" jpy ")
    'JPY'
    """
    if not re.fullmatch(r"[A-Za-z]{3}", value.strip()):
        raise ValueError("give a three-letter ISO 4217 code such as EUR or USD")
    currency_exponent(value.strip())
    return value.strip().upper()


def _time(value: str) -> str:
    """An ISO 8601 time with a zone, kept in UTC.

    >>> _time("1999-12-31T23:00:00-01:00")
    '2000-01-01T00:00:00Z'
    """
    return iso(parse_time(value.strip()))


def _zone(value: str) -> str:
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("give an IANA time zone such as UTC or Europe/Paris") from None
    return value.strip()


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value.strip() not in choices:
            raise ValueError(f"give one of {', '.join(choices)}")
        return value.strip()

    return parse


def _flag(value: str) -> bool:
    """Yes or no, as typed.

    >>> _flag("yes"), _flag(" False ")
    (True, False)
    """
    answer = value.strip().lower()
    if answer in ("true", "yes", "on", "1"):
        return True
    if answer in ("false", "no", "off", "0"):
        return False
    raise ValueError("give true or false")


def _number(kind: type, low: float, high: float) -> Callable[[str], Any]:
    def parse(value: str) -> Any:
        try:
            number = kind(value)
        except (TypeError, ValueError):
            raise ValueError(f"give a number from {low} to {high}") from None
        if not low <= number <= high:
            raise ValueError(f"give a number from {low} to {high}")
        return number

    return parse


# The longest period a limit may count over: a year (and a Retry-After that fits).
_LONGEST_PERIOD = 366 * 86_400


def _rate(value: str) -> str:
    """One or more limits ("20 per hour; 200 per day") that let traffic through.

    >>> _rate(" 20 per hour; 200/day ")
    '20 per hour; 200/day'
    >>> _rate("0 per minute")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: give a rate such as '20 per hour' or '100/minute', of at least 1 ...
    """
    value = value.strip()
    problem = (
        "give a rate such as '20 per hour' or '100/minute', of at least 1 request "
        "per period, over a period from 1 second to 1 year"
    )
    try:
        items = parse_rate_limits(value)
    except ValueError:
        raise ValueError(problem) from None
    # "1 per 0 minutes" parses as one minute: refuse what was not meant.
    typed_zero = re.search(r"(per|/)\s*0+\s*[a-z]", value, re.IGNORECASE)
    if (
        typed_zero
        or not items
        or any(
            item.amount < 1 or not 1 <= item.get_expiry() <= _LONGEST_PERIOD
            for item in items
        )
    ):
        raise ValueError(problem)
    return value


SETTINGS: dict[str, Setting] = {
    "business_name": Setting("My business", "shown on landing pages", _text(80)),
    "offer_text": Setting(
        "Sign up through a friend's link and you both get 10% off.",
        "the offer on landing pages",
        _text(500),
    ),
    "destination_url": Setting(
        "", "where sign-ups go after the share page (empty: stay)", _url
    ),
    "currency": Setting(
        "EUR",
        "the business's currency (ISO 4217); others are refused, and it cannot "
        "change once purchases are recorded",
        _currency,
    ),
    "time_floor": Setting(
        "2000-01-01T00:00:00Z",
        "events before this time are refused (lower it to import older history)",
        _time,
    ),
    "time_zone": Setting("UTC", "buckets of the spread series follow it", _zone),
    "attribution_rule": Setting(
        "first", "first or last touch earns the credit", _choice("first", "last")
    ),
    "attribution_window_days": Setting(
        90,
        "touches older than this before conversion earn nothing",
        _number(int, 1, 3650),
    ),
    "value_decay": Setting(0.5, "d in referred_value", _number(float, 0.0, 1.0)),
    "burst_threshold": Setting(
        10,
        "credited sign-ups in 10 minutes that flag a referrer",
        _number(int, 2, 10_000),
    ),
    "public_home": Setting(
        False,
        "show the home page's live figures to every visitor, not only this machine",
        _flag,
    ),
    "signup_rate_limit": Setting("20 per hour", "landing sign-ups per IP", _rate),
    "api_rate_limit": Setting("6000 per minute", "API requests per token", _rate),
    "login_rate_limit": Setting("10 per 15 minutes", "owner logins per IP", _rate),
    "bot_user_agents": Setting(
        "",
        "a regular expression (case ignored) for user agents to count as bots "
        "beside CrawlerDetect's, such as your uptime monitor; empty for none",
        check_bot_pattern,
    ),
}

# Settings that change who earns credit: setting one re-derives every credit.
ATTRIBUTION_KEYS = frozenset({"attribution_rule", "attribution_window_days"})


def read_settings(db: Database) -> dict[str, Any]:
    """Every setting, stored values over defaults."""
    values = {key: setting.default for key, setting in SETTINGS.items()}
    for key, raw in db.execute("SELECT key, value FROM settings").fetchall():
        if key in values:
            values[key] = json.loads(raw)
    return values


def parse_setting(key: str, value: str) -> Any:
    """Check a typed-in value for ``key``; raise InvalidInput naming the fix."""
    if key not in SETTINGS:
        known = ", ".join(sorted(SETTINGS))
        raise InvalidInput.field(key, f"unknown setting; known settings: {known}")
    try:
        return SETTINGS[key].parse(value)
    except ValueError as exc:
        raise InvalidInput(
            [{"index": None, "field": key, "message": str(exc)}]
        ) from None


def event_rules(db: Database, now: int | None = None) -> EventRules:
    """The rules events are checked by: the currency, the time floor, now."""
    values = read_settings(db)
    return EventRules(
        currency=values["currency"],
        floor=parse_time(values["time_floor"]),
        now=now_micros() if now is None else now,
    )


def write_setting(db: Database, key: str, value: Any) -> None:
    """Store a checked value (inside the caller's write transaction)."""
    db.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, json.dumps(value)],
    )
    db.changes.settings.add(key)


def follow_bot_pattern(store) -> None:
    """Classify this process's clicks with the owner's ``bot_user_agents``
    pattern: the stored one now, and each new one as soon as it is written."""

    def use_stored() -> None:
        use_owner_bot_pattern(read_settings(store.reader())["bot_user_agents"])

    def follow(changes) -> None:
        if "bot_user_agents" in changes.settings:
            use_stored()

    use_stored()
    store.subscribe(follow)
