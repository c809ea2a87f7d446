"""POST /events: one event, ``{"events": [...]}``, or NDJSON, all or nothing.

Every event goes through the store's one road (``ingest``): checked against the
documented shape, appended and derived in one transaction, answered after COMMIT.
"""

from __future__ import annotations

import orjson
from flask import Response, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from ...store import InvalidInput, ingest
from ...store.ingest import API_FIELDS
from .. import store
from . import blueprint
from .auth import current_token
from .idempotency import idempotent, keep
from .wire import arguments

__all__ = ["MAX_EVENTS", "NDJSON"]

MAX_EVENTS = 10_000
NDJSON = "application/x-ndjson"


def _too_many(count: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        f"{count} events in one request; send at most {MAX_EVENTS:,} "
        "and split the rest into more requests."
    )


def _from_ndjson(data: bytes) -> list:
    lines = [line for line in data.split(b"\n") if line.strip()]
    if len(lines) > MAX_EVENTS:
        raise _too_many(len(lines))
    try:
        # One parse of the whole batch is several times faster than one per line;
        # a JSON string never holds a raw newline, so the lines join safely.
        events = orjson.loads(b"[" + b",".join(lines) + b"]")
    except orjson.JSONDecodeError:
        events = None
    if events is None or len(events) != len(lines):
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
    raise InvalidInput(
        [
            {
                "index": None,
                "field": "(body)",
                "message": 'give one event object, or {"events": [event, ...]}',
            }
        ]
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


@blueprint.post("/events")
@idempotent
def post_events():
    """Record events: all of them, or none and a 422 naming each problem."""
    arguments({})
    raw = events_of_request()
    if not raw:
        raise InvalidInput(
            [{"index": None, "field": "events", "message": "send at least one event"}]
        )
    answer: dict = {}

    def finish(db, result) -> None:
        answer["payload"] = keep(
            db,
            200,
            {
                "received": len(raw),
                "accepted": result.accepted,
                "replayed": result.replayed,
                "new_people": len(result.created_people),
                "first_seq": result.first_seq,
                "last_seq": result.last_seq,
            },
        )

    ingest(
        store(), raw, source=current_token()["name"], fields=API_FIELDS, within=finish
    )
    return Response(answer["payload"], 200, mimetype="application/json")
