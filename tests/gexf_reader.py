"""GEXF documents read back for the tests (networkx 3.6 cannot read a
``timeformat="dateTime"``, which the GEXF schema and Gephi's timeline want), and
checked against the GEXF 1.2 schema."""

from __future__ import annotations

from xml.etree import ElementTree

import networkx as nx
import xmlschema

from tests.conftest import DATA
from wom.gexf import GEXF_NAMESPACE

__all__ = ["GEXF", "GEXF_XSD", "gexf_problems", "read_gexf"]

GEXF_XSD = DATA / "gexf-1.2" / "gexf.xsd"

GEXF = {"g": GEXF_NAMESPACE}


def _attributes(graph, kind: str) -> dict[str, str]:
    """Attribute id -> title, for nodes or edges."""
    return {
        a.get("id"): a.get("title")
        for block in graph.iterfind(f"g:attributes[@class='{kind}']", GEXF)
        for a in block.iterfind("g:attribute", GEXF)
    }


def _values(element, titles: dict) -> dict:
    found = {
        titles[v.get("for")]: v.get("value")
        for v in element.iterfind("g:attvalues/g:attvalue", GEXF)
    }
    for key in ("label", "start"):
        if element.get(key) is not None:
            found[key] = element.get(key)
    return found


def read_gexf(body: bytes) -> nx.DiGraph:
    """The graph of a GEXF document: ids as nodes, values as text, ``label`` and
    ``start`` kept."""
    graph = ElementTree.fromstring(body).find("g:graph", GEXF)
    nodes, edges = _attributes(graph, "node"), _attributes(graph, "edge")
    G = nx.DiGraph(timeformat=graph.get("timeformat"), mode=graph.get("mode"))
    for node in graph.iterfind("g:nodes/g:node", GEXF):
        G.add_node(node.get("id"), **_values(node, nodes))
    for edge in graph.iterfind("g:edges/g:edge", GEXF):
        G.add_edge(edge.get("source"), edge.get("target"), **_values(edge, edges))
    return G


def gexf_problems(body: bytes) -> list[str]:
    """What the GEXF 1.2 schema finds wrong with ``body`` (nothing: valid).

    Gephi and networkx write and read GEXF 1.2 under its draft's namespace; the
    schema names the final one. The names are read as the same."""
    schema = xmlschema.XMLSchema(str(GEXF_XSD), allow="local")
    text = body.decode().replace(GEXF_NAMESPACE, "http://www.gexf.net/1.2")
    return [
        f"{error.path}: {error.reason}"
        for error in schema.iter_errors(text, use_location_hints=False)
    ]
