"""POST /events: one event, ``{"events": [...]}``, or NDJSON, all or nothing.

Every event goes through the store's one road (``ingest``): checked against the
documented shape, appended and derived in one transaction, answered after COMMIT.
"""

from __future__ import annotations

import orjson
from flask import Response, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from ... import actions
from ...store import InvalidInput, now_micros
from ...store.checks import API_FIELDS, check_events
from ...store.decode import decode_event_list, decode_events_body
from ...store.settings import read_settings
from .. import api_batcher, store
from . import blueprint
from .auth import current_token
from .idempotency import idempotent, keeper
from .wire import arguments

__all__ = ["MAX_EVENTS", "NDJSON"]

MAX_EVENTS = 10_000
NDJSON = "application/x-ndjson"


def _too_many(count: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        f"{count} events in one request; send at most {MAX_EVENTS:,} "
        "and split the rest into more requests."
    )


def _ndjson_array(data: bytes) -> tuple[bytes, int]:
    """The NDJSON body as one JSON array, and its number of lines."""
    lines = [line for line in data.split(b"\n") if line.strip()]
    if len(lines) > MAX_EVENTS:
        raise _too_many(len(lines))
    # A JSON string never holds a raw newline, so the lines join safely; one parse
    # of the whole batch is several times faster than one per line.
    return b"[" + b",".join(lines) + b"]", len(lines)


def _from_ndjson(data: bytes) -> list:
    array, count = _ndjson_array(data)
    try:
        events = orjson.loads(array)
    except orjson.JSONDecodeError:
        events = None
    if events is None or len(events) != count:
        lines = [line for line in data.split(b"\n") if line.strip()]
        for index, line in enumerate(lines):
            try:
                orjson.loads(line)
            except orjson.JSONDecodeError:
                raise BadRequest(
                    f"Line {index + 1} (event {index}) is not one JSON object; "
                    "send one event per line."
                ) from None
        raise BadRequest("Send one JSON object per line.")
    return events


def _from_json(data: bytes) -> list:
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise BadRequest("The body is not valid JSON; check its syntax.") from None
    if isinstance(body, dict) and set(body) == {"events"}:
        events = body["events"]
        if isinstance(events, list):
            if len(events) > MAX_EVENTS:
                raise _too_many(len(events))
            return events
    elif isinstance(body, dict) and "events" not in body:
        return [body]
    raise InvalidInput.field(
        "(body)", 'give one event object, or {"events": [event, ...]}'
    )


def events_of_request() -> list:
    """The request's events, in any of the three accepted forms."""
    if request.mimetype == NDJSON:
        return _from_ndjson(request.get_data(cache=True))
    if request.mimetype == "application/json":
        return _from_json(request.get_data(cache=True))
    raise UnsupportedMediaType(
        f"Send events as application/json or {NDJSON} (one event per line)."
    )


def _decoded(currency: str, now: int) -> list | None:
    """The request's events checked in one pass, when the batch is wholly good."""
    data = request.get_data(cache=True)
    if request.mimetype == NDJSON:
        array, lines = _ndjson_array(data)
        events = decode_event_list(array, currency=currency, now=now)
        # A line holding `{...},{...}` joins into two events: one object a line,
        # or the thorough road says which line is wrong.
        return events if events is not None and len(events) == lines else None
    if request.mimetype == "application/json":
        events = decode_events_body(data, currency=currency, now=now)
        if events is not None and len(events) > MAX_EVENTS:
            raise _too_many(len(events))
        return events
    return None


@blueprint.post("/events")
@idempotent
def post_events():
    """Record events: all of them, or none and a 422 naming each problem."""
    arguments({})
    currency, now = read_settings(store().reader())["currency"], now_micros()
    events = _decoded(currency, now)
    if events is None:
        # Something is amiss, or the body has another form: the thorough road
        # parses it and names every problem.
        events = check_events(
            events_of_request(), currency=currency, now=now, fields=API_FIELDS
        )
    if not events:
        raise InvalidInput.field("events", "send at least one event")
    answer: dict = {}
    # The group commit may run this in another request's thread.
    keep = keeper()

    def finish(db, result) -> None:
        answer["payload"] = keep(
            db,
            200,
            {
                "received": len(events),
                "accepted": result.accepted,
                "replayed": result.replayed,
                "new_people": len(result.created_people),
                "first_seq": result.first_seq,
                "last_seq": result.last_seq,
            },
        )

    actions.record_events(
        api_batcher(), events, source=current_token()["name"], now=now, within=finish
    )
    return Response(answer["payload"], 200, mimetype="application/json")
