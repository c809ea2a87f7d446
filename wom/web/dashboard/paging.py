"""Query parameters of the dashboard's tables: an allow-listed sort, a bounded
limit, and an opaque cursor that is checked before anything reads it.

A cursor is base64url JSON ``[sort, value, id]``: the sort it pages, the last
row's sort value and its internal id. Anything else (another sort's cursor, a
forged value, a string too long) is a 400 that names the parameter.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

import orjson
from flask import request
from werkzeug.exceptions import BadRequest

__all__ = ["CURSOR_MAX", "bad_parameter", "cursor_of", "encode_cursor", "number"]

CURSOR_MAX = 512


def bad_parameter(name: str, message: str) -> BadRequest:
    """A 400 that names the parameter and what to give instead."""
    error = BadRequest(f"{name}: {message}")
    error.errors = [{"index": None, "field": name, "message": message}]
    return error


def encode_cursor(sort: str, key: tuple) -> str:
    """The cursor that pages ``sort`` after ``key`` = ``(value, id)``."""
    raw = orjson.dumps([sort, *key])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _integer(value) -> bool:
    return type(value) is int and -(2**63) <= value < 2**63


def number(value) -> bool:
    """A JSON number SQLite and numpy compare safely (not a bool, not huge).

    >>> number(3), number(2.5), number(True), number(2**70), number("3")
    (True, True, False, False, False)
    """
    return _integer(value) or (type(value) is float and value == value)


def cursor_of(sort: str, valid_value: Callable[[object], bool]) -> tuple | None:
    """The ``(value, id)`` key of the request's ``cursor`` for ``sort``, None
    without one; a 400 unless it is a cursor this table gave for ``sort``."""
    text = request.args.get("cursor")
    if text is None:
        return None
    problem = "give the next page's link unchanged, or leave the cursor out"
    if len(text) > CURSOR_MAX:
        raise bad_parameter("cursor", problem)
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(text.encode() + b"=="))
    except (binascii.Error, orjson.JSONDecodeError, ValueError):
        raise bad_parameter("cursor", problem) from None
    if not (
        isinstance(decoded, list)
        and len(decoded) == 3
        and decoded[0] == sort
        and _integer(decoded[2])
        and valid_value(decoded[1])
    ):
        raise bad_parameter("cursor", problem)
    return decoded[1], decoded[2]
