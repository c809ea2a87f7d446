"""One cascade as the Spread page draws and replays it.

The cascade's tree is walked breadth first from its root (children in order of
conversion) up to ``limit`` people, so a cut tree keeps its first generations
whole. Each person carries their generation, their referrer and when they
converted; each conversation between two of them, when it began. The page plays
these times back: people appear when they converted, conversations when they
were first touched.
"""

from __future__ import annotations

from ..analytics.virality import reading
from ..graph import nodes_dict, successors_dict
from .dates import iso
from .subgraph import by_conversion

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "cascade_view"]

DEFAULT_LIMIT = 2000
MAX_LIMIT = 5000


def cascade_view(service, root, limit: int = DEFAULT_LIMIT) -> dict | None:
    """The cascade that ``root`` started, for drawing and playback; None when
    ``root`` is not the root of a cascade."""
    figures = service.cascade(root, max_depth=0)
    if figures is None:
        return None
    del figures["tree"], figures["root"]
    with service.held() as (G, F, _):  # no forest arrays: none are read
        attrs_of, succ = nodes_dict(G), successors_dict(G)
        forest = successors_dict(F)
        order, generation, parent = [root], {root: 0}, {root: None}
        for u in order:  # grows while we walk it
            if len(order) >= limit:
                break
            children = sorted(forest[u], key=by_conversion(attrs_of))
            for v in children[: limit - len(order)]:
                order.append(v)
                generation[v] = generation[u] + 1
                parent[v] = u

        def external(u):
            return None if u is None else attrs_of[u]["external_id"]

        nodes = [
            {
                "id": attrs_of[u]["external_id"],
                "parent": external(parent[u]),
                "generation": generation[u],
                "acquired_at": iso(attrs_of[u].get("acquired_at")),
                "acquired_via": attrs_of[u].get("acquired_via"),
                "kind": None if parent[u] is None else F.edges[parent[u], u]["kind"],
                "reach": (service.state.figures(u) or {}).get("reach", 0),
            }
            for u in order
        ]
        edges = []
        for u in order:
            for v, edge in succ[u].items():
                if v != u and v in generation:
                    edges.append(
                        {
                            "source": external(u),
                            "target": external(v),
                            "kinds": sorted(edge["kinds"]),
                            "at": iso(edge["first_at"]),
                            "credited": parent[v] == u,
                        }
                    )
        told = {(row["source"], row["target"]) for row in edges}
        for v in order[1:]:  # a credit without a conversation in G (kept apart)
            u = parent[v]
            if (external(u), external(v)) not in told:
                edge = F.edges[u, v]
                edges.append(
                    {
                        "source": external(u),
                        "target": external(v),
                        "kinds": [edge["kind"]],
                        "at": iso(edge["at"]),
                        "credited": True,
                    }
                )
        times = [attrs_of[u].get("acquired_at") for u in order]
        times += [edge["first_at"] for u in order for edge in succ[u].values()]
        times = [at for at in times if at is not None]
    return {
        **figures,
        "reading": reading(
            figures["structural_virality"], figures["size"], figures["depth"]
        ),
        "nodes": nodes,
        "edges": edges,
        "shown": {"people": len(nodes), "conversations": len(edges)},
        "complete": len(nodes) == figures["size"],
        "timeline": {
            "start": iso(min(times, default=None)),
            "end": iso(max(times, default=None)),
        },
    }
