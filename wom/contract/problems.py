"""What breaking the contract raises: each names what to do instead."""

from __future__ import annotations

__all__ = ["InvalidInput", "TooMany", "Unreadable"]


class InvalidInput(Exception):
    """Bad input: nothing was written.

    ``errors`` lists each problem as ``{"index": int | None, "field": str,
    "message": str}``; the message says what to do instead.
    """

    def __init__(self, errors: list[dict]):
        self.errors = errors
        first = errors[0] if errors else {"field": "?", "message": "invalid input"}
        where = f"event {first['index']}: " if first.get("index") is not None else ""
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{where}{first['field']}: {first['message']}{more}")

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        """One problem with a request field (not an event's).

        >>> InvalidInput.field("code", "give 4 to 64 letters").errors
        [{'index': None, 'field': 'code', 'message': 'give 4 to 64 letters'}]
        """
        return cls([{"index": None, "field": field, "message": message}])


class Unreadable(ValueError):
    """The body is not the JSON (or NDJSON) it claims to be: a 400."""


class TooMany(ValueError):
    """More events in one body than one request may carry: a 413."""
