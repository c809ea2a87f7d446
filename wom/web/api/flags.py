"""Review flags: list them, and approve or void the credits one names."""

from __future__ import annotations

from flask import Response

from ... import actions
from ...contract import FlagDecision
from ...store import flags, now_micros
from .. import store
from . import blueprint
from .cursors import cursor_of, encode_cursor
from .idempotency import idempotent, keep
from .people import credited_referrer
from .structure import computed_at
from .wire import arguments, body, choice, integer, iso, reply

__all__ = ["DECISIONS", "FLAG_KINDS"]

DECISIONS = actions.flags.DECISIONS

FLAG_KINDS = flags.FLAG_KINDS
# A flags cursor is [the last key of the page]: checked like every other cursor.
_cursor = cursor_of(
    lambda parts: (
        len(parts) == 1
        and type(parts[0]) is str
        and flags.FLAG_KEY.fullmatch(parts[0]) is not None
    )
)


@blueprint.get("/flags")
def list_flags():
    """Review flags (attribution's and the graph checks'), with their status."""
    asked = arguments(
        {
            "kind": choice(*FLAG_KINDS),
            "status": choice("open", "approved", "voided"),
            "limit": integer(1, 1000),
            "cursor": _cursor,
        }
    )
    limit = asked.get("limit", 100)
    page = flags.list_flags(
        store().reader(),
        kind=asked.get("kind"),
        status=asked.get("status"),
        after=asked["cursor"][0] if "cursor" in asked else None,
        limit=limit + 1,
    )
    items = [
        row | {"raised_at": iso(row["raised_at"]), "decided_at": iso(row["decided_at"])}
        for row in page[:limit]
    ]
    following = len(page) > limit
    return reply(
        {
            "items": items,
            "next_cursor": encode_cursor([items[-1]["id"]]) if following else None,
            "computed_at": computed_at(),
        }
    )


@blueprint.post("/flags/<flag_id>")
@idempotent
def decide_flag(flag_id: str):
    """Approve or void the credits a flag names."""
    arguments({})
    decision = body(FlagDecision).decision
    answer = {}

    def finish(db, outcome: dict) -> None:
        credit = outcome["credit"]
        found = {key: outcome[key] for key in ("id", "status", "customer", "credits")}
        found["credited_referrer"] = credit and credited_referrer(credit)
        answer["payload"] = keep(db, 200, found)

    actions.decide_flag(store(), flag_id, decision, now=now_micros(), within=finish)
    return Response(answer["payload"], 200, mimetype="application/json")
