"""The response bodies of /api/v1's figures: starters, cascades, spread, the
background figures (communities, bridges, seeds) and the graph export."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta

from .replies import FIGURES_EXAMPLE, Reply, Time

__all__ = [
    "Bridges",
    "Cascade",
    "CascadePage",
    "CascadeTree",
    "Communities",
    "Community",
    "KFactor",
    "NodeLinkGraph",
    "Seeds",
    "Spread",
    "SpreadRow",
    "Starter",
    "StarterPage",
    "TreeNode",
]

Seconds = Annotated[float | None, Meta(description="Seconds.")]


class Starter(Reply):
    """A customer ranked by a figure. Ranked `since` a time, only the figures
    that can count from then on are given."""

    id: str
    status: Literal["customer", "prospect"]
    conversations_started: int | None
    reach: int | None
    direct_referrals: int | None = None
    generations: int | None = None
    referred_value: float | None = None
    influence: float | None = None
    conversation_reach: float | None = None
    expected_spread: float | None = None

    example: ClassVar[dict] = {"id": "c-1001", "status": "customer"} | FIGURES_EXAMPLE


_BACKGROUND_EXAMPLE = {"ready": True, "computed_at": "2026-03-03T00:15:00Z"}


class _Background(Reply):
    ready: Annotated[
        bool, Meta(description="false until the first background run has finished.")
    ]
    computed_at: Time | None


class StarterPage(_Background):
    """The top conversation starters by one figure."""

    by: str
    since: Time | None
    items: list[Starter]

    example: ClassVar[dict] = {
        "by": "reach",
        "since": None,
        "ready": True,
        "computed_at": None,
        "items": [Starter.example],
    }


CASCADE_EXAMPLE = {
    "root": "c-1001",
    "root_acquired_at": "2026-01-05T09:00:00Z",
    "size": 5,
    "depth": 1,
    "breadth": [1, 4],
    "max_breadth": 4,
    "structural_virality": 1.6,
    "duration": 864000.0,
}


class Cascade(Reply):
    """A cascade of the referral forest, by its root."""

    root: str
    root_acquired_at: Time | None
    size: int
    depth: int
    breadth: list[int]
    max_breadth: int
    structural_virality: float | None
    duration: Seconds

    example: ClassVar[dict] = CASCADE_EXAMPLE


class CascadePage(Reply):
    """The largest cascades."""

    by: str
    items: list[Cascade]

    example: ClassVar[dict] = {"by": "size", "items": [CASCADE_EXAMPLE]}


_LEAF = {
    "id": "c-1002",
    "acquired_at": "2026-01-08T10:00:00Z",
    "value": 49.9,
    "kind": "link",
    "hidden": 0,
    "children": [],
}
_TREE_EXAMPLE = _LEAF | {
    "id": "c-1001",
    "acquired_at": "2026-01-05T09:00:00Z",
    "value": 0.0,
    "kind": None,
    "children": [_LEAF],
}


class TreeNode(Reply):
    """A person in a cascade, with those they brought in."""

    id: str
    acquired_at: Time | None
    value: Annotated[float, Meta(description="Their purchases, major units.")]
    kind: str | None
    hidden: Annotated[int, Meta(description="Descendants left out below max_depth.")]
    children: list[TreeNode]

    example: ClassVar[dict] = _TREE_EXAMPLE


class CascadeTree(Cascade):
    """One cascade, as a nested tree."""

    tree: TreeNode

    example: ClassVar[dict] = CASCADE_EXAMPLE | {"tree": _TREE_EXAMPLE}


class KFactor(Reply):
    """The k-factor over a range, and its two halves."""

    cohort_size: int
    credited: int
    k_factor: float | None
    conversations_per_member: float | None
    listener_conversion: float | None
    partial: bool

    example: ClassVar[dict] = {
        "cohort_size": 120,
        "credited": 54,
        "k_factor": 0.45,
        "conversations_per_member": 2.1,
        "listener_conversion": 0.21,
        "partial": False,
    }


class SpreadRow(Reply):
    """One bucket of the spread series."""

    bucket: Annotated[str, Meta(extra_json_schema={"format": "date"})]
    start: Time
    end: Time
    new_customers: int
    root: int
    referred: int
    mention: int
    clicks: int
    conversions: int
    wom_share: float | None
    k_factor: float | None
    k_partial: bool
    conversations_per_member: float | None
    listener_conversion: float | None
    cycle_time: Seconds
    top_reach: int
    top_reach_each: list[int]

    example: ClassVar[dict] = {
        "bucket": "2026-01-05",
        "start": "2026-01-04T23:00:00Z",
        "end": "2026-01-11T23:00:00Z",
        "new_customers": 40,
        "root": 12,
        "referred": 20,
        "mention": 8,
        "clicks": 310,
        "conversions": 28,
        "wom_share": 0.7,
        "k_factor": 0.5,
        "k_partial": False,
        "conversations_per_member": 2.4,
        "listener_conversion": 0.29,
        "cycle_time": 518400.0,
        "top_reach": 61,
        "top_reach_each": [37, 24],
    }


class Spread(Reply):
    """Spread over time: the series, and the range's figures."""

    bucket: Literal["day", "week", "month"]
    time_zone: str
    from_: Time | None = msgspec.field(name="from")
    to: Time | None
    wom_share: float | None
    k_factor: KFactor
    cycle_time: Seconds
    series: list[SpreadRow]

    example: ClassVar[dict] = {
        "bucket": "week",
        "time_zone": "Europe/Berlin",
        "from": "2026-01-05T00:00:00Z",
        "to": None,
        "wom_share": 0.58,
        "k_factor": KFactor.example,
        "cycle_time": 604800.0,
        "series": [SpreadRow.example],
    }


