"""What goes over the wire: JSON replies, ISO 8601 times, checked query parameters.

Every query parameter is checked against the view's allow-list: an unknown name,
a repeated one or a bad value is a 400 naming the parameter and the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from flask import Response, request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from ...store import parse_time

__all__ = [
    "BadParameters",
    "arguments",
    "choice",
    "integer",
    "iso",
    "iso_seconds",
    "json_body",
    "moment",
    "reply",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BadParameters(BadRequest):
    """A 400 whose ``errors`` name each bad query parameter."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        first = errors[0]
        super().__init__(f"Query parameter {first['field']}: {first['message']}.")


def reply(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON response (orjson: fast, and strict about what it serialises)."""
    response = Response(orjson.dumps(body), status=status, mimetype="application/json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def iso(micros: int | None) -> str | None:
    """Microseconds since the epoch (UTC) -> ISO 8601 with a Z.

    >>> iso(0), iso(1_500_000)
    ('1970-01-01T00:00:00Z', '1970-01-01T00:00:01.500000Z')
    """
    if micros is None:
        return None
    moment = _EPOCH + timedelta(microseconds=micros)
    return moment.isoformat().replace("+00:00", "Z")


def iso_seconds(seconds: float | None) -> str | None:
    """POSIX seconds (the analytics' unit) -> ISO 8601 with a Z."""
    if seconds is None or seconds != seconds:
        return None
    return iso(round(seconds * 1_000_000))


def choice(*options: str) -> Callable[[str], str]:
    """A parser that takes one of ``options``."""

    def parse(value: str) -> str:
        if value not in options:
            raise ValueError(f"give one of {', '.join(options)}")
        return value

    return parse


def integer(low: int, high: int) -> Callable[[str], int]:
    """A parser of whole numbers from ``low`` to ``high``."""

    def parse(value: str) -> int:
        if not value.isascii() or not value.isdigit() or len(value) > 12:
            raise ValueError(f"give a whole number from {low} to {high}")
        number = int(value)
        if not low <= number <= high:
            raise ValueError(f"give a whole number from {low} to {high}")
        return number

    return parse


def moment(value: str) -> int:
    """A parser of ISO 8601 times with a zone -> microseconds."""
    return parse_time(value)


def arguments(allowed: dict[str, Callable[[str], Any]]) -> dict[str, Any]:
    """The request's query parameters, parsed; BadParameters for anything else."""
    problems, found = [], {}
    for name in sorted(set(request.args) - set(allowed)):
        known = ", ".join(allowed) or "none"
        problems.append(
            {
                "index": None,
                "field": name,
                "message": f"unknown parameter; this endpoint takes {known}",
            }
        )
    for name, parse in allowed.items():
        values = request.args.getlist(name)
        if len(values) > 1:
            problems.append({"index": None, "field": name, "message": "give it once"})
        elif values:
            try:
                found[name] = parse(values[0])
            except ValueError as exc:
                problems.append({"index": None, "field": name, "message": str(exc)})
    if "from" in found and "to" in found and found["from"] > found["to"]:
        # An empty answer would look like "nothing happened" rather than a typo.
        problems.append(
            {"index": None, "field": "to", "message": "give a time after from"}
        )
    if problems:
        raise BadParameters(problems)
    return found


def json_body() -> Any:
    """The request's JSON body: 415 for another media type, 400 if it does not parse."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            "Send the body as application/json (events also take application/x-ndjson)."
        )
    try:
        return orjson.loads(request.get_data(cache=True))
    except orjson.JSONDecodeError:
        raise BadRequest("The body is not valid JSON; check its syntax.") from None
