"""Periods the overview shows: whole local days, from a preset or two dates,
and the period of the same length just before.

A period runs from the start of its first day to the end of its last, in the
business's time zone; "all" has no bounds and nothing before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["EARLIEST", "LATEST", "PRESETS", "Period", "local_day", "preset"]

#: Presets: name -> (label, days; None for all time).
PRESETS = {
    "4w": ("Last 4 weeks", 28),
    "quarter": ("Last quarter", 91),
    "year": ("Last year", 364),
    "all": ("All time", None),
}
#: The days a period may start on and end on.
EARLIEST, LATEST = date(1970, 1, 1), date(2200, 12, 31)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def local_day(text: str) -> date:
    """A query parameter's date (``YYYY-MM-DD``) between EARLIEST and LATEST.

    >>> local_day("2026-03-01")
    datetime.date(2026, 3, 1)
    >>> local_day("2026-02-30")
    Traceback (most recent call last):
    ValueError: give a date as YYYY-MM-DD, such as 2026-03-01
    """
    try:
        if not _DAY.fullmatch(text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError("give a date as YYYY-MM-DD, such as 2026-03-01") from None
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"give a date from {EARLIEST} to {LATEST}")
    return day


def _midnight(day: date, zone: ZoneInfo) -> float:
    """The POSIX time at which ``day`` starts in ``zone`` (as the series cuts it)."""
    return datetime.combine(day, time(), tzinfo=zone).timestamp()


@dataclass(frozen=True)
class Period:
    """Days ``first`` to ``last``, both included; both None for all time."""

    first: date | None = None
    last: date | None = None
    preset: str | None = None

    @property
    def days(self) -> int | None:
        """How many days it spans.

        >>> Period(date(2026, 3, 1), date(2026, 3, 28)).days
        28
        """
        if self.first is None:
            return None
        return (self.last - self.first).days + 1

    def bounds(self, time_zone: str) -> tuple[float | None, float | None]:
        """``[start, end)`` in POSIX seconds: local midnights in ``time_zone``.

        >>> Period(date(2026, 3, 1), date(2026, 3, 1)).bounds("Europe/Paris")
        (1772319600.0, 1772406000.0)
        """
        if self.first is None:
            return None, None
        zone = ZoneInfo(time_zone)
        return _midnight(self.first, zone), _midnight(
            self.last + timedelta(days=1), zone
        )

    def previous(self) -> Period | None:
        """The period of as many days that ends the day before this one starts.

        >>> Period(date(2026, 3, 1), date(2026, 3, 28)).previous()
        Period(first=datetime.date(2026, 2, 1), last=datetime.date(2026, 2, 28), \
preset=None)
        >>> Period().previous() is None
        True
        """
        if self.first is None:
            return None
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(1))

    def as_dict(self, time_zone: str) -> dict:
        """Plain data: the days, and the bounds as ISO 8601 UTC times."""
        start, end = self.bounds(time_zone)
        return {
            "from": None if self.first is None else self.first.isoformat(),
            "to": None if self.last is None else self.last.isoformat(),
            "days": self.days,
            "start": _iso(start),
            "end": _iso(end),
        }


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def preset(name: str, today: date) -> Period:
    """The preset ``name`` ending ``today`` (included).

    >>> preset("4w", date(2026, 3, 28))
    Period(first=datetime.date(2026, 3, 1), last=datetime.date(2026, 3, 28), \
preset='4w')
    """
    days = PRESETS[name][1]
    if days is None:
        return Period(preset=name)
    return Period(today - timedelta(days=days - 1), today, name)
