"""Bodies in, Structs out: one decode of the whole batch, and on any problem a
second look, event by event and field by field, that names every one of them.

``decode_events`` takes POST /events' three forms (one event object,
``{"events": [...]}``, NDJSON), CSV rows made JSON, and the landing pages' events.
``decode_body`` takes any other request body. Problems are raised as
``InvalidInput`` (422), ``Unreadable`` (400) or ``TooMany`` (413).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import msgspec

from .events import (
    EVENT_CLASSES,
    MAX_EVENTS,
    CheckedEvent,
    Event,
    EventBatch,
    checked_events,
)
from .fields import problem_of, text_problem
from .problems import InvalidInput, TooMany, Unreadable
from .rules import EventRules, Refused

__all__ = [
    "check_objects",
    "decode_body",
    "decode_events",
    "event_problems",
    "struct_problems",
]

_BATCH = msgspec.json.Decoder(EventBatch)
_ONE = msgspec.json.Decoder(Event)
_LIST = msgspec.json.Decoder(list[Event])
_FIELDS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_RAWS = msgspec.json.Decoder(list[msgspec.Raw])
_RAW = msgspec.json.Decoder(msgspec.Raw)
_BODY_SHAPE = 'give one event object, or {"events": [event, ...]}'
# In a JSON text a control character is always an escape (\n, \u001b, \u0085...)
# or, for DEL and the C1 controls, their raw bytes: a body without any of these
# holds none, in any string. One scan, instead of a regex per string.
_MAY_HOLD_CONTROL = re.compile(
    rb"\\(?:[bfnrt]|u00[0189][0-9a-fA-F]|u007[fF])|\x7f|\xc2[\x80-\x9f]"
)


def _may_hold_control(data: bytes) -> bool:
    # Three byte searches (memchr) clear most bodies before any regex runs.
    return (b"\\" in data or b"\x7f" in data or b"\xc2" in data) and bool(
        _MAY_HOLD_CONTROL.search(data)
    )


def _too_many(count: int) -> TooMany:
    return TooMany(
        f"{count} events in one request; send at most {MAX_EVENTS:,} "
        "and split the rest into more requests."
    )


def _lines(data: bytes) -> list[bytes]:
    lines = [line for line in data.split(b"\n") if line.strip()]
    if len(lines) > MAX_EVENTS:
        raise _too_many(len(lines))
    return lines


def _decoded(data: bytes, form: str) -> list | None:
    """The events of a wholly well-formed body, in one pass; None otherwise."""
    if _may_hold_control(data):
        return None  # the second look says which string, if any, holds one
    try:
        if form == "list":
            return _LIST.decode(data)
        if form == "ndjson":
            lines = _lines(data)
            # A JSON text never holds a raw newline, so the lines join safely
            # into one array; a line holding `{...},{...}` would join into two
            # events, so the count must match.
            events = _LIST.decode(b"[" + b",".join(lines) + b"]")
            return events if len(events) == len(lines) else None
        try:
            # At most MAX_EVENTS: a longer list is counted again, and refused,
            # by the second look.
            return _BATCH.decode(data).events
        except msgspec.DecodeError:
            return [_ONE.decode(data)]
    except msgspec.DecodeError:  # ValidationError is one too
        return None


@contextmanager
def _readable() -> Iterator[None]:
    """What msgspec raises beside DecodeError, for a body that is no JSON text
    at all, as Unreadable (400): bytes that are not UTF-8 in a string, and
    nesting deeper than the interpreter's stack (the soak's bad-input corpus
    found both answered 500)."""
    try:
        yield
    except UnicodeDecodeError:
        raise Unreadable("The body is not UTF-8; send JSON encoded as UTF-8.") from None
    except RecursionError:
        raise Unreadable(
            "The body nests deeper than any event does; check its syntax."
        ) from None


def decode_events(
    data: bytes, rules: EventRules, *, form: str = "json"
) -> list[CheckedEvent]:
    """Events from a body, checked against the contract and ``rules``: all of
    them, or an exception naming every problem.

    ``form`` is ``json`` (one event, or ``{"events": [...]}``, at most
    MAX_EVENTS), ``ndjson`` (one event a line, at most MAX_EVENTS) or ``list``
    (a JSON array of any length: what the server itself checks).
    """
    with _readable():
        return _decode_events(data, rules, form)


def _decode_events(data: bytes, rules: EventRules, form: str) -> list[CheckedEvent]:
    decoded = _decoded(data, form)
    if decoded is not None:
        try:
            found = checked_events(decoded, rules)
        except Refused:
            pass
        else:
            if not found and form != "list":
                raise InvalidInput.field("events", "send at least one event")
            return found
    if form == "list":
        raws = _RAWS.decode(data)
        if not raws:
            return []
    else:
        raws = _ndjson_events(data) if form == "ndjson" else _json_events(data)
    return _diagnosed(raws, rules)


_LIST_ENCODER = msgspec.json.Encoder(decimal_format="number")
# Facts only the server records (an IP's HMAC, a user agent's class): never
# taken from a client, so they are no field of the contract's events.
TRUSTED = ("ip_hmac", "ua_class")


def check_objects(objects: list[dict], rules: EventRules) -> list[CheckedEvent]:
    """Events given as Python dicts (datetimes, numbers or Decimals allowed),
    checked exactly as a client's would be, plus the server's own facts."""
    told = [
        {key: value for key, value in e.items() if key not in TRUSTED}
        if isinstance(e, dict)
        else e
        for e in objects
    ]
    try:
        data = _LIST_ENCODER.encode(told)
    except TypeError as exc:  # what JSON cannot hold is no event
        raise InvalidInput.field("events", str(exc)) from None
    events = decode_events(data, rules, form="list")
    problems = []
    for event, given in zip(events, objects, strict=True):
        for key in TRUSTED:
            if given.get(key) is not None:  # given is a dict: it decoded as one
                setattr(event, key, given[key])
        if event.ua_class not in (None, "human", "bot"):
            problems.append(
                {
                    "index": event.index,
                    "field": "ua_class",
                    "message": "give human or bot",
                }
            )
    if problems:
        raise InvalidInput(problems)
    return events


def _json_events(data: bytes) -> list[msgspec.Raw]:
    try:
        top = _FIELDS.decode(data)
    except msgspec.ValidationError:
        raise InvalidInput.field("(body)", _BODY_SHAPE) from None
    except msgspec.DecodeError:
        raise Unreadable("The body is not valid JSON; check its syntax.") from None
    if "events" not in top:
        return [msgspec.Raw(data)]
    if set(top) != {"events"}:
        raise InvalidInput.field("(body)", _BODY_SHAPE)
    try:
        events = _RAWS.decode(top["events"])
    except msgspec.ValidationError:
        raise InvalidInput.field("events", "give a list of events") from None
    if len(events) > MAX_EVENTS:
        raise _too_many(len(events))
    return events


def _ndjson_events(data: bytes) -> list[msgspec.Raw]:
    events = []
    for index, line in enumerate(_lines(data)):
        try:
            events.append(_RAW.decode(line))
        except msgspec.DecodeError:
            raise Unreadable(
                f"Line {index + 1} (event {index}) is not one JSON object; "
                "send one event per line."
            ) from None
    return events


def _diagnosed(raws: list[msgspec.Raw], rules: EventRules) -> list[CheckedEvent]:
    if not raws:
        raise InvalidInput.field("events", "send at least one event")
    found, problems = [], []
    for index, raw in enumerate(raws):
        named = event_problems(raw, rules)
        if named:
            problems += [
                {"index": index, "field": field, "message": message}
                for field, message in named
            ]
        elif not problems:
            event = _ONE.decode(raw)
            found.append(event.checked(index, rules.moment(event.at), rules))
    if problems:
        raise InvalidInput(problems)
    return found


def event_problems(raw: msgspec.Raw | bytes, rules: EventRules) -> list[tuple]:
    """Every problem of one event, as (field, message) pairs; [] if it is good."""
    try:
        fields = _FIELDS.decode(raw)
    except msgspec.DecodeError:
        return [("(event)", "give a JSON object")]
    try:
        kind = EVENT_CLASSES.get(msgspec.json.decode(fields.get("type", b"null")))
    except (msgspec.DecodeError, TypeError):  # a list or an object is no type
        kind = None
    if kind is None:
        return [("type", f"give one of {', '.join(EVENT_CLASSES)}")]
    fields.pop("type")
    return struct_problems(
        fields, kind, rules, what=f"a {kind.__struct_config__.tag} event"
    )


# Rules that depend on the business, by wire name: run on values of the right type.
_RULES = {
    "at": EventRules.moment,
    "acquired_at": EventRules.moment,
    "value": EventRules.minor_units,
    "currency": EventRules.currency_of,
    "email": EventRules.email,
}


def struct_problems(
    fields: dict[str, msgspec.Raw],
    kind: type[msgspec.Struct],
    rules: EventRules | None = None,
    *,
    what: str = "this body",
) -> list[tuple]:
    """Each problem of ``fields`` against the Struct ``kind``, field by field."""
    problems, values = [], {}
    declared = _declared(kind)
    for name in sorted(set(fields) - set(declared)):
        problems.append((name, f"not a field of {what}; remove it"))
    for name, (info, decoder) in declared.items():
        raw = fields.get(name)
        if raw is None:
            if info.required:
                problems.append((name, "required"))
            continue
        try:
            values[name] = decoder.decode(raw)
        except msgspec.ValidationError:
            is_null = bytes(raw) == b"null"
            problems.append(
                (
                    name,
                    "required" if is_null and info.required else problem_of(info.type),
                )
            )
            continue
        if (wrong := text_problem(info.type, values[name])) is not None:
            problems.append((name, wrong))
            continue
        if rules is not None and name in _RULES:
            try:
                _RULES[name](rules, values[name])
            except Refused as exc:
                problems.append((name, exc.message))
    if {"from", "to"} <= set(values) and values["from"] == values["to"]:
        problems.append(("to", "nobody tells themselves about us; name someone else"))
    return problems


def _ruled(found: msgspec.Struct, rules: EventRules | None) -> list[tuple]:
    """The problems of a decoded body: its text, and what ``rules`` govern."""
    problems = []
    for info in msgspec.structs.fields(found):
        value = getattr(found, info.name)
        if (wrong := text_problem(info.type, value)) is not None:
            problems.append((info.encode_name, wrong))
        elif rules is not None and info.encode_name in _RULES and value is not None:
            if value is msgspec.UNSET:
                continue
            try:
                _RULES[info.encode_name](rules, value)
            except Refused as exc:
                problems.append((info.encode_name, exc.message))
    return problems


@cache
def _declared(kind: type) -> dict[str, tuple[Any, msgspec.json.Decoder]]:
    """A Struct's fields by wire name, each with a decoder of its type alone."""
    return {
        info.encode_name: (info, msgspec.json.Decoder(info.type))
        for info in msgspec.structs.fields(kind)
    }


def decode_body(data: bytes, kind: type, rules: EventRules | None = None):
    """A request body as the Struct ``kind``; every problem raised at once.

    With ``rules``, fields they govern (``acquired_at``...) are checked too.
    """
    with _readable():
        return _decode_body(data, kind, rules)


def _decode_body(data: bytes, kind: type, rules: EventRules | None):
    try:
        found = msgspec.json.decode(data, type=kind)
    except msgspec.ValidationError:
        problems = _body_problems(data, kind, rules)
    except msgspec.DecodeError:
        raise Unreadable("The body is not valid JSON; check its syntax.") from None
    else:
        problems = _ruled(found, rules)
        if not problems:
            return found
    raise InvalidInput(
        [{"index": None, "field": field, "message": text} for field, text in problems]
    )


def _body_problems(data: bytes, kind: type, rules: EventRules | None) -> list:
    try:
        fields = _FIELDS.decode(data)
    except msgspec.ValidationError:
        return [("(body)", "give a JSON object")]
    return struct_problems(fields, kind, rules) or [
        ("(body)", "give the body the documentation describes")
    ]
