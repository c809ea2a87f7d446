"""Directed graphs as GEXF 1.2 or GraphML, written as a stream.

The attributes are declared up front (``Schema``), so a document is written in
one pass over its node and edge chunks, one text piece per chunk, and never held
whole. ``start`` (an ISO 8601 date and time) is GEXF's own time: with it the
graph is dynamic with ``timeformat="dateTime"``, and Gephi's timeline plays it;
GraphML carries it as a plain attribute. GEXF uses the namespace Gephi and
networkx write for 1.2 (``http://www.gexf.net/1.2draft``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape, quoteattr

__all__ = ["GEXF_NAMESPACE", "GRAPHML_NAMESPACE", "Schema", "gexf", "graphml"]

GEXF_NAMESPACE = "http://www.gexf.net/1.2draft"
GRAPHML_NAMESPACE = "http://graphml.graphdrawing.org/xmlns"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Schema:
    """Attribute name -> type (``string``, ``long``, ``double`` or ``boolean``),
    for nodes and for edges, in the order they are written."""

    nodes: dict[str, str]
    edges: dict[str, str]


def _value(value) -> str:
    """An attribute value as XML text.

    >>> _value(True), _value(2.5), _value(3), _value("a\\x00b")
    ('true', '2.5', '3', 'a\\ufffdb')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return _NOT_XML.sub("\ufffd", str(value))


def _quoted(value) -> str:
    return quoteattr(_value(value))


def _gexf_element(tag: str, head: str, attrs: dict, ids: dict) -> str:
    start = attrs.get("start")
    if start is not None:
        head += f" start={_quoted(start)}"
    values = "".join(
        f"<attvalue for={ids[key]} value={_quoted(value)}/>"
        for key, value in attrs.items()
        if key != "start" and value is not None
    )
    if not values:
        return f"      <{tag} {head}/>\n"
    return f"      <{tag} {head}><attvalues>{values}</attvalues></{tag}>\n"


def gexf(
    schema: Schema,
    nodes: Iterable[list[tuple]],
    edges: Iterable[list[tuple]],
    *,
    modified: date,
    creator: str = "wom",
) -> Iterator[str]:
    """A GEXF 1.2 document, one piece per chunk. ``nodes`` are chunks of ``(id,
    label, attrs)``, ``edges`` chunks of ``(source, target, attrs)``; a value of
    None is left out.

    >>> schema = Schema({"status": "string"}, {"touches": "long"})
    >>> text = "".join(gexf(schema, [[("a", "Ann", {"status": "customer",
    ...     "start": "2026-01-01T09:30:00Z"})]], [[("a", "b", {"touches": 2})]],
    ...     modified=date(2026, 1, 3)))
    >>> '<node id="a" label="Ann" start="2026-01-01T09:30:00Z">' in text
    True
    >>> '<edge id="0" source="a" target="b"><attvalues><attvalue for="0"' in text
    True
    """
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<gexf xmlns="{GEXF_NAMESPACE}" xmlns:xsi="{_XSI}" '
        f'xsi:schemaLocation="{GEXF_NAMESPACE} {GEXF_NAMESPACE}/gexf.xsd" '
        'version="1.2">\n'
        f'  <meta lastmodifieddate="{modified.isoformat()}">'
        f"<creator>{escape(creator)}</creator></meta>\n"
        '  <graph defaultedgetype="directed" mode="dynamic" timeformat="dateTime">\n'
    )
    declared = {}
    for kind, attributes in (("node", schema.nodes), ("edge", schema.edges)):
        ids = {key: f'"{i}"' for i, key in enumerate(attributes)}
        declared[kind] = ids
        lines = "".join(
            f"      <attribute id={ids[key]} title={quoteattr(key)} "
            f"type={quoteattr(t)}/>\n"
            for key, t in attributes.items()
        )
        opening = f'    <attributes class="{kind}" mode="static">\n'
        yield f"{opening}{lines}    </attributes>\n"
    yield "    <nodes>\n"
    for chunk in nodes:
        yield "".join(
            _gexf_element(
                "node",
                f"id={_quoted(u)} label={_quoted(label)}",
                attrs,
                declared["node"],
            )
            for u, label, attrs in chunk
        )
    yield "    </nodes>\n    <edges>\n"
    count = 0
    for chunk in edges:
        piece = []
        for u, v, attrs in chunk:
            head = f'id="{count}" source={_quoted(u)} target={_quoted(v)}'
            piece.append(_gexf_element("edge", head, attrs, declared["edge"]))
            count += 1
        yield "".join(piece)
    yield "    </edges>\n  </graph>\n</gexf>\n"


def _graphml_element(head: str, tag: str, attrs: dict, keys: dict) -> str:
    values = "".join(
        f"<data key={keys[key]}>{escape(_value(value))}</data>"
        for key, value in attrs.items()
        if value is not None
    )
    return f"    <{tag} {head}>{values}</{tag}>\n"


def graphml(
    schema: Schema, nodes: Iterable[list[tuple]], edges: Iterable[list[tuple]]
) -> Iterator[str]:
    """A GraphML document, one piece per chunk; chunks as for :func:`gexf`, the
    node's label and ``start`` kept as attributes.

    >>> schema = Schema({"status": "string"}, {"touches": "long"})
    >>> text = "".join(graphml(schema, [[("a", "Ann & co", {"status": "customer"})]],
    ...     [[("a", "b", {"touches": 2})]]))
    >>> '<node id="a"><data key="n0">Ann &amp; co</data>' in text
    True
    """
    node_types = {"label": "string", **schema.nodes, "start": "string"}
    edge_types = {**schema.edges, "start": "string"}
    keys = {}
    declared = []
    for kind, prefix, types in (("node", "n", node_types), ("edge", "e", edge_types)):
        keys[kind] = {key: f'"{prefix}{i}"' for i, key in enumerate(types)}
        declared += [
            f'  <key id={keys[kind][key]} for="{kind}" attr.name={quoteattr(key)} '
            f"attr.type={quoteattr(t)}/>\n"
            for key, t in types.items()
        ]
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<graphml xmlns="{GRAPHML_NAMESPACE}" xmlns:xsi="{_XSI}" '
        f'xsi:schemaLocation="{GRAPHML_NAMESPACE} '
        f'{GRAPHML_NAMESPACE}/1.0/graphml.xsd">\n'
        + "".join(declared)
        + '  <graph edgedefault="directed">\n'
    )
    for chunk in nodes:
        yield "".join(
            _graphml_element(
                f"id={_quoted(u)}", "node", {"label": label, **attrs}, keys["node"]
            )
            for u, label, attrs in chunk
        )
    for chunk in edges:
        yield "".join(
            _graphml_element(
                f"source={_quoted(u)} target={_quoted(v)}", "edge", attrs, keys["edge"]
            )
            for u, v, attrs in chunk
        )
    yield "  </graph>\n</graphml>\n"
