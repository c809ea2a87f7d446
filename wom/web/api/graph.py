"""GET /graph: the conversation graph for Gephi and friends (networkx writers).

JSON is networkx node-link data, GraphML comes from networkx's writer and GEXF
1.2 from :mod:`wom.gexf`. People are named by external id and times are ISO 8601.
In GEXF each node and edge carries ``start`` (a customer's conversion, a
conversation's first touch) as a date and time, so Gephi's timeline plays the
spread.
"""

from __future__ import annotations

import networkx as nx
import orjson
from flask import Response

from ...contract import major
from ...gexf import gexf_lines
from .. import analytics, store
from . import blueprint
from .people import money_exponent
from .wire import arguments, choice, iso_seconds, moment

__all__ = ["EDGE_KINDS", "FORMATS", "conversation_graph"]

EDGE_KINDS = ("link", "mention", "heard_from", "referral")
FORMATS = {
    "json": "application/json",
    "gexf": "application/gexf+xml",
    "graphml": "application/graphml+xml",
}


def _kinds(value: str) -> frozenset:
    asked = frozenset(part.strip() for part in value.split(","))
    if not asked or not asked <= set(EDGE_KINDS):
        raise ValueError(f"give a comma-separated list of {', '.join(EDGE_KINDS)}")
    return asked


def conversation_graph(
    since: float | None = None, kinds=None, exponent: int = 2
) -> nx.DiGraph:
    """A copy of ``G`` keyed by external id, plain attributes, optionally filtered.

    ``since`` (POSIX seconds) keeps conversations begun then or later, and the
    people they join or who converted then or later; ``kinds`` keeps edges of
    those kinds. Values go out in major units (``exponent`` decimals).
    """
    nodes, edges = [], []
    # Copy while the service holds still: G changes while events arrive.
    with analytics().graphs() as (G, F, _):
        for u, v, attrs in G.edges(data=True):
            if since is not None and attrs["first_at"] < since:
                continue
            if kinds is not None and not attrs["kinds"] & kinds:
                continue
            edges.append((u, v, attrs))
        touched = {u for u, _, _ in edges} | {v for _, v, _ in edges}
        for u, attrs in G.nodes(data=True):
            acquired = attrs.get("acquired_at")
            if (
                since is None
                or u in touched
                or (acquired is not None and acquired >= since)
            ):
                nodes.append((u, dict(attrs)))
        external = {u: attrs["external_id"] for u, attrs in nodes}
        credited = {(u, v) for u, v, _ in edges if F.has_edge(u, v)}
    first_heard: dict = {}
    for _, v, attrs in edges:
        first_heard[v] = min(first_heard.get(v, attrs["first_at"]), attrs["first_at"])
    H = nx.DiGraph(name="wom conversations")
    for u, attrs in nodes:
        row = {
            "status": attrs["status"],
            "acquired_via": attrs.get("acquired_via") or "",
            "value": float(major(attrs.get("value") or 0, exponent)),
        }
        acquired = iso_seconds(attrs.get("acquired_at"))
        if acquired is not None:
            row["acquired_at"] = acquired
        start = attrs.get("acquired_at")
        if start is None or (u in first_heard and first_heard[u] < start):
            start = first_heard.get(u, start)
        if start is not None:
            row["start"] = iso_seconds(start)
        H.add_node(external[u], **row)
    for u, v, attrs in edges:
        H.add_edge(
            external[u],
            external[v],
            kinds=",".join(sorted(attrs["kinds"])),
            touches=int(attrs["touches"]),
            first_at=iso_seconds(attrs["first_at"]),
            last_at=iso_seconds(attrs["last_at"]),
            converted=bool(attrs["converted"]),
            credited=(u, v) in credited,
            start=iso_seconds(attrs["first_at"]),
        )
    return H


@blueprint.get("/graph")
def export_graph():
    """The conversation graph as JSON (node-link), GEXF or GraphML."""
    asked = arguments({"format": choice(*FORMATS), "since": moment, "kinds": _kinds})
    chosen = asked.get("format", "json")
    since = asked.get("since")
    H = conversation_graph(
        None if since is None else since / 1_000_000,
        asked.get("kinds"),
        money_exponent(store().reader()),
    )
    headers = {"Content-Disposition": f'attachment; filename="wom-graph.{chosen}"'}
    if chosen == "json":
        body = orjson.dumps(nx.node_link_data(H, edges="edges"))
        return Response(body, mimetype=FORMATS[chosen], headers=headers)
    lines = gexf_lines(H) if chosen == "gexf" else nx.generate_graphml(H)
    return Response(
        (line + "\n" for line in lines), mimetype=FORMATS[chosen], headers=headers
    )
