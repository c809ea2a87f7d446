"""Rankings of conversation starters, over the analytics service's live state.

Functions of ``G`` (every person and conversation), the forest state (``F`` as
arrays) and the background results, returning plain data. They take no lock: the
service holds its own around every call.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from ..analytics import influence
from ..analytics.forest import subtree_sum
from ..graph import nodes_dict, successors_dict

__all__ = [
    "BACKGROUND_FIGURES",
    "EMPTY_FOREST_FIGURES",
    "RANKINGS",
    "background_value",
    "column",
    "person_figures",
    "rank",
    "starters_since",
    "talks",
]

# ?by= name -> (figure, tie-breaker); external id breaks the last tie. The rankings
# of docs/metrics.md come from the pure reference (wom.analytics.influence.RANKINGS),
# and the service adds the two background figures it can also rank by.
RANKINGS = {
    **{by: tuple(pair) for by, pair in influence.RANKINGS.items()},
    "conversation_reach": ("conversation_reach", "reach"),
    "expected_spread": ("expected_spread", "reach"),
}
BACKGROUND_FIGURES = ("influence", "conversation_reach", "expected_spread")
# Figures the background run leaves out for some people: missing is "none", not 0.
# Expected spread has a value only where it is exact or was estimated.
PARTIAL_FIGURES = frozenset({"expected_spread"})
EMPTY_FOREST_FIGURES = {
    "direct_referrals": 0,
    "reach": 0,
    "generations": 0,
    "referred_value": 0.0,
}


def talks(G: nx.DiGraph, node) -> int:
    """Conversations ``node`` started (a conversation with oneself is none).

    >>> talks(nx.DiGraph([(1, 2), (1, 3), (1, 1)]), 1)
    2
    """
    succ = successors_dict(G)[node]
    return len(succ) - (node in succ)


def background_value(results: dict, name: str, node):
    """A background figure of ``node``; None until it has been computed (or, for
    a partial figure, when the run gave ``node`` none)."""
    scores = results.get(name, {}).get("scores")
    if scores is None:
        return None
    return scores.get(node, None if name in PARTIAL_FIGURES else 0)


def person_figures(G: nx.DiGraph, state, results: dict, node) -> dict:
    """Every figure that concerns ``node``, a person of ``G``: the forest's
    (``state``), their credited referrer and cascade root, and the background
    run's (``results``)."""
    out = {"conversations_started": talks(G, node)}
    out |= state.figures(node) or dict(EMPTY_FOREST_FIGURES)
    followed = node in state
    referrer = state.referrer(node) if followed else None
    out["credited_referrer"] = (
        None if referrer is None else G.nodes[referrer]["external_id"]
    )
    out["cascade_root"] = G.nodes[state.root(node)]["external_id"] if followed else None
    for name in BACKGROUND_FIGURES:
        out[name] = background_value(results, name, node)
    out["computed_at"] = results.get("computed_at")
    return out


def rank(
    G: nx.DiGraph, state, results: dict, by: str, limit: int, include_prospects: bool
) -> dict:
    """The top ``limit`` by ``by`` (RANKINGS), ties as docs/metrics.md says."""
    first, second = RANKINGS[by]
    if include_prospects:
        people = list(G)
    else:
        # The forest's positions are exactly the customers.
        people = state.nodes
    primary = column(G, state, results, first, people)
    if primary is None:
        return {
            "by": by,
            "items": [],
            "computed_at": None,
            "note": f"{by} is computed in the background and is not ready yet",
        }
    if 0 < limit < len(people):
        # The limit-th largest, selected from the front of the negated figures:
        # numpy's selection near the end of a million mostly equal values (the
        # many reaches of 0) takes a second, near the front milliseconds.
        cut = -np.partition(-primary, limit - 1)[limit - 1]
        candidates = np.flatnonzero(primary >= cut).tolist()
    else:
        candidates = list(range(len(people)))
    # Tie-breakers are needed for the candidates only.
    chosen = [people[i] for i in candidates]
    tie = column(G, state, results, second, chosen)
    if tie is None:  # a background tie-breaker not computed yet
        tie = np.zeros(len(chosen))
    nodes = nodes_dict(G)
    order = sorted(
        range(len(chosen)),
        key=lambda k: (
            -primary[candidates[k]],
            -tie[k],
            nodes[chosen[k]]["external_id"],
        ),
    )[:limit]
    items = []
    for k in order:
        node = chosen[k]
        row = {
            "node": node,
            "external_id": nodes[node]["external_id"],
            "status": nodes[node]["status"],
            "conversations_started": talks(G, node),
        }
        row.update(state.figures(node) or dict(EMPTY_FOREST_FIGURES))
        for name in BACKGROUND_FIGURES:
            row[name] = background_value(results, name, node)
        items.append(row)
    computed = (
        results.get("computed_at")
        if {first, second} & set(BACKGROUND_FIGURES)
        else None
    )
    return {"by": by, "items": items, "computed_at": computed}


def column(
    G: nx.DiGraph, state, results: dict, name: str, people: list
) -> np.ndarray | None:
    """One figure for each of ``people``, as floats (None: not computed yet)."""
    if name == "conversations_started":
        return np.fromiter((talks(G, u) for u in people), np.float64, len(people))
    if name in BACKGROUND_FIGURES:
        scores = results.get(name, {}).get("scores")
        if scores is None:
            return None
        # Below every value (they are >= 0): people without one rank last.
        missing = -1.0 if name in PARTIAL_FIGURES else 0.0
        return np.fromiter(
            (scores.get(u, missing) for u in people), np.float64, len(people)
        )
    array = {
        "reach": state.reach,
        "direct_referrals": state.direct,
        "referred_value": state.rv,
        "generations": state.height,
    }[name]
    if people is state.nodes:
        return array[: len(people)].astype(np.float64)
    pos = state.pos
    return np.fromiter(
        (array[pos[u]] if u in pos else 0 for u in people), np.float64, len(people)
    )


def starters_since(
    G: nx.DiGraph,
    arrays,
    figure: str,
    limit: int,
    since: float,
    *,
    include_prospects: bool = False,
) -> list[dict]:
    """Top starters counting only what happened since ``since`` (POSIX seconds).

    ``figure`` is ``reach`` (referees acquired since), ``direct_referrals`` or
    ``conversations_started`` (conversations begun since); ties go to reach,
    then to conversations started, then to the external id.
    """
    fresh = (arrays.acquired_at >= since).astype(np.int64)
    reach = subtree_sum(arrays, fresh) - fresh
    has_parent = arrays.parent >= 0
    direct = np.bincount(
        arrays.parent[has_parent],
        weights=fresh[has_parent],
        minlength=len(arrays),
    ).astype(np.int64)
    position = arrays.index
    rows = []
    for node, attrs in G.nodes(data=True):
        if not include_prospects and attrs.get("status") != "customer":
            continue
        i = position.get(node)
        started = sum(
            1
            for listener, edge in successors_dict(G)[node].items()
            if listener != node and edge["first_at"] >= since
        )
        rows.append(
            {
                "id": attrs["external_id"],
                "status": attrs["status"],
                "conversations_started": started,
                "reach": 0 if i is None else int(reach[i]),
                "direct_referrals": 0 if i is None else int(direct[i]),
            }
        )
    rows.sort(
        key=lambda row: (
            -row[figure],
            -row["reach"],
            -row["conversations_started"],
            row["id"],
        )
    )
    return rows[:limit]
