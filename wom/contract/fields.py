"""The field types every body is built from: ids, text, times, money.

Each carries its limits (checked by msgspec as it decodes, in C), its description
and example for the OpenAPI document, and the message a client reads when a value
breaks it (``problem``). No text anywhere may hold a control character (Unicode
category Cc): a NUL or an escape code is never typed by a person and breaks
whatever reads the text later (exports, terminals, other tools).

Free text (``text``, ``UserAgent``) carries that rule as its ``text`` mark and
its documented pattern rather than as a msgspec pattern: msgspec calls a regex
per string (about 0.4 µs each, most of a batch's decoding), while one scan of the
whole body (``decoding``) finds any control character at once. Where the scan
finds one, ``text_problem`` names the field.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, get_args, get_origin

import msgspec
from msgspec import Meta

__all__ = [
    "CONTROL",
    "CurrencyCode",
    "Email",
    "ExternalId",
    "LinkCode",
    "Money",
    "Moment",
    "UserAgent",
    "problem_of",
    "text",
    "text_problem",
]

# Unicode category Cc: the C0 controls, DEL and the C1 controls.
CONTROL = "\\x00-\\x1f\\x7f-\\x9f"
# Patterns end in \Z, not $: msgspec searches them, and $ would let a trailing
# newline through. The OpenAPI document writes $ (ECMA-262 has no \Z; there $
# is the very end).
_CONTROL = re.compile(f"[{CONTROL}]")
# Spaces, then one character that is not a space, then anything: each character
# is looked at once, whatever the string.
_FILLED = f"^[^{CONTROL}\\S]*[^{CONTROL}\\s][^{CONTROL}]*$"


def _meta(problem: str, **constraints) -> Meta:
    return Meta(extra={"problem": problem}, **constraints)


def _text_meta(problem: str, rule: str, pattern: str, **constraints) -> Meta:
    return Meta(
        extra={"problem": problem, "text": rule},
        extra_json_schema={"pattern": pattern},
        **constraints,
    )


def text(limit: int, description: str = "", example: str | None = None) -> Any:
    """A string of 1 to ``limit`` characters, not all spaces, no control character."""
    return Annotated[
        str,
        _text_meta(
            f"give a string of 1 to {limit} characters, without control characters",
            "filled",
            _FILLED,
            min_length=1,
            max_length=limit,
            description=description or None,
            examples=[example] if example else None,
        ),
    ]


ExternalId = Annotated[
    str,
    _meta(
        "give a customer id of 1 to 128 letters, digits or ._:@+-",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}\Z",
        description="A customer's id in your system (1 to 128 characters).",
        examples=["c-1001"],
    ),
]
# The shape of an email address, without control characters: a quick first look.
# EventRules.email then holds it to email-validator's syntax (emails.py).
Email = Annotated[
    str,
    _meta(
        "not an email address; give one like zoe@example.org",
        max_length=254,
        pattern=f"^[^@\\s{CONTROL}]{{1,64}}@[^@\\s.{CONTROL}]+"
        f"(\\.[^@\\s.{CONTROL}]+)+\\Z",
        examples=["zoe@example.org"],
    ),
]
LinkCode = text(64, "A referral link's code.", "k7m2xq9a")
UserAgent = Annotated[
    str,
    _text_meta(
        "give the User-Agent header as sent: at most 1,024 characters, "
        "without control characters",
        "any",
        f"^[^{CONTROL}]*$",
        max_length=1024,
        description="The clicker's User-Agent; bots and link previews count apart.",
        examples=["Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"],
    ),
]
Moment = Annotated[
    datetime,
    _meta(
        "give an ISO 8601 time with a zone, such as 2026-05-01T12:00:00Z",
        tz=True,
        description="RFC 3339 (ISO 8601) with a time zone; not before the "
        "time_floor setting (2000-01-01 unless changed) and no more than 5 "
        "minutes ahead.",
        examples=["2026-03-01T12:00:00Z"],
    ),
]
CurrencyCode = Annotated[
    str,
    _meta(
        "give the business's currency as a three-letter ISO 4217 code",
        pattern=r"^[A-Za-z]{3}\Z",
        description="Must be the business's currency (a setting).",
        examples=["EUR"],
    ),
]
# Kept as the number's own text, so that 0.29 is 29 cents and never a float near it.
Money = Annotated[
    msgspec.Raw,
    _meta(
        "give a number of 0 or more",
        description="In major units of the business's currency (12.34 is 12 euros "
        "34 cents), with no more decimals than the currency has (ISO 4217: 2 for "
        "EUR, 0 for JPY, 3 for KWD), and at most 10,000,000,000 minor units "
        "(100,000,000.00 EUR) in one purchase.",
        extra_json_schema={"type": "number", "minimum": 0, "examples": [49.9]},
    ),
]


def problem_of(kind: Any) -> str:
    """What to tell a client whose value does not fit ``kind``.

    >>> problem_of(ExternalId)
    'give a customer id of 1 to 128 letters, digits or ._:@+-'
    >>> problem_of(int | None)
    'give a whole number'
    >>> problem_of(Literal["approve", "void"])
    'give one of approve, void'
    """
    if get_origin(kind) is Literal:
        return f"give one of {', '.join(map(str, get_args(kind)))}"
    found = _mark(kind, "problem")
    if found is not None:
        return found
    bases = {get_args(p)[0] if get_origin(p) is Annotated else p for p in _parts(kind)}
    for base, message in _PLAIN_PROBLEMS:
        if base in bases:
            return message
    return "give a value of the documented type"


def text_problem(kind: Any, value: Any) -> str | None:
    """What is wrong with ``value`` under ``kind``'s text rule, or None.

    >>> [text_problem(text(5), value) is None for value in ("a\\x00b", " ", " ok ")]
    [False, False, True]
    >>> text_problem(UserAgent, "") is None
    True
    """
    rule = _mark(kind, "text")
    if rule is None or not isinstance(value, str):
        return None
    if _CONTROL.search(value) or (rule == "filled" and not value.strip()):
        return problem_of(kind)
    return None


def _mark(kind: Any, name: str) -> Any:
    for part in _parts(kind):
        if get_origin(part) is Annotated:
            for meta in part.__metadata__:
                if isinstance(meta, Meta) and meta.extra and name in meta.extra:
                    return meta.extra[name]
    return None


_PLAIN_PROBLEMS = (
    (str, "give a string"),
    (bool, "give true or false"),
    (int, "give a whole number"),
    (float, "give a number"),
)


def _parts(kind: Any) -> tuple:
    args = get_args(kind)
    if get_origin(kind) is Annotated or not args:
        return (kind,)
    return args
