"""GEXF documents read back for the tests (networkx 3.6 cannot read a
``timeformat="dateTime"``, which the GEXF schema and Gephi's timeline want)."""

from __future__ import annotations

from xml.etree import ElementTree

import networkx as nx

from wom.gexf import GEXF_NAMESPACE

__all__ = ["GEXF", "read_gexf"]

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
    if element.get("start") is not None:
        found["start"] = element.get("start")
    return found


def read_gexf(body: bytes) -> nx.DiGraph:
    """The graph of a GEXF document: ids as nodes, values as text, ``start`` kept."""
    graph = ElementTree.fromstring(body).find("g:graph", GEXF)
    nodes, edges = _attributes(graph, "node"), _attributes(graph, "edge")
    G = nx.DiGraph(timeformat=graph.get("timeformat"), mode=graph.get("mode"))
    for node in graph.iterfind("g:nodes/g:node", GEXF):
        G.add_node(node.get("id"), **_values(node, nodes))
    for edge in graph.iterfind("g:edges/g:edge", GEXF):
        G.add_edge(edge.get("source"), edge.get("target"), **_values(edge, edges))
    return G
