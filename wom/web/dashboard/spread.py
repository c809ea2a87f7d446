"""The Spread pages: /dashboard/spread lists the cascades, largest first by size,
depth or structural virality; /dashboard/spread/<root> draws one as a generational
tree and replays it in time. Each has its JSON twin (``.json``).
"""

from __future__ import annotations

from flask import redirect, url_for
from werkzeug.exceptions import NotFound

from ...analytics.virality import BROADCAST_BELOW, VIRAL_FROM, reading
from ...service import CASCADE_SORTS
from ...service.playback import DEFAULT_LIMIT, MAX_LIMIT, cascade_view
from ...store import people
from .. import analytics, store
from ..api.wire import arguments, choice, integer
from . import is_twin, page, show

__all__ = ["cascade", "cascades_data", "spread"]

LIST_LIMIT, LIST_MAX = 50, 500


def cascades_data(by: str, limit: int) -> dict:
    """The ``limit`` largest cascades by ``by``, named, each with its reading."""
    service = analytics()
    rows = service.cascades(by, limit)
    names = people.names_of(store().reader(), [row["external_id"] for row in rows])
    items = [
        {
            "id": row["external_id"],
            "name": names.get(row["external_id"]),
            "started_at": row["root_acquired_at"],
            "size": row["size"],
            "depth": row["depth"],
            "max_breadth": row["max_breadth"],
            "structural_virality": row["structural_virality"],
            "duration": row["duration"],
            "reading": reading(row["structural_virality"], row["size"], row["depth"])[
                "kind"
            ],
        }
        for row in rows
    ]
    with service.held() as (_, F, _):
        customers = F.number_of_nodes()
    return {
        "by": by,
        "sorts": list(CASCADE_SORTS),
        "limit": limit,
        "cascades": items,
        "more": len(items) == limit and limit < LIST_MAX,
        "customers": customers,
        "broadcast_below": BROADCAST_BELOW,
        "viral_from": VIRAL_FROM,
    }


@page("/dashboard/spread", nav="Spread", order=30)
def spread():
    """The cascades, sortable by size, depth and structural virality."""
    asked = arguments({"by": choice(*CASCADE_SORTS), "limit": integer(1, LIST_MAX)})
    data = cascades_data(asked.get("by", "size"), asked.get("limit", LIST_LIMIT))
    return show("dashboard/spread.html", data)


@page("/dashboard/spread/<external_id>")
def cascade(external_id: str):
    """One cascade as a generational tree, with its playback data."""
    asked = arguments({"limit": integer(1, MAX_LIMIT)})
    db = store().reader()
    node = people.person_id(db, external_id)  # NotFound: a 404
    service = analytics()
    data = cascade_view(service, node, asked.get("limit", DEFAULT_LIMIT))
    if data is None:
        figures = service.person(node) or {}
        root = figures.get("cascade_root")
        if root is None:
            raise NotFound(f"{external_id} has not started a cascade: not a customer.")
        endpoint = "dashboard.cascade_json" if is_twin() else "dashboard.cascade"
        return redirect(url_for(endpoint, external_id=root, **_kept(asked)), 303)
    names = people.names_of(db, [row["id"] for row in data["nodes"]])
    for row in data["nodes"]:
        row["name"] = names.get(row["id"])
    data["limit"] = asked.get("limit", DEFAULT_LIMIT)
    return show("dashboard/cascade.html", data)


def _kept(asked: dict) -> dict:
    return {"limit": asked["limit"]} if "limit" in asked else {}
