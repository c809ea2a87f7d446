"""Directed graphs as GEXF 1.2 or GraphML, written as a stream.

The attributes are declared up front (``Schema``), so a document is written in
one pass over its node and edge chunks, one text piece per chunk, and never held
whole. A node is ``(id, label, start, values)`` and an edge ``(source, target,
start, values)``, ``values`` in the schema's order (None: left out). ``start``
(ISO 8601, or None) is GEXF's own time: the graph is dynamic with
``timeformat="dateTime"``, and Gephi's timeline plays it; GraphML carries it as
a plain attribute. GEXF uses the namespace Gephi and networkx write for 1.2
(``http://www.gexf.net/1.2draft``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from .cells import xml_text

__all__ = ["GEXF_NAMESPACE", "GRAPHML_NAMESPACE", "Schema", "gexf", "graphml"]

GEXF_NAMESPACE = "http://www.gexf.net/1.2draft"
GRAPHML_NAMESPACE = "http://graphml.graphdrawing.org/xmlns"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _boolean(value) -> str:
    return "true" if value else "false"


# Attribute type -> how a value is written (GEXF and GraphML share the names).
_WRITERS: dict[str, Callable[[object], str]] = {
    "string": xml_text,
    "long": str,
    "double": repr,
    "boolean": _boolean,
}


@dataclass(frozen=True)
class Schema:
    """``(name, type)`` of each node attribute and each edge attribute, in the
    order of a row's values; types are ``string``, ``long``, ``double`` and
    ``boolean``."""

    nodes: tuple[tuple[str, str], ...]
    edges: tuple[tuple[str, str], ...]


def _attvalues(declared, values: tuple) -> str:
    """A row's values as GEXF ``attvalue`` elements (None left out)."""
    return "".join(
        f'<attvalue for="{i}" value="{write(value)}"/>'
        for (i, write), value in zip(declared, values, strict=True)
        if value is not None
    )


def _gexf_declared(attributes) -> list[tuple[int, Callable]]:
    return [(i, _WRITERS[kind]) for i, (_, kind) in enumerate(attributes)]


def gexf(
    schema: Schema,
    nodes: Iterable[list[tuple]],
    edges: Iterable[list[tuple]],
    *,
    modified: date,
    creator: str = "wom",
) -> Iterator[str]:
    """A GEXF 1.2 document, one piece per chunk of nodes or edges.

    >>> schema = Schema((("status", "string"),), (("touches", "long"),))
    >>> text = "".join(gexf(schema,
    ...     [[("a", "Ann", "2026-01-01T09:30:00Z", ("customer",))]],
    ...     [[("a", "b", None, (2,))]], modified=date(2026, 1, 3)))
    >>> '<node id="a" label="Ann" start="2026-01-01T09:30:00Z"><attvalues>' in text
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
        f"<creator>{xml_text(creator)}</creator></meta>\n"
        '  <graph defaultedgetype="directed" mode="dynamic" timeformat="dateTime">\n'
    )
    for kind, attributes in (("node", schema.nodes), ("edge", schema.edges)):
        lines = "".join(
            f'      <attribute id="{i}" title="{xml_text(name)}" type="{type_}"/>\n'
            for i, (name, type_) in enumerate(attributes)
        )
        yield (
            f'    <attributes class="{kind}" mode="static">\n{lines}    </attributes>\n'
        )
    yield "    <nodes>\n"
    declared = _gexf_declared(schema.nodes)
    for chunk in nodes:
        yield "".join(
            _gexf_element(
                "node",
                f'id="{xml_text(u)}" label="{xml_text(label)}"',
                start,
                _attvalues(declared, values),
            )
            for u, label, start, values in chunk
        )
    yield "    </nodes>\n    <edges>\n"
    declared = _gexf_declared(schema.edges)
    count = 0
    for chunk in edges:
        piece = []
        for u, v, start, values in chunk:
            head = f'id="{count}" source="{xml_text(u)}" target="{xml_text(v)}"'
            written = _attvalues(declared, values)
            piece.append(_gexf_element("edge", head, start, written))
            count += 1
        yield "".join(piece)
    yield "    </edges>\n  </graph>\n</gexf>\n"


def _gexf_element(tag: str, head: str, start: str | None, values: str) -> str:
    if start is not None:
        head += f' start="{xml_text(start)}"'
    if not values:
        return f"      <{tag} {head}/>\n"
    return f"      <{tag} {head}><attvalues>{values}</attvalues></{tag}>\n"


def graphml(
    schema: Schema, nodes: Iterable[list[tuple]], edges: Iterable[list[tuple]]
) -> Iterator[str]:
    """A GraphML document, one piece per chunk; rows as for :func:`gexf`, the
    node's label and ``start`` kept as attributes.

    >>> schema = Schema((("status", "string"),), (("touches", "long"),))
    >>> text = "".join(graphml(schema,
    ...     [[("a", "Ann & co", None, ("customer",))]], [[("a", "b", None, (2,))]]))
    >>> '<node id="a"><data key="n0">Ann &amp; co</data>' in text
    True
    """
    node_types = (("label", "string"), *schema.nodes, ("start", "string"))
    edge_types = (*schema.edges, ("start", "string"))
    declared = []
    for kind, prefix, types in (("node", "n", node_types), ("edge", "e", edge_types)):
        declared += [
            f'  <key id="{prefix}{i}" for="{kind}" attr.name="{xml_text(name)}" '
            f'attr.type="{type_}"/>\n'
            for i, (name, type_) in enumerate(types)
        ]
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<graphml xmlns="{GRAPHML_NAMESPACE}" xmlns:xsi="{_XSI}" '
        f'xsi:schemaLocation="{GRAPHML_NAMESPACE} '
        f'{GRAPHML_NAMESPACE}/1.0/graphml.xsd">\n'
        + "".join(declared)
        + '  <graph edgedefault="directed">\n'
    )
    node_writers = [(f"n{i}", _WRITERS[t]) for i, (_, t) in enumerate(node_types)]
    for chunk in nodes:
        yield "".join(
            f'    <node id="{xml_text(u)}">'
            f"{_data(node_writers, (label, *values, start))}</node>\n"
            for u, label, start, values in chunk
        )
    edge_writers = [(f"e{i}", _WRITERS[t]) for i, (_, t) in enumerate(edge_types)]
    for chunk in edges:
        yield "".join(
            f'    <edge source="{xml_text(u)}" target="{xml_text(v)}">'
            f"{_data(edge_writers, (*values, start))}</edge>\n"
            for u, v, start, values in chunk
        )
    yield "  </graph>\n</graphml>\n"


def _data(writers, values: tuple) -> str:
    return "".join(
        f'<data key="{key}">{write(value)}</data>'
        for (key, write), value in zip(writers, values, strict=True)
        if value is not None
    )
