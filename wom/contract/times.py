"""Times as the store keeps them: integers, microseconds since the epoch (UTC)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

__all__ = ["EPOCH", "iso", "now_micros", "parse_time", "to_micros"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)


def now_micros() -> int:
    """The current time in microseconds since the epoch (UTC)."""
    return time.time_ns() // 1000


def to_micros(moment: datetime) -> int:
    """An aware datetime as microseconds since the epoch.

    >>> to_micros(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC))
    1000005
    """
    return (moment - EPOCH) // _ONE_US


def iso(micros: int | None) -> str | None:
    """Microseconds since the epoch (UTC) -> ISO 8601 with a Z.

    >>> iso(0), iso(1_500_000)
    ('1970-01-01T00:00:00Z', '1970-01-01T00:00:01.500000Z')
    """
    if micros is None:
        return None
    moment = EPOCH + timedelta(microseconds=micros)
    return moment.isoformat().replace("+00:00", "Z")


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
