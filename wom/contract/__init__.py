"""The contract: every event type and every API body, declared once (msgspec).

From these declarations come the decoding and validation of JSON and NDJSON in
one pass (``decoding``), the field-level problems of a 422, the OpenAPI
components (``document``) and the checks of CSV rows. No Flask, no SQL: the
store and the web layer both build on it.
"""

from .bodies import CustomerInput, FlagDecision, LinkInput
from .decoding import check_objects, decode_body, decode_events
from .events import EVENT_TYPES, MAX_EVENTS, CheckedEvent, Event, EventBatch
from .money import MAX_PURCHASE, currency_exponent, major, minor_units
from .problems import InvalidInput, TooMany, Unreadable
from .rules import EventRules, Refused
from .times import iso, now_micros, parse_time, to_micros

__all__ = [
    "EVENT_TYPES",
    "MAX_EVENTS",
    "MAX_PURCHASE",
    "CheckedEvent",
    "CustomerInput",
    "Event",
    "EventBatch",
    "EventRules",
    "FlagDecision",
    "InvalidInput",
    "LinkInput",
    "Refused",
    "TooMany",
    "Unreadable",
    "check_objects",
    "currency_exponent",
    "decode_body",
    "decode_events",
    "iso",
    "major",
    "minor_units",
    "now_micros",
    "parse_time",
    "to_micros",
]
