"""A directed networkx graph as GEXF 1.2, the format Gephi opens, with time for
its timeline; written by the streaming writer of the exports
(:mod:`wom.exports.xml_graphs`).

Nodes and edges may carry ``start``, an ISO 8601 date and time (``xs:dateTime``):
the graph is dynamic with ``timeformat="dateTime"``, and Gephi's timeline plays
it. Every other attribute is declared once, typed by its values. The document uses
the namespace that Gephi and networkx write and read for GEXF 1.2
(``http://www.gexf.net/1.2draft``).

networkx's own writer labels any string time ``timeformat="date"`` (a time of day
does not fit it) and writes a ``name`` on the graph that the 1.2 schema refuses;
its reader (3.6) does not know ``dateTime``, so read the GraphML export with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import networkx as nx

from .exports.xml_graphs import GEXF_NAMESPACE, Schema, gexf

__all__ = ["GEXF_NAMESPACE", "gexf_lines"]

# Attribute types, by the Python type of the values (bool before int: a bool is one).
_TYPES = ((bool, "boolean"), (int, "long"), (float, "double"), (str, "string"))
_TIME = "start"


def _type_of(value) -> str:
    for kind, name in _TYPES:
        if isinstance(value, kind):
            return name
    return "string"


def _declared(rows) -> tuple[tuple[str, str], ...]:
    """Each attribute key with its type, sorted; mixed types are strings."""
    types: dict[str, str] = {}
    for attrs in rows:
        for key, value in attrs.items():
            if key != _TIME:
                kind = _type_of(value)
                types[key] = kind if types.get(key, kind) == kind else "string"
    return tuple(sorted(types.items()))


def _values(attrs: dict, declared) -> tuple:
    """A row's values in the declared order; strings for string attributes."""
    return tuple(
        None
        if attrs.get(key) is None
        else (str(attrs[key]) if kind == "string" else attrs[key])
        for key, kind in declared
    )


def gexf_lines(
    G: nx.DiGraph, *, creator: str = "wom", modified: date | None = None
) -> Iterator[str]:
    """``G`` as the lines of a GEXF 1.2 document (node ids as strings).

    >>> G = nx.DiGraph()
    >>> G.add_node("ann", status="customer", start="2026-01-01T09:30:00Z")
    >>> G.add_edge("ann", "bob", touches=2, start="2026-01-02T10:00:00Z")
    >>> lines = list(gexf_lines(G, modified=date(2026, 1, 3)))
    >>> print(lines[3].strip())
    <graph defaultedgetype="directed" mode="dynamic" timeformat="dateTime">
    >>> heads = [line.split("><")[0].strip() for line in lines if "ann" in line]
    >>> print("\\n".join(heads))
    <node id="ann" label="ann" start="2026-01-01T09:30:00Z"
    <edge id="0" source="ann" target="bob" start="2026-01-02T10:00:00Z"
    """
    nodes = _declared(attrs for _, attrs in G.nodes(data=True))
    edges = _declared(attrs for _, _, attrs in G.edges(data=True))
    node_rows = [
        (str(u), str(u), attrs.get(_TIME), _values(attrs, nodes))
        for u, attrs in G.nodes(data=True)
    ]
    edge_rows = [
        (str(u), str(v), attrs.get(_TIME), _values(attrs, edges))
        for u, v, attrs in G.edges(data=True)
    ]
    pieces = gexf(
        Schema(nodes, edges),
        [node_rows],
        [edge_rows],
        modified=modified or date.today(),
        creator=creator,
    )
    for piece in pieces:
        yield from piece.splitlines()
