"""POST /events: one event, ``{"events": [...]}``, or NDJSON, all or nothing.

The body is decoded and checked by the contract in one pass (``wom.contract``),
then appended and derived in one transaction with other requests' batches, and
answered after COMMIT.
"""

from __future__ import annotations

from flask import Response, request
from werkzeug.exceptions import UnsupportedMediaType

from ... import actions
from ...contract import MAX_EVENTS, CheckedEvent, decode_events
from ...store import now_micros
from ...store.settings import event_rules
from .. import api_batcher, store
from . import blueprint
from .auth import current_token
from .idempotency import idempotent, keeper
from .wire import arguments, contract_errors

__all__ = ["MAX_EVENTS", "NDJSON"]

NDJSON = "application/x-ndjson"


def events_of_request(now: int) -> list[CheckedEvent]:
    """The request's events, in any of the three accepted forms, checked."""
    if request.mimetype not in (NDJSON, "application/json"):
        raise UnsupportedMediaType(
            f"Send events as application/json or {NDJSON} (one event per line)."
        )
    rules = event_rules(store().reader(), now)
    form = "ndjson" if request.mimetype == NDJSON else "json"
    with contract_errors():
        return decode_events(request.get_data(cache=True), rules, form=form)


@blueprint.post("/events")
@idempotent
def post_events():
    """Record events: all of them, or none and a 422 naming each problem."""
    arguments({})
    now = now_micros()
    events = events_of_request(now)
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
