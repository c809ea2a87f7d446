"""What goes over the wire: JSON replies, ISO 8601 times, checked query parameters.

Every query parameter is checked against the view's allow-list: an unknown name,
a repeated one or a bad value is a 400 naming the parameter and the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from flask import Response, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from ...contract import TooMany, Unreadable, decode_body, iso, parse_time
from ...contract.rules import EventRules

__all__ = [
    "BadParameters",
    "arguments",
    "body",
    "choice",
    "contract_errors",
    "integer",
    "iso",
    "iso_seconds",
    "moment",
    "reply",
]


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


def arguments(
    allowed: dict[str, Callable[[str], Any]], *, repeated: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The request's query parameters, parsed; BadParameters for anything else.

    A name in ``repeated`` may come more than once (a form's checkboxes): its
    value is the list of each one parsed."""
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
        if name in repeated:
            try:
                found[name] = [parse(value) for value in values]
            except ValueError as exc:
                problems.append({"index": None, "field": name, "message": str(exc)})
        elif len(values) > 1:
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


@contextmanager
def contract_errors() -> Iterator[None]:
    """The contract's refusals as HTTP errors: 400 unreadable, 413 too many (a
    422, InvalidInput, is the error handler's)."""
    try:
        yield
    except Unreadable as exc:
        raise BadRequest(str(exc)) from None
    except TooMany as exc:
        raise RequestEntityTooLarge(str(exc)) from None


def body(kind: type, rules: EventRules | None = None) -> Any:
    """The request's JSON body decoded as the contract's ``kind``: 415 for another
    media type, 400 if it does not parse, 422 naming each field that is wrong."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            "Send the body as application/json (events also take application/x-ndjson)."
        )
    with contract_errors():
        return decode_body(request.get_data(cache=True), kind, rules)
