"""How the overview writes its figures and their changes: template filters that
format a value already computed, never compute one."""

from __future__ import annotations

from datetime import UTC, date, datetime

from . import ago, blueprint

__all__ = ["change", "day", "figure", "duration", "money", "when"]


def duration(seconds: float) -> str:
    """A span of time in words, to two significant figures at most.

    >>> duration(90), duration(3600), duration(86400 * 3.25), duration(86400 * 12.4)
    ('1.5 minutes', '1 hour', '3.2 days', '12 days')
    """
    seconds = abs(seconds)
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds / size
            text = f"{count:.0f}" if count >= 10 else f"{count:.1f}".removesuffix(".0")
            return f"{text} {unit}{'' if text == '1' else 's'}"
    return f"{seconds:.0f} seconds"


@blueprint.app_template_filter("figure")
def figure(value, unit: str = "count") -> str:
    """A figure as the page shows it; a dash where there is none.

    >>> figure(12345), figure(0.4236, "share"), figure(1.234, "ratio")
    ('12,345', '42%', '1.23')
    >>> figure(None, "share"), figure(7200, "duration")
    ('–', '2 hours')
    """
    if value is None:
        return "–"
    if unit == "share":
        return f"{value * 100:.0f}%"
    if unit == "ratio":
        return f"{value:.2f}"
    if unit == "duration":
        return duration(value)
    return f"{value:,}"


@blueprint.app_template_filter("money")
def money(value: float, decimals: int = 2) -> str:
    """An amount in major units, with the currency's decimals.

    >>> money(52713.6), money(1500.0, 0)
    ('52,713.60', '1,500')
    """
    return f"{value:,.{decimals}f}"


@blueprint.app_template_filter("change")
def change(value, unit: str = "count") -> str:
    """A change from the previous period, signed; empty when there is none.

    >>> change(12), change(-0.05, "share"), change(0.1, "ratio"), change(0)
    ('+12', '−5 points', '+0.10', 'no change')
    >>> change(-3600, "duration"), change(None)
    ('1 hour shorter', '')
    """
    if value is None:
        return ""
    if not value:
        return "no change"
    sign = "+" if value > 0 else "−"
    if unit == "share":
        points = abs(value) * 100
        return f"{sign}{points:.0f} point{'' if round(points) == 1 else 's'}"
    if unit == "ratio":
        return f"{sign}{abs(value):.2f}"
    if unit == "duration":
        return f"{duration(value)} {'longer' if value > 0 else 'shorter'}"
    return f"{sign}{abs(value):,}"


@blueprint.app_template_filter("day")
def day(iso: str) -> str:
    """An ISO 8601 day in words.

    >>> day("2026-03-01")
    '1 Mar 2026'
    """
    then = date.fromisoformat(iso)
    return f"{then.day} {then:%b %Y}"


@blueprint.app_template_filter("when")
def when(iso: str, now: datetime | None = None) -> str:
    """When something happened: how long ago within a week, else the day.

    >>> now = datetime(2026, 5, 10, 12, tzinfo=UTC)
    >>> when("2026-05-10T09:00:00Z", now), when("2026-04-30T23:59:59Z", now)
    ('3 hours ago', '30 Apr 2026')
    """
    then = datetime.fromisoformat(iso)
    now = now or datetime.now(UTC)
    if (now - then).days < 7:
        return ago(iso, now)
    return day(then.date().isoformat())