class TopStarter(Reply):
    """A community's top conversation starter."""

    id: str | None
    reach: int
    conversations_started: int

    example: ClassVar[dict] = {"id": "c-1001", "reach": 37, "conversations_started": 12}


class Community(Reply):
    """A community of the conversation graph."""

    size: int
    customers: int
    wom_share: float | None
    top_starter: TopStarter | None
    members: list[str | None]

    example: ClassVar[dict] = {
        "size": 412,
        "customers": 180,
        "wom_share": 0.62,
        "top_starter": TopStarter.example,
        "members": ["c-1001", "c-1002", "p-x8k2m1qa"],
    }


class Communities(_Background):
    """Communities, computed in the background."""

    method: Literal["louvain", "fast_label_propagation"] | None
    seed: int | None
    total: int
    items: list[Community]

    example: ClassVar[dict] = _BACKGROUND_EXAMPLE | {
        "method": "louvain",
        "seed": 0,
        "total": 9,
        "items": [Community.example],
    }


class Bridge(Reply):
    """A customer and their betweenness."""

    id: str | None
    score: float

    example: ClassVar[dict] = {"id": "c-1001", "score": 0.21}


class Bridges(_Background):
    """Customers with the highest betweenness, computed in the background."""

    sampled: bool | None
    k: int | None
    seed: int | None
    items: list[Bridge]

    example: ClassVar[dict] = _BACKGROUND_EXAMPLE | {
        "sampled": False,
        "k": None,
        "seed": 0,
        "items": [Bridge.example],
    }


class Seed(Reply):
    """A seed and what it adds to the expected spread."""

    id: str | None
    marginal_gain: float

    example: ClassVar[dict] = {"id": "c-1001", "marginal_gain": 6.2}


class TopStarters(Reply):
    """The top k starters (by reach, as docs/metrics.md ranks them) and their joint
    expected spread, for comparison."""

    ids: list[str | None]
    expected_spread: float | None

    example: ClassVar[dict] = {"ids": ["c-1001", "c-1002"], "expected_spread": 7.4}


class Seeds(_Background):
    """Whom to encourage next: the k customers that together spread furthest."""

    k: int
    method: str | None
    runs: int | None
    items: list[Seed]
    expected_spread: Annotated[
        float | None, Meta(description="People the seeds reach together (Monte Carlo).")
    ]
    exhausted: Annotated[
        bool | None,
        Meta(
            description="Fewer than k seeds are listed: no other customer adds to "
            "the expected spread."
        ),
    ]
    top_starters: TopStarters | None

    example: ClassVar[dict] = _BACKGROUND_EXAMPLE | {
        "k": 2,
        "method": "celf",
        "runs": 200,
        "items": [Seed.example, {"id": "c-2040", "marginal_gain": 3.1}],
        "expected_spread": 9.3,
        "exhausted": False,
        "top_starters": TopStarters.example,
    }


class NodeLinkGraph(Reply):
    """networkx node-link data: nodes by external id, times ISO, values in major
    units."""

    directed: bool
    multigraph: bool
    graph: dict[str, Any]
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]

    example: ClassVar[dict] = {
        "directed": True,
        "multigraph": False,
        "graph": {"name": "wom conversations"},
        "nodes": [
            {
                "id": "c-1001",
                "status": "customer",
                "acquired_via": "root",
                "value": 0.0,
                "acquired_at": "2026-01-05T09:00:00Z",
                "start": "2026-01-05T09:00:00Z",
            }
        ],
        "edges": [
            {
                "source": "c-1001",
                "target": "c-1002",
                "kinds": "link",
                "touches": 1,
                "first_at": "2026-01-08T09:55:00Z",
                "last_at": "2026-01-08T09:55:00Z",
                "converted": True,
                "credited": True,
                "start": "2026-01-08T09:55:00Z",
            }
        ],
    }
