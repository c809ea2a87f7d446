"""Figures computed in the background process: communities, bridges and seeds.

Each answer carries ``computed_at``; before the first run ends it is ``ready:
false``. People are named by their current external id, so an erased person shows
under their pseudonym even in results computed before the erasure.
"""

from __future__ import annotations

from ...service.background import SEED_K
from .. import analytics
from . import blueprint
from .wire import arguments, integer, reply

__all__ = ["external_id", "computed_at"]


def external_id(node) -> str | None:
    """The person's external id now (None if the node is unknown)."""
    attrs = analytics().G.nodes.get(node)
    return None if attrs is None else attrs.get("external_id")


def computed_at() -> str | None:
    """When the newest background run finished (ISO 8601), or None."""
    return analytics().results.get("computed_at")


def _background(name: str) -> dict | None:
    return analytics().background_result(name)


@blueprint.get("/communities")
def communities():
    """Communities of the conversation graph, computed in the background."""
    asked = arguments({"limit": integer(1, 1000), "members": integer(0, 10_000)})
    found = _background("communities")
    limit, shown = asked.get("limit", 50), asked.get("members", 100)
    items = []
    for row in (found or {}).get("communities", [])[:limit]:
        top = row.get("top_starter")
        items.append(
            {
                "size": row["size"],
                "customers": row["customers"],
                "wom_share": row["wom_share"],
                "top_starter": top
                and {
                    "id": external_id(top["customer_id"]),
                    "reach": top["reach"],
                    "conversations_started": top["conversations_started"],
                },
                "members": [external_id(u) for u in row["members"][:shown]],
            }
        )
    return reply(
        {
            "ready": found is not None,
            "computed_at": computed_at() if found else None,
            "method": (found or {}).get("method"),
            "seed": (found or {}).get("seed"),
            "total": len((found or {}).get("communities", [])),
            "items": items,
        }
    )


@blueprint.get("/bridges")
def bridges():
    """Customers with the highest betweenness, computed in the background."""
    arguments({})
    found = _background("bridges")
    return reply(
        {
            "ready": found is not None,
            "computed_at": computed_at() if found else None,
            "sampled": (found or {}).get("sampled"),
            "k": (found or {}).get("k"),
            "seed": (found or {}).get("seed"),
            "items": [
                {"id": external_id(row["customer_id"]), "score": row["score"]}
                for row in (found or {}).get("bridges", [])
            ],
        }
    )


@blueprint.get("/seeds")
def seeds():
    """The k customers that together spread word of mouth furthest (CELF), and
    what simply taking the top k starters would reach.

    The background run chooses ``SEED_K`` seeds greedily; the first k of them are
    the greedy choice for k. Fewer than k are listed (``exhausted``) when no
    other customer adds anyone. The top k starters' joint spread comes from the
    same worlds, for this k.
    """
    asked = arguments({"k": integer(1, SEED_K)})
    found = _background("seeds") or {}
    k = asked.get("k", SEED_K)
    chosen = found.get("seeds", [])[:k]
    top = found.get("top_starters") or {}
    top_ids = top.get("customer_ids", [])[:k]
    return reply(
        {
            "ready": bool(found),
            "computed_at": computed_at() if found else None,
            "k": k,
            "method": found.get("method"),
            "runs": found.get("runs"),
            "items": [
                {"id": external_id(row["customer_id"]), "marginal_gain": row["gain"]}
                for row in chosen
            ],
            "expected_spread": sum(row["gain"] for row in chosen) if found else None,
            "exhausted": len(chosen) < k if found else None,
            "top_starters": {
                "ids": [external_id(u) for u in top_ids],
                "expected_spread": top["totals"][len(top_ids) - 1] if top_ids else 0.0,
            }
            if top
            else None,
        }
    )
