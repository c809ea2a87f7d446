"""Figures from the analytics service: starters, cascades and the spread over time.

People are named by external id; times are ISO 8601. The figures that the
background process computes are in ``structure.py``, the review flags in
``flags.py``.
"""

from __future__ import annotations

from flask import Response

from ...analytics.buckets import BUCKETS, TooManyBuckets
from ...contract import major
from ...service import CASCADE_SORTS
from ...store import NotFound, people
from .. import analytics, store
from . import blueprint
from .people import PERSON_FIGURES, money_exponent
from .wire import (
    BadParameters,
    arguments,
    choice,
    integer,
    iso,
    iso_seconds,
    moment,
    reply,
)

__all__ = ["STARTER_RANKINGS", "SINCE_RANKINGS"]

STARTER_RANKINGS = (
    "reach",
    "conversations",
    "influence",
    "value",
    "direct",
    "expected_spread",
)
# Rankings that can count only what happened since a time: ?by= -> the figure.
SINCE_RANKINGS = {
    "reach": "reach",
    "conversations": "conversations_started",
    "direct": "direct_referrals",
}


@blueprint.get("/starters")
def starters():
    """The top conversation starters by one docs/metrics.md figure."""
    asked = arguments(
        {
            "by": choice(*STARTER_RANKINGS),
            "limit": integer(1, 1000),
            "since": moment,
            "include": choice("prospects"),
        }
    )
    by, limit = asked.get("by", "reach"), asked.get("limit", 10)
    include = "include" in asked
    if "since" in asked:
        return _starters_since(by, limit, asked["since"], include)
    ranked = analytics().starters(by, limit, include_prospects=include)
    exponent = money_exponent(store().reader())
    items = [
        {"id": row["external_id"], "status": row["status"]}
        | {name: row.get(name) for name in PERSON_FIGURES}
        | {"referred_value": major(row.get("referred_value"), exponent)}
        for row in ranked["items"]
    ]
    return reply(
        {
            "by": by,
            "since": None,
            "ready": ranked.get("note") is None,
            "computed_at": ranked.get("computed_at"),
            "items": items,
        }
    )


def _starters_since(by: str, limit: int, since: int, include: bool) -> Response:
    if by not in SINCE_RANKINGS:
        raise BadParameters(
            [
                {
                    "index": None,
                    "field": "since",
                    "message": "since works with by="
                    + ", ".join(SINCE_RANKINGS)
                    + "; leave it out for this ranking",
                }
            ]
        )
    figures = analytics().starters_since(
        SINCE_RANKINGS[by], limit, since / 1_000_000, include_prospects=include
    )
    return reply(
        {
            "by": by,
            "since": iso(since),
            "ready": True,
            "computed_at": None,
            "items": figures,
        }
    )


def _cascade_row(row: dict) -> dict:
    return {
        "root": row["external_id"],
        "root_acquired_at": row["root_acquired_at"],
        "size": row["size"],
        "depth": row["depth"],
        "breadth": row["breadth"],
        "max_breadth": row["max_breadth"],
        "structural_virality": row["structural_virality"],
        "duration": row["duration"],
    }


@blueprint.get("/cascades")
def cascades():
    """The largest cascades by size, depth or structural virality."""
    asked = arguments({"by": choice(*CASCADE_SORTS), "limit": integer(1, 1000)})
    rows = analytics().cascades(asked.get("by", "size"), asked.get("limit", 10))
    return reply(
        {"by": asked.get("by", "size"), "items": [_cascade_row(r) for r in rows]}
    )


def _nested(tree: dict, exponent: int) -> dict:
    """The service's tree in the API's shape (values in major units), built
    without recursion."""
    out = {}
    stack = [(tree, out)]
    while stack:
        node, shaped = stack.pop()
        shaped.update(
            id=node["external_id"],
            acquired_at=iso_seconds(node["acquired_at"]),
            value=major(node["value"], exponent),
            kind=node["kind"],
            hidden=node["hidden"],
            children=[{} for _ in node["children"]],
        )
        stack.extend(zip(node["children"], shaped["children"], strict=True))
    return out


@blueprint.get("/cascades/<root_id>")
def cascade(root_id: str):
    """One cascade: its figures and its tree, nested, down to ``max_depth``."""
    asked = arguments({"max_depth": integer(0, 100)})
    pid = people.person_id(store().reader(), root_id)
    found = analytics().cascade(pid, max_depth=asked.get("max_depth", 20))
    if found is None:
        figures = analytics().person(pid) or {}
        root = figures.get("cascade_root")
        hint = (
            f"its cascade starts at {root!r}"
            if root
            else "only customers start cascades"
        )
        raise NotFound(f"{root_id!r} is not the root of a cascade; {hint}.")
    exponent = money_exponent(store().reader())
    return reply(_cascade_row(found) | {"tree": _nested(found["tree"], exponent)})


@blueprint.get("/spread")
def spread():
    """The spread series, with wom_share, k_factor and cycle_time over the range."""
    asked = arguments({"bucket": choice(*BUCKETS), "from": moment, "to": moment})
    start, end = asked.get("from"), asked.get("to")
    try:
        found = analytics().spread(
            asked.get("bucket", "week"),
            None if start is None else start / 1_000_000,
            None if end is None else end / 1_000_000,
        )
    except TooManyBuckets as exc:
        error = {"index": None, "field": "bucket", "message": str(exc)}
        raise BadParameters([error]) from None
    series = [
        row | {"start": iso_seconds(row["start"]), "end": iso_seconds(row["end"])}
        for row in found["series"]
    ]
    return reply(
        {
            "bucket": found["bucket"],
            "time_zone": found["time_zone"],
            "from": iso(start),
            "to": iso(end),
            "wom_share": found["wom_share"],
            "k_factor": found["k_factor"],
            "cycle_time": found["cycle_time"],
            "series": series,
        }
    )
