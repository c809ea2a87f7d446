"""The Graph page, /dashboard/graph: the conversation graph, drawn in the browser.

The server chooses what to draw (``wom.service.subgraph``: the top starters'
cascades, at most ``limit`` people) and the page draws exactly the dict its twin,
/dashboard/graph.json, returns. Filters are query parameters from an allow-list;
a bad one is a 400.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import redirect, request

from ...service.graph_view import graph_view
from ...service.subgraph import DEFAULT_LIMIT, EDGE_KINDS, MAX_LIMIT, Filters
from ...store import people
from ...store.lookup import find_person
from .. import analytics, store
from ..api.people import money_exponent
from ..api.wire import arguments, choice, integer
from . import page, show

__all__ = ["GRAPH_PARAMETERS", "day", "graph", "graph_data", "text"]


def day(value: str) -> date:
    """A parser of calendar days, YYYY-MM-DD (what a date input sends)."""
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("give a day as YYYY-MM-DD") from None


def text(value: str) -> str:
    """A parser of a short search text (1 to 200 characters once trimmed)."""
    value = value.strip()
    if not 0 < len(value) <= 200:
        raise ValueError("give 1 to 200 characters")
    return value


GRAPH_PARAMETERS = {
    "from": day,
    "to": day,
    "kinds": choice(*EDGE_KINDS),
    "converted": choice("1"),
    "min_reach": integer(0, 1_000_000_000),
    "limit": integer(1, MAX_LIMIT),
    "focus": text,
}


def _seconds(day_: date | None, zone: str, after: bool = False) -> float | None:
    """The start of a day in the business's time zone (of the next day with
    ``after``), as POSIX seconds."""
    if day_ is None:
        return None
    if after:
        day_ += timedelta(days=1)
    return datetime.combine(day_, time(), ZoneInfo(zone)).timestamp()


def graph_data(asked: dict) -> dict:
    """What the Graph page draws for the checked parameters ``asked``."""
    db = store().reader()
    service = analytics()
    service.ensure_loaded()
    zone = service.settings["time_zone"]
    kinds = asked.get("kinds") or []
    filters = Filters(
        start=_seconds(asked.get("from"), zone),
        end=_seconds(asked.get("to"), zone, after=True),
        kinds=frozenset(kinds) if kinds and set(kinds) != set(EDGE_KINDS) else None,
        converted_only="converted" in asked,
        min_reach=asked.get("min_reach", 0),
    )
    query = asked.get("focus")
    focus = None if query is None else find_person(db, query)
    data = graph_view(
        service,
        filters,
        asked.get("limit", DEFAULT_LIMIT),
        focus=focus,
        exponent=money_exponent(db),
    )
    names = people.names_of(db, [row["id"] for row in data["nodes"]])
    for row in data["nodes"]:
        row["name"] = names.get(row["id"])
    data["filters"] = {
        "from": None if "from" not in asked else asked["from"].isoformat(),
        "to": None if "to" not in asked else asked["to"].isoformat(),
        "kinds": sorted(kinds) or list(EDGE_KINDS),
        "converted": filters.converted_only,
        "min_reach": filters.min_reach,
        "limit": asked.get("limit", DEFAULT_LIMIT),
        "focus": query,
    }
    data["kinds"] = list(EDGE_KINDS)
    data["time_zone"] = zone
    data["currency"] = service.settings["currency"]
    return data


@page("/dashboard/graph", nav="Graph", order=20)
def graph():
    """The conversation graph: the top starters' cascades, filtered."""
    blank = [name for name, value in request.args.items(multi=True) if not value]
    if blank:
        # A form sends its empty fields: the same page without them.
        kept = [(k, v) for k, v in request.args.items(multi=True) if v]
        return redirect(request.path + ("?" + urlencode(kept) if kept else ""), 303)
    asked = arguments(GRAPH_PARAMETERS, repeated=("kinds",))
    return show("dashboard/graph.html", graph_data(asked))
