"""Times in the service's plain-data answers: POSIX seconds as ISO 8601 UTC."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["iso"]


def iso(seconds: float | None) -> str | None:
    """POSIX seconds -> ISO 8601 UTC, for plain-data answers (None and NaN stay
    None).

    >>> iso(0), iso(None), iso(float("nan"))
    ('1970-01-01T00:00:00Z', None, None)
    """
    if seconds is None or seconds != seconds:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")
