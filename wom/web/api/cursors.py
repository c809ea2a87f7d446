"""Paging cursors: opaque to clients, checked and bounded when they come back.

A cursor is a small JSON list, base64url-encoded. Clients pass back the
``next_cursor`` of the previous page unchanged; anything else (made up, edited,
cut, or longer than any cursor wom writes) is refused with a 400.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

import orjson

__all__ = ["MAX_CURSOR_LENGTH", "decode_cursor", "encode_cursor", "cursor_of"]

#: Longer than any cursor wom writes; a longer one is refused before decoding.
MAX_CURSOR_LENGTH = 512

UNCHANGED = "give the next_cursor of the previous page, unchanged"


def encode_cursor(parts: list) -> str:
    """``parts`` as an opaque cursor.

    >>> encode_cursor(["held:3:1:"])
    'WyJoZWxkOjM6MToiXQ'
    """
    raw = orjson.dumps(parts)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> list:
    """The list a cursor encodes, or ValueError when it is not one wom wrote.

    >>> decode_cursor(encode_cursor(["held:3:1:"]))
    ['held:3:1:']
    >>> decode_cursor("' OR 1=1--")
    Traceback (most recent call last):
    ...
    ValueError: give the next_cursor of the previous page, unchanged
    """
    if len(value) > MAX_CURSOR_LENGTH:
        raise ValueError(f"a cursor is at most {MAX_CURSOR_LENGTH} characters")
    try:
        # validate=True: characters outside base64url are an error, not skipped.
        padded = value + "=" * (-len(value) % 4)
        raw = base64.b64decode(padded.encode(), altchars=b"-_", validate=True)
        decoded = orjson.loads(raw)
    except (binascii.Error, orjson.JSONDecodeError, ValueError):
        raise ValueError(UNCHANGED) from None
    if not isinstance(decoded, list):
        raise ValueError(UNCHANGED)
    return decoded


def cursor_of(valid: Callable[[list], bool]) -> Callable[[str], list]:
    """A query parameter parser: a cursor whose parts ``valid`` accepts."""

    def parse(value: str) -> list:
        decoded = decode_cursor(value)
        if not valid(decoded):
            raise ValueError(UNCHANGED)
        return decoded

    return parse
