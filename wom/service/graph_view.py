"""The Graph page's data: the chosen subgraph (``subgraph.select``) as plain data.

Each person carries the figures that ``AnalyticsService.person`` gives the API
(GET /api/v1/customers/<id>), their community (from the background figures, once
computed) and their cascade; each conversation its kinds and times. Names are
not here: they live in the store, and the page adds them.
"""

from __future__ import annotations

from collections import Counter

from ..contract import major
from ..graph import nodes_dict
from . import subgraph
from .dates import iso
from .subgraph import Filters

__all__ = ["PERSON_FIGURES", "LEGEND_COMMUNITIES", "graph_view"]

# The docs/metrics.md figures about one person, as the API names them.
PERSON_FIGURES = (
    "conversations_started",
    "direct_referrals",
    "reach",
    "generations",
    "referred_value",
    "influence",
    "conversation_reach",
    "expected_spread",
)
# Communities with a colour of their own; the rest share one.
LEGEND_COMMUNITIES = 10


def graph_view(
    service,
    filters: Filters = subgraph.EVERYONE,
    limit: int = subgraph.DEFAULT_LIMIT,
    *,
    focus=None,
    exponent: int = 2,
) -> dict:
    """The people and conversations to draw, with the totals they are part of.

    Money goes out in major units (``exponent`` decimals), as in the API. The
    view is kept until the figures move (``service.remembered``): the page asked
    again, or by a second owner, costs a copy of its rows, not the selection and
    every person's figures again. The rows are the caller's to add to.
    """
    service.ensure_loaded()
    view = service.remembered(
        ("graph_view", filters, limit, focus, exponent),
        lambda: _view(service, filters, limit, focus, exponent),
    )
    return {**view, "nodes": [dict(row) for row in view["nodes"]]}


def _view(service, filters: Filters, limit: int, focus, exponent: int) -> dict:
    found = service.background_result("communities")
    labels = subgraph.community_labels(found)
    # Held still without the forest's arrays: nothing here reads them, and after
    # a write they would be built again in the request.
    with service.held() as (G, F, _):
        chosen = subgraph.select(G, F, service.state, filters, limit, focus)
        attrs_of = nodes_dict(G)
        nodes = []
        for u in chosen.nodes:
            attrs = attrs_of[u]
            person = service.person(u)
            figures = {name: person.get(name) for name in PERSON_FIGURES}
            figures["referred_value"] = major(figures["referred_value"], exponent)
            community = None
            if labels is not None and 0 <= u < len(labels) and labels[u] >= 0:
                community = int(labels[u])
            nodes.append(
                {
                    "id": attrs["external_id"],
                    "status": attrs["status"],
                    "acquired_at": iso(attrs.get("acquired_at")),
                    "acquired_via": attrs.get("acquired_via"),
                    "value": major(attrs.get("value") or 0, exponent),
                    "credited_referrer": person["credited_referrer"],
                    "cascade_root": person["cascade_root"],
                    "cascade": attrs_of[chosen.root_of[u]]["external_id"],
                    "community": community,
                    "figures": figures,
                }
            )
        edges = [
            {
                "source": attrs_of[u]["external_id"],
                "target": attrs_of[v]["external_id"],
                "kinds": sorted(edge["kinds"]),
                "touches": int(edge["touches"]),
                "first_at": iso(edge["first_at"]),
                "last_at": iso(edge["last_at"]),
                "credited": F.has_edge(u, v),
            }
            for u, v, edge in chosen.edges
        ]
        # Both counts are a len() (networkx counts edges by a pass over all).
        totals = {"people": G.number_of_nodes(), "customers": F.number_of_nodes()}
        focused = attrs_of[focus]["external_id"] if focus in attrs_of else None
        legend = _legend(found, nodes, attrs_of)
    return {
        "nodes": nodes,
        "edges": edges,
        "shown": {"people": len(nodes), "conversations": len(edges)},
        "total": totals,
        "cascades": chosen.cascades,
        "complete": chosen.complete,
        "focus": focused,
        "colour_by": "acquisition" if found is None else "community",
        "communities": legend,
        "computed_at": None if found is None else service.results.get("computed_at"),
    }


def _legend(found: dict | None, nodes: list[dict], attrs_of) -> list[dict]:
    """The communities most present among ``nodes``, largest share first, with
    their size and top starter (by external id now); each gets a colour slot in
    this order."""
    if found is None:
        return []
    counts = Counter(row["community"] for row in nodes if row["community"] is not None)
    rows = found.get("communities", [])
    legend = []
    for index, shown in counts.most_common(LEGEND_COMMUNITIES):
        row = rows[index]
        top = attrs_of.get((row.get("top_starter") or {}).get("customer_id"))
        legend.append(
            {
                "community": index,
                "shown": shown,
                "size": row["size"],
                "top_starter": top and top["external_id"],
            }
        )
    return legend
