"""The OpenAPI 3.1 components: every request and response body of /api/v1.

JSON Schema 2020-12, as OpenAPI 3.1 takes it. ``openapi.py`` builds the paths.
"""

from __future__ import annotations

from ...store.checks import API_FIELDS
from .events import MAX_EVENTS
from .people import PERSON_FIGURES

__all__ = [
    "CASCADE_EXAMPLE",
    "CUSTOMER_EXAMPLE",
    "ERRORS",
    "EXTERNAL_ID",
    "SCHEMAS",
    "TIME",
]

EXTERNAL_ID = {
    "type": "string",
    "pattern": "^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$",
    "description": "The customer's id in your system (1 to 128 characters).",
    "examples": ["c-1001"],
}
TIME = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601 with a time zone; no more than 5 minutes ahead.",
    "examples": ["2026-03-01T12:00:00Z"],
}
TIME_OUT = {
    "type": "string",
    "format": "date-time",
    "examples": ["2026-03-01T12:00:00Z"],
}


def _nullable(schema: dict) -> dict:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema.get("type")
    return schema | {"type": [kind, "null"]} if isinstance(kind, str) else schema


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _text(limit: int, example: str, description: str = "") -> dict:
    found = {
        "type": "string",
        "minLength": 1,
        "maxLength": limit,
        "examples": [example],
    }
    return found | ({"description": description} if description else {})


def _object(properties: dict, required=(), description: str = "", **extra) -> dict:
    found = {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }
    if description:
        found["description"] = description
    return found | extra


_COMMON = {
    "at": TIME,
    "event_id": _text(
        128, "order-5521", "Your id for the event: a replay of it is a no-op."
    ),
}
_EVENT_FIELDS = {
    "from": EXTERNAL_ID | {"description": "Who talked (external id)."},
    "to": EXTERNAL_ID | {"description": "Who listened (external id)."},
    "channel": _text(40, "podcast"),
    "customer": EXTERNAL_ID,
    "name": _text(200, "Zoë Brandt"),
    "email": {"type": "string", "maxLength": 254, "examples": ["zoe@example.org"]},
    "link": _text(64, "k7m2xq9a", "A referral link's code."),
    "visitor": _text(64, "v-8f2a", "Your anonymous visitor id."),
    "value": {"type": "number", "minimum": 0, "examples": [49.9]},
    "currency": {
        "type": "string",
        "description": "Must be the business's currency (a setting).",
        "examples": ["EUR"],
    },
    "user_agent": {
        "type": "string",
        "description": "The clicker's User-Agent; bots and link previews count apart.",
        "examples": ["Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"],
    },
}
_REQUIRED = {
    "mention": ("type", "from", "to", "at"),
    "signup": ("type", "customer", "at"),
    "purchase": ("type", "customer", "value", "at"),
    "click": ("type", "link", "visitor", "at"),
}
_EVENT_DOCS = {
    "mention": "`from` talked to `to` about us: a mention recorded by you, a "
    '`heard_from` answer ("who told you?"), or an imported `referral` (both '
    "become customers; `to` converts at `at`).",
    "signup": "A customer signed up (converts a prospect); through a `link` when "
    "given.",
    "purchase": "A purchase; makes the buyer a customer if they were not.",
    "click": "A click on a referral link by an anonymous visitor.",
}


def _event(kind: str, types: list[str], example: dict) -> dict:
    fields = API_FIELDS[types[0]]
    properties = {"type": {"type": "string", "enum": types}}
    for name in sorted(fields - {"type"}):
        properties[name] = _COMMON.get(name) or _EVENT_FIELDS[name]
    return _object(properties, _REQUIRED[kind], _EVENT_DOCS[kind], examples=[example])


_PROBLEM = _object(
    {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": _ref("FieldError")},
    },
    ("type", "title", "status", "detail"),
    "An RFC 9457 problem. `errors` names each field-level problem.",
)
_FIELD_ERROR = _object(
    {
        "index": {
            "type": ["integer", "null"],
            "description": "The event's position in the request, or null.",
        },
        "field": {"type": "string"},
        "message": {"type": "string", "description": "What to do instead."},
    },
    ("index", "field", "message"),
)

