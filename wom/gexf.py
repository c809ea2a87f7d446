"""A directed graph as GEXF 1.2, the format Gephi opens, with time for its timeline.

Nodes and edges may carry ``start``, an ISO 8601 date and time (``xs:dateTime``):
the graph is then dynamic with ``timeformat="dateTime"``, and Gephi's timeline plays
it. Every other attribute is declared once, typed by its values. The document uses
the namespace that Gephi and networkx write and read for GEXF 1.2
(``http://www.gexf.net/1.2draft``), and is streamed line by line.

networkx's own writer labels any string time ``timeformat="date"`` (a time of day
does not fit it) and writes a ``name`` on the graph that the 1.2 schema refuses;
its reader (3.6) does not know ``dateTime``, so read the GraphML export with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

__all__ = ["GEXF_NAMESPACE", "gexf_lines"]

GEXF_NAMESPACE = "http://www.gexf.net/1.2draft"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
# Attribute types, by the Python type of the values (bool before int: a bool is one).
_TYPES = ((bool, "boolean"), (int, "long"), (float, "double"), (str, "string"))
_TIME = "start"


def _type_of(value) -> str:
    for kind, name in _TYPES:
        if isinstance(value, kind):
            return name
    return "string"


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _declared(rows) -> dict[str, tuple[int, str]]:
    """Each attribute key -> (its GEXF id, its type); mixed types are strings."""
    types: dict[str, str] = {}
    for attrs in rows:
        for key, value in attrs.items():
            if key != _TIME:
                kind = _type_of(value)
                types[key] = kind if types.get(key, kind) == kind else "string"
    return {key: (i, kind) for i, (key, kind) in enumerate(sorted(types.items()))}


def _attributes(kind: str, declared: dict) -> Iterator[str]:
    yield f'    <attributes class="{kind}" mode="static">'
    for key, (i, type_) in declared.items():
        yield f'      <attribute id="{i}" title={quoteattr(key)} type="{type_}"/>'
    yield "    </attributes>"


def _element(tag: str, head: dict, attrs: dict, declared: dict) -> Iterator[str]:
    """One node or edge: its XML attributes, then its attribute values."""
    if _TIME in attrs:
        head = head | {_TIME: attrs[_TIME]}
    opening = " ".join(f"{k}={quoteattr(str(v))}" for k, v in head.items())
    values = [
        f'          <attvalue for="{declared[key][0]}" '
        f"value={quoteattr(_text(value))}/>"
        for key, value in attrs.items()
        if key != _TIME
    ]
    if not values:
        yield f"      <{tag} {opening}/>"
        return
    yield f"      <{tag} {opening}>"
    yield "        <attvalues>"
    yield from values
    yield "        </attvalues>"
    yield f"      </{tag}>"


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
    >>> print("\\n".join(line.strip() for line in lines if "ann" in line))
    <node id="ann" label="ann" start="2026-01-01T09:30:00Z">
    <edge id="0" source="ann" target="bob" start="2026-01-02T10:00:00Z">
    """
    nodes = _declared(attrs for _, attrs in G.nodes(data=True))
    edges = _declared(attrs for _, _, attrs in G.edges(data=True))
    timed = any(_TIME in a for _, a in G.nodes(data=True)) or any(
        _TIME in a for _, _, a in G.edges(data=True)
    )
    modified = modified or date.today()
    yield '<?xml version="1.0" encoding="UTF-8"?>'
    yield (
        f'<gexf xmlns="{GEXF_NAMESPACE}" xmlns:xsi="{_XSI}" '
        f'xsi:schemaLocation="{GEXF_NAMESPACE} {GEXF_NAMESPACE}/gexf.xsd" '
        'version="1.2">'
    )
    yield (
        f'  <meta lastmodifieddate="{modified.isoformat()}">'
        f"<creator>{escape(creator)}</creator></meta>"
    )
    kind = "directed" if G.is_directed() else "undirected"
    mode = 'mode="dynamic" timeformat="dateTime"' if timed else 'mode="static"'
    yield f'  <graph defaultedgetype="{kind}" {mode}>'
    if nodes:
        yield from _attributes("node", nodes)
    if edges:
        yield from _attributes("edge", edges)
    yield "    <nodes>"
    for u, attrs in G.nodes(data=True):
        yield from _element("node", {"id": u, "label": u}, attrs, nodes)
    yield "    </nodes>"
    yield "    <edges>"
    for i, (u, v, attrs) in enumerate(G.edges(data=True)):
        head = {"id": i, "source": u, "target": v}
        yield from _element("edge", head, attrs, edges)
    yield "    </edges>"
    yield "  </graph>"
    yield "</gexf>"
