"""Examples for the OpenAPI components that do not carry their own (responses,
mostly): small, consistent with each other, and checked against their schemas."""

from __future__ import annotations

from .schemas import CASCADE_EXAMPLE, CUSTOMER_EXAMPLE, SCHEMAS

__all__ = ["EXAMPLES"]

_LINK_EXAMPLE = SCHEMAS["Link"]["examples"][0]
_CREDIT_EXAMPLE = {
    "id": "c-0007",
    "kind": "link",
    "at": "2026-02-27T18:30:00Z",
    "status": "credited",
}
_FIGURES_EXAMPLE = {
    "conversations_started": 4,
    "direct_referrals": 2,
    "reach": 5,
    "generations": 2,
    "referred_value": 61.5,
    "influence": 0.0031,
    "conversation_reach": 9,
    "expected_spread": 1.7,
}
_TOUCH_EXAMPLE = {
    "from": "c-0007",
    "to": "c-1001",
    "kinds": ["link", "mention"],
    "touches": 3,
    "first_at": "2026-02-20T12:00:00Z",
    "last_at": "2026-02-27T18:30:00Z",
    "converted": True,
}
_LEAF = {
    "id": "c-1002",
    "acquired_at": "2026-01-08T10:00:00Z",
    "value": 49.9,
    "kind": "link",
    "hidden": 0,
    "children": [],
}
_TREE_EXAMPLE = {
    "id": "c-1001",
    "acquired_at": "2026-01-05T09:00:00Z",
    "value": 0.0,
    "kind": None,
    "hidden": 0,
    "children": [_LEAF],
}
_K_EXAMPLE = {
    "cohort_size": 120,
    "credited": 54,
    "k_factor": 0.45,
    "conversations_per_member": 2.1,
    "listener_conversion": 0.21,
    "partial": False,
}
_FLAG_EXAMPLE = {
    "id": "held:812:77",
    "kind": "held",
    "customer": "c-1002",
    "referrer": "c-1001",
    "members": [],
    "reason": "the referrer and the customer share a visitor cookie or IP address",
    "raised_at": "2026-03-02T08:30:00Z",
    "status": "open",
}
_COMMUNITY_EXAMPLE = {
    "size": 412,
    "customers": 180,
    "wom_share": 0.62,
    "top_starter": {"id": "c-1001", "reach": 37, "conversations_started": 12},
    "members": ["c-1001", "c-1002", "p-x8k2m1qa"],
}
EXAMPLES = {
    "Problem": {
        "type": "https://wom.invalid/problems/unprocessable-content",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "event 3: at: add a time zone, such as Z or +02:00",
        "errors": [
            {
                "index": 3,
                "field": "at",
                "message": "add a time zone, such as Z or +02:00",
            }
        ],
    },
    "FieldError": {"index": 0, "field": "to", "message": "required"},
    "Event": SCHEMAS["MentionEvent"]["examples"][0],
    "EventBatch": {
        "events": [
            SCHEMAS["SignupEvent"]["examples"][0],
            SCHEMAS["PurchaseEvent"]["examples"][0],
        ]
    },
    "CustomerListItem": CUSTOMER_EXAMPLE | {"credited_referrer": "c-0007"},
    "Credit": _CREDIT_EXAMPLE,
    "PersonFigures": _FIGURES_EXAMPLE,
    "LinkList": {"items": [_LINK_EXAMPLE]},
    "Touch": _TOUCH_EXAMPLE,
    "CustomerDetail": CUSTOMER_EXAMPLE
    | {
        "value": 49.9,
        "credited_referrer": _CREDIT_EXAMPLE,
        "cascade_root": "c-0001",
        "figures": _FIGURES_EXAMPLE,
        "computed_at": "2026-03-03T00:15:00Z",
        "links": [_LINK_EXAMPLE],
        "touches": [_TOUCH_EXAMPLE],
    },
    "Starter": {"id": "c-1001", "status": "customer"} | _FIGURES_EXAMPLE,
    "StarterPage": {
        "by": "reach",
        "since": None,
        "ready": True,
        "computed_at": None,
        "items": [{"id": "c-1001", "status": "customer"} | _FIGURES_EXAMPLE],
    },
    "CascadePage": {"by": "size", "items": [CASCADE_EXAMPLE]},
    "TreeNode": _TREE_EXAMPLE,
    "CascadeTree": CASCADE_EXAMPLE | {"tree": _TREE_EXAMPLE},
    "KFactor": _K_EXAMPLE,
    "Spread": {
        "bucket": "week",
        "time_zone": "Europe/Berlin",
        "from": "2026-01-05T00:00:00Z",
        "to": None,
        "wom_share": 0.58,
        "k_factor": _K_EXAMPLE,
        "cycle_time": 604800.0,
        "series": [
            {
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
        ],
    },
    "Community": _COMMUNITY_EXAMPLE,
    "Communities": {
        "ready": True,
        "computed_at": "2026-03-03T00:15:00Z",
        "method": "louvain",
        "seed": 0,
        "total": 9,
        "items": [_COMMUNITY_EXAMPLE],
    },
    "Bridges": {
        "ready": True,
        "computed_at": "2026-03-03T00:15:00Z",
        "sampled": False,
        "k": None,
        "seed": 0,
        "items": [{"id": "c-1001", "score": 0.21}],
    },
    "Seeds": {
        "ready": True,
        "computed_at": "2026-03-03T00:15:00Z",
        "k": 2,
        "method": "celf",
        "runs": 200,
        "items": [
            {"id": "c-1001", "marginal_gain": 6.2},
            {"id": "c-2040", "marginal_gain": 3.1},
        ],
        "expected_spread": 9.3,
        "exhausted": False,
        "top_starters": {"ids": ["c-1001", "c-1002"], "expected_spread": 7.4},
    },
    "Flag": _FLAG_EXAMPLE,
    "FlagPage": {
        "items": [_FLAG_EXAMPLE],
        "next_cursor": None,
        "computed_at": "2026-03-03T00:15:00Z",
    },
    "ReviewOutcome": {
        "id": "held:812:77",
        "status": "approved",
        "customer": "c-1002",
        "credited_referrer": _CREDIT_EXAMPLE | {"id": "c-1001"},
    },
    "NodeLinkGraph": {
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
    },
}