_INTEGER_FIGURES = {"conversations_started", "direct_referrals", "reach", "generations"}
_PERSON_FIGURES = _object(
    {
        name: _nullable({"type": "integer" if name in _INTEGER_FIGURES else "number"})
        for name in PERSON_FIGURES
    },
    PERSON_FIGURES,
    "METRICS.md figures. influence, conversation_reach and expected_spread are "
    "computed in the background: null until the first run. expected_spread is "
    "exact where what the person reaches is a tree, a Monte Carlo estimate for "
    "the few hundred customers seeding considers, and null for anyone else.",
)
_CUSTOMER_PROPS = {
    "id": {"type": "string"},
    "status": {"type": "string", "enum": ["customer", "prospect"]},
    "acquired_at": _nullable(TIME_OUT),
    "acquired_via": {
        "type": ["string", "null"],
        "enum": ["root", "referred", "mention", None],
    },
    "name": {"type": ["string", "null"]},
    "email": {"type": ["string", "null"]},
}
CUSTOMER_EXAMPLE = {
    "id": "c-1001",
    "status": "customer",
    "acquired_at": "2026-03-01T12:00:00Z",
    "acquired_via": "referred",
    "name": "Zoë Brandt",
    "email": "zoe@example.org",
}
_CREDIT = _object(
    {
        "id": {"type": "string", "description": "The referrer's external id."},
        "kind": {
            "type": "string",
            "enum": ["link", "mention", "heard_from", "referral"],
        },
        "at": TIME_OUT,
        "status": {
            "type": "string",
            "enum": ["credited", "held"],
            "description": "held: awaiting review (see /flags).",
        },
    },
    ("id", "kind", "at", "status"),
)
_LINK = _object(
    {
        "code": {"type": "string"},
        "channel": {"type": "string"},
        "disabled": {"type": "boolean"},
        "created_at": TIME_OUT,
        "clicks": {"type": "integer", "description": "Human clicks."},
        "bot_clicks": {"type": "integer"},
        "signups": {"type": "integer"},
    },
    ("code", "channel", "disabled", "created_at", "clicks", "bot_clicks", "signups"),
    examples=[
        {
            "code": "k7m2xq9a",
            "channel": "default",
            "disabled": False,
            "created_at": "2026-03-01T12:00:00Z",
            "clicks": 12,
            "bot_clicks": 3,
            "signups": 2,
        }
    ],
)
_TOUCH = _object(
    {
        "from": {"type": "string"},
        "to": {"type": "string"},
        "kinds": {
            "type": "array",
            "items": {
                "type": "string",
                "enum": ["link", "mention", "heard_from", "referral"],
            },
        },
        "touches": {"type": "integer"},
        "first_at": TIME_OUT,
        "last_at": TIME_OUT,
        "converted": {"type": "boolean"},
    },
    ("from", "to", "kinds", "touches", "first_at", "last_at", "converted"),
)
_CASCADE_PROPS = {
    "root": {"type": "string"},
    "root_acquired_at": _nullable(TIME_OUT),
    "size": {"type": "integer"},
    "depth": {"type": "integer"},
    "breadth": {"type": "array", "items": {"type": "integer"}},
    "max_breadth": {"type": "integer"},
    "structural_virality": {"type": ["number", "null"]},
    "duration": {"type": ["number", "null"], "description": "Seconds."},
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
_TREE_NODE = _object(
    {
        "id": {"type": "string"},
        "acquired_at": _nullable(TIME_OUT),
        "value": {"type": "number"},
        "kind": {"type": ["string", "null"]},
        "hidden": {
            "type": "integer",
            "description": "Descendants left out below max_depth.",
        },
        "children": {"type": "array", "items": _ref("TreeNode")},
    },
    ("id", "acquired_at", "value", "kind", "hidden", "children"),
)
_BACKGROUND = {
    "ready": {
        "type": "boolean",
        "description": "false until the first background run has finished.",
    },
    "computed_at": _nullable(TIME_OUT),
}
_SPREAD_ROW = {
    "type": "object",
    "properties": {
        "bucket": {"type": "string", "format": "date"},
        "start": TIME_OUT,
        "end": TIME_OUT,
        "new_customers": {"type": "integer"},
        "root": {"type": "integer"},
        "referred": {"type": "integer"},
        "mention": {"type": "integer"},
        "clicks": {"type": "integer"},
        "conversions": {"type": "integer"},
        "wom_share": {"type": ["number", "null"]},
        "k_factor": {"type": ["number", "null"]},
        "k_partial": {"type": "boolean"},
        "conversations_per_member": {"type": ["number", "null"]},
        "listener_conversion": {"type": ["number", "null"]},
        "cycle_time": {"type": ["number", "null"]},
        "top_reach": {"type": "integer"},
        "top_reach_each": {"type": "array", "items": {"type": "integer"}},
    },
    "required": ["bucket", "start", "end", "new_customers", "wom_share", "k_factor"],
}

SCHEMAS = {
    "Problem": _PROBLEM,
    "FieldError": _FIELD_ERROR,
    "MentionEvent": _event(
        "mention",
        ["mention", "heard_from", "referral"],
        {
            "type": "mention",
            "from": "c-1001",
            "to": "c-1002",
            "at": "2026-03-01T12:00:00Z",
        },
    ),
    "SignupEvent": _event(
        "signup",
        ["signup"],
        {
            "type": "signup",
            "customer": "c-1002",
            "at": "2026-03-02T08:30:00Z",
            "email": "ben@example.org",
        },
    ),
    "PurchaseEvent": _event(
        "purchase",
        ["purchase"],
        {
            "type": "purchase",
            "customer": "c-1002",
            "value": 49.9,
            "at": "2026-03-03T10:00:00Z",
        },
    ),
    "ClickEvent": _event(
        "click",
        ["click"],
        {
            "type": "click",
            "link": "k7m2xq9a",
            "visitor": "v-8f2a",
            "at": "2026-03-02T08:00:00Z",
        },
    ),
    "Event": {
        "oneOf": [
            _ref("MentionEvent"),
            _ref("SignupEvent"),
            _ref("PurchaseEvent"),
            _ref("ClickEvent"),
        ],
        "description": "One word-of-mouth event, in exactly one of these shapes.",
    },
    "EventBatch": _object(
        {
            "events": {
                "type": "array",
                "items": _ref("Event"),
                "minItems": 1,
                "maxItems": MAX_EVENTS,
            }
        },
        ("events",),
        f"Up to {MAX_EVENTS:,} events, stored all or nothing.",
    ),
    "IngestResult": _object(
        {
            "received": {"type": "integer"},
            "accepted": {"type": "integer", "description": "Appended to the log."},
            "replayed": {
                "type": "integer",
                "description": "Skipped: their event_id was seen before.",
            },
            "new_people": {"type": "integer"},
            "first_seq": {"type": ["integer", "null"]},
            "last_seq": {"type": ["integer", "null"]},
        },
        ("received", "accepted", "replayed", "new_people", "first_seq", "last_seq"),
        examples=[
            {
                "received": 2,
                "accepted": 2,
                "replayed": 0,
                "new_people": 1,
                "first_seq": 41,
                "last_seq": 42,
            }
        ],
    ),
    "CustomerInput": _object(
        {
            "id": EXTERNAL_ID,
            "name": _text(200, "Zoë Brandt"),
            "email": {
                "type": "string",
                "maxLength": 254,
                "examples": ["zoe@example.org"],
            },
            "acquired_at": TIME | {"description": "Records a sign-up at this time."},
        },
        ("id",),
        examples=[
            {
                "id": "c-1001",
                "name": "Zoë Brandt",
                "acquired_at": "2026-03-01T12:00:00Z",
            }
        ],
    ),
    "Customer": _object(
        _CUSTOMER_PROPS,
        tuple(_CUSTOMER_PROPS),
        examples=[CUSTOMER_EXAMPLE],
    ),
    "CustomerListItem": _object(
        _CUSTOMER_PROPS | {"credited_referrer": {"type": ["string", "null"]}},
        (*_CUSTOMER_PROPS, "credited_referrer"),
    ),
    "CustomerPage": _object(
        {
            "items": {"type": "array", "items": _ref("CustomerListItem")},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass as ?cursor= for the next page; null on the last.",
            },
        },
        ("items", "next_cursor"),
        examples=[
            {
                "items": [CUSTOMER_EXAMPLE | {"credited_referrer": "c-0007"}],
                "next_cursor": None,
            }
        ],
    ),
    "Credit": _CREDIT,
    "PersonFigures": _PERSON_FIGURES,
    "Link": _LINK,
    "LinkInput": _object(
        {
            "code": {
                "type": "string",
                "pattern": "^[a-z0-9-]{4,64}$",
                "description": "Leave it out for a random, unambiguous code.",
            },
            "channel": _text(40, "instagram"),
        },
        examples=[{"channel": "instagram"}],
    ),
    "LinkList": _object(
        {"items": {"type": "array", "items": _ref("Link")}}, ("items",)
    ),
    "Touch": _TOUCH,
    "CustomerDetail": _object(
        _CUSTOMER_PROPS
        | {
            "value": {"type": "number", "description": "Sum of their purchases."},
            "credited_referrer": {"anyOf": [_ref("Credit"), {"type": "null"}]},
            "cascade_root": {"type": ["string", "null"]},
            "figures": _ref("PersonFigures"),
            "computed_at": _nullable(TIME_OUT),
            "links": {"type": "array", "items": _ref("Link")},
            "touches": {"type": "array", "items": _ref("Touch")},
        },
        (
            *_CUSTOMER_PROPS,
            "value",
            "credited_referrer",
            "cascade_root",
            "figures",
            "computed_at",
            "links",
            "touches",
        ),
    ),
    "Starter": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "status": {"type": "string", "enum": ["customer", "prospect"]},
        }
        | _PERSON_FIGURES["properties"],
        "required": ["id", "status", "conversations_started", "reach"],
        "additionalProperties": False,
    },
    "StarterPage": _object(
        {
            "by": {"type": "string"},
            "since": _nullable(TIME_OUT),
            "items": {"type": "array", "items": _ref("Starter")},
        }
        | _BACKGROUND,
        ("by", "since", "ready", "computed_at", "items"),
    ),
    "Cascade": _object(
        _CASCADE_PROPS, tuple(_CASCADE_PROPS), examples=[CASCADE_EXAMPLE]
    ),
    "CascadePage": _object(
        {
            "by": {"type": "string"},
            "items": {"type": "array", "items": _ref("Cascade")},
        },
        ("by", "items"),
    ),
    "TreeNode": _TREE_NODE,
    "CascadeTree": _object(
        _CASCADE_PROPS | {"tree": _ref("TreeNode")},
        (*_CASCADE_PROPS, "tree"),
    ),
    "KFactor": {
        "type": "object",
        "properties": {
            "cohort_size": {"type": "integer"},
            "credited": {"type": "integer"},
            "k_factor": {"type": ["number", "null"]},
            "conversations_per_member": {"type": ["number", "null"]},
            "listener_conversion": {"type": ["number", "null"]},
            "partial": {"type": "boolean"},
        },
        "required": ["cohort_size", "credited", "k_factor", "partial"],
    },
    "Spread": _object(
        {
            "bucket": {"type": "string", "enum": ["day", "week", "month"]},
            "time_zone": {"type": "string"},
            "from": _nullable(TIME_OUT),
            "to": _nullable(TIME_OUT),
            "wom_share": {"type": ["number", "null"]},
            "k_factor": _ref("KFactor"),
            "cycle_time": {"type": ["number", "null"], "description": "Seconds."},
            "series": {"type": "array", "items": _SPREAD_ROW},
        },
        (
            "bucket",
            "time_zone",
            "from",
            "to",
            "wom_share",
            "k_factor",
            "cycle_time",
            "series",
        ),
    ),
    "Community": _object(
        {
            "size": {"type": "integer"},
            "customers": {"type": "integer"},
            "wom_share": {"type": ["number", "null"]},
            "top_starter": {
                "anyOf": [
                    _object(
                        {
                            "id": {"type": ["string", "null"]},
                            "reach": {"type": "integer"},
                            "conversations_started": {"type": "integer"},
                        },
                        ("id", "reach", "conversations_started"),
                    ),
                    {"type": "null"},
                ]
            },
            "members": {"type": "array", "items": {"type": ["string", "null"]}},
        },
        ("size", "customers", "wom_share", "top_starter", "members"),
    ),
    "Communities": _object(
        _BACKGROUND
        | {
            "method": {
                "type": ["string", "null"],
                "enum": ["louvain", "fast_label_propagation", None],
            },
            "seed": {"type": ["integer", "null"]},
            "total": {"type": "integer"},
            "items": {"type": "array", "items": _ref("Community")},
        },
        ("ready", "computed_at", "method", "seed", "total", "items"),
    ),
    "Bridges": _object(
        _BACKGROUND
        | {
            "sampled": {"type": ["boolean", "null"]},
            "k": {"type": ["integer", "null"]},
            "seed": {"type": ["integer", "null"]},
            "items": {
                "type": "array",
                "items": _object(
                    {"id": {"type": ["string", "null"]}, "score": {"type": "number"}},
                    ("id", "score"),
                ),
            },
        },
        ("ready", "computed_at", "sampled", "k", "seed", "items"),
    ),
    "Seeds": _object(
        _BACKGROUND
        | {
            "k": {"type": "integer"},
            "method": {"type": ["string", "null"]},
            "runs": {"type": ["integer", "null"]},
            "items": {
                "type": "array",
                "items": _object(
                    {
                        "id": {"type": ["string", "null"]},
                        "marginal_gain": {"type": "number"},
                    },
                    ("id", "marginal_gain"),
                ),
            },
            "expected_spread": {
                "type": ["number", "null"],
                "description": "People the seeds reach together (Monte Carlo).",
            },
            "exhausted": {
                "type": ["boolean", "null"],
                "description": "Fewer than k seeds are listed: no other customer "
                "adds to the expected spread.",
            },
            "top_starters": {
                "anyOf": [
                    _object(
                        {
                            "ids": {
                                "type": "array",
                                "items": {"type": ["string", "null"]},
                            },
                            "expected_spread": {"type": ["number", "null"]},
                        },
                        ("ids", "expected_spread"),
                        "The top k starters (by reach, as METRICS.md ranks them) "
                        "and their joint expected spread, for comparison.",
                    ),
                    {"type": "null"},
                ]
            },
        },
        (
            "ready",
            "computed_at",
            "k",
            "method",
            "runs",
            "items",
            "expected_spread",
            "exhausted",
            "top_starters",
        ),
    ),
    "Flag": _object(
        {
            "id": {"type": "string"},
            "kind": {
                "type": "string",
                "enum": ["self_referral", "held", "ring", "reciprocal", "burst"],
            },
            "customer": {"type": ["string", "null"]},
            "referrer": {"type": ["string", "null"]},
            "members": {"type": "array", "items": {"type": "string"}},
            "reason": {"type": "string"},
            "raised_at": TIME_OUT,
            "status": {"type": "string", "enum": ["open", "approved", "voided"]},
        },
        (
            "id",
            "kind",
            "customer",
            "referrer",
            "members",
            "reason",
            "raised_at",
            "status",
        ),
    ),
    "FlagPage": _object(
        {
            "items": {"type": "array", "items": _ref("Flag")},
            "next_cursor": {"type": ["string", "null"]},
            "computed_at": _nullable(TIME_OUT),
        },
        ("items", "next_cursor", "computed_at"),
    ),
    "FlagDecision": _object(
        {"decision": {"type": "string", "enum": ["approve", "void"]}},
        ("decision",),
        examples=[{"decision": "approve"}],
    ),
    "ReviewOutcome": _object(
        {
            "id": {"type": "string"},
            "status": {"type": "string", "enum": ["approved", "voided"]},
            "customer": {"type": "string"},
            "credited_referrer": {"anyOf": [_ref("Credit"), {"type": "null"}]},
        },
        ("id", "status", "customer", "credited_referrer"),
    ),
    "NodeLinkGraph": {
        "type": "object",
        "description": "networkx node-link data: nodes by external id, times ISO.",
        "properties": {
            "directed": {"type": "boolean"},
            "multigraph": {"type": "boolean"},
            "graph": {"type": "object"},
            "nodes": {"type": "array", "items": {"type": "object"}},
            "edges": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["directed", "multigraph", "graph", "nodes", "edges"],
    },
}

# status -> (title, when)
ERRORS = {
    400: ("Bad Request", "A query parameter, header or body that cannot be read."),
    401: ("Unauthorized", "No bearer token, or an unknown one."),
    403: ("Forbidden", "A read-only token tried to write."),
    404: ("Not Found", "No such customer, cascade or flag."),
    409: ("Conflict", "The same Idempotency-Key is still running, or a code is taken."),
    413: (
        "Request Entity Too Large",
        f"The body is over the size limit, or holds more than {MAX_EVENTS:,} events; "
        "nothing was stored.",
    ),
    415: ("Unsupported Media Type", "The body is not JSON (or NDJSON for events)."),
    422: (
        "Unprocessable Content",
        "Well-formed but wrong: `errors` names the index and field of each problem. "
        "Nothing was stored.",
    ),
    429: (
        "Too Many Requests",
        "Over the token's rate limit: wait Retry-After seconds.",
    ),
    503: (
        "Service Unavailable",
        "The server has just started and the figures are still loading (or the "
        "database is busy): ask again after Retry-After seconds.",
    ),
}
