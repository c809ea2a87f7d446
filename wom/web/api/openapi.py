"""GET /api/v1/openapi.json: the complete OpenAPI 3.1 description of the API.

Every path, parameter, response and error is written here; every body, with its
examples, is the contract's (``wom.contract.document``), so the document and the
validation cannot disagree. Tests run Schemathesis over it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec
from flask import Response

from ...analytics.buckets import BUCKETS
from ...contract import MAX_EVENTS
from ...contract.document import REGISTRY, components, example_of
from ...contract.fields import ExternalId
from ...service import CASCADE_SORTS
from ...service.background import SEED_K
from . import blueprint
from .events import NDJSON
from .figures import STARTER_RANKINGS
from .flags import FLAG_KINDS
from .graph import EDGE_KINDS, FORMATS
from .idempotency import HEADER
from .wire import reply

__all__ = ["ERRORS", "build_document", "document"]

JSON = "application/json"
PROBLEM = "application/problem+json"
READ_ERRORS = (400, 401, 429, 503)
WRITE_ERRORS = (400, 401, 403, 409, 413, 415, 422, 429)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: str, description: str, example=None, status: int = 200) -> dict:
    content = {"schema": _ref(schema)}
    if example is not None:
        content["example"] = example
    return {str(status): {"description": description, "content": {JSON: content}}}


def _errors(*codes: int) -> dict:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in codes}


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _limit(default: int, high: int = 1000) -> dict:
    return _query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": high, "default": default},
        "How many to return.",
    )


def _schema(kind: Any) -> dict:
    return components({"_": kind}).get("_") or msgspec.json.schema(kind)


_ID_PARAM = {
    "name": "external_id",
    "in": "path",
    "required": True,
    "schema": _schema(ExternalId),
    "description": "The customer's external id.",
}
_KEY_PARAM = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^[ -~]+$",
    },
    "description": "Makes a retry safe: the same key and body replays the stored "
    "response (with `Idempotent-Replayed: true`); the same key with another body is "
    "422; the same key while its first request runs is 409. Kept 24 hours per token.",
}
_REPLAYED = {
    "description": "`true` when this is the stored response to an earlier request "
    "with the same Idempotency-Key.",
    "schema": {"type": "string", "enum": ["true"]},
}
_TIME_QUERY = {"type": "string", "format": "date-time"} | {
    "description": "ISO 8601 with a time zone."
}


def _operation(
    summary: str,
    description: str,
    responses: dict,
    *,
    tag: str,
    parameters=(),
    body=None,
    write=False,
) -> dict:
    found = {
        "summary": summary,
        "description": description,
        "tags": [tag],
        "parameters": list(parameters) + ([_KEY_PARAM] if write else []),
        "responses": responses,
    }
    if body is not None:
        found["requestBody"] = body
    if write:
        for status, response in responses.items():
            if status.startswith("2"):
                response["headers"] = {"Idempotent-Replayed": _REPLAYED}
    return found


def _json_body(schema: str) -> dict:
    return {
        "required": True,
        "content": {
            JSON: {"schema": _ref(schema), "example": example_of(REGISTRY[schema])}
        },
    }


def _events_body() -> dict:
    return {
        "required": True,
        "description": f"One event, a batch of up to {MAX_EVENTS:,}, or NDJSON "
        "(one event per line).",
        "content": {
            JSON: {
                "schema": {"oneOf": [_ref("Event"), _ref("EventBatch")]},
                "examples": {
                    "one": {
                        "summary": "One mention",
                        "value": example_of(REGISTRY["MentionEvent"]),
                    },
                    "batch": {
                        "summary": "A sign-up and a purchase",
                        "value": example_of(REGISTRY["EventBatch"]),
                    },
                },
            },
            NDJSON: {
                "schema": {"type": "string"},
                "example": msgspec.json.encode(example_of(REGISTRY["MentionEvent"]))
                .decode()
                .__add__("\n"),
            },
        },
    }


def _paths() -> dict:
    figures = "Figures"
    return {
        "/customers": {
            "get": _operation(
                "List customers",
                "Customers a page at a time (keyset cursor), filtered by how they "
                "were acquired and when, sorted from an allow-list.",
                _json("CustomerPage", "A page of customers.") | _errors(*READ_ERRORS),
                tag="People",
                parameters=[
                    _query(
                        "acquired_via",
                        {"type": "string", "enum": ["root", "referred", "mention"]},
                        "Only customers acquired this way.",
                    ),
                    _query("from", _TIME_QUERY, "Acquired at or after."),
                    _query("to", _TIME_QUERY, "Acquired before."),
                    _query(
                        "sort",
                        {
                            "type": "string",
                            "enum": ["acquired_at", "-acquired_at", "id", "-id"],
                            "default": "acquired_at",
                        },
                        "Order; `-` for descending.",
                    ),
                    _limit(100),
                    _query(
                        "cursor",
                        {"type": "string", "maxLength": 2000},
                        "The previous page's next_cursor.",
                    ),
                ],
            ),
            "post": _operation(
                "Create or update a customer",
                "By external id. With `acquired_at` the customer signs up at that "
                "time (through the event log); without it the person is kept as a "
                "prospect until a sign-up or purchase arrives.",
                _json("Customer", "Updated.")
                | _json("Customer", "Created.", status=201)
                | _errors(*WRITE_ERRORS),
                tag="People",
                body=_json_body("CustomerInput"),
                write=True,
            ),
        },
        "/customers/{external_id}": {
            "get": _operation(
                "One customer, with every figure about them",
                "The person, every METRICS.md figure that concerns them, their "
                "credited referrer, their links and all their touches.",
                _json("CustomerDetail", "The person.") | _errors(*READ_ERRORS, 404),
                tag="People",
                parameters=[_ID_PARAM],
            ),
            "delete": _operation(
                "Erase a person",
                "Right to be forgotten: names, emails and free text are deleted, "
                "the node gets a random pseudonym (no mapping kept) and the bytes "
                "are scrubbed from the file and the WAL (VACUUM: writes wait for "
                "it; a reader still using old frames delays the scrub by seconds). "
                "Aggregate figures stay. Send no personal data in event_id: the "
                "event log is append-only.",
                {"204": {"description": "Erased."}} | _errors(*WRITE_ERRORS, 404),
                tag="People",
                parameters=[_ID_PARAM],
                write=True,
            ),
        },
        "/customers/{external_id}/links": {
            "get": _operation(
                "A person's referral links",
                "Each with its human clicks, bot clicks and sign-ups.",
                _json("LinkList", "The links.") | _errors(*READ_ERRORS, 404),
                tag="People",
                parameters=[_ID_PARAM],
            ),
            "post": _operation(
                "Give a person a referral link",
                "A random unambiguous code unless `code` is given.",
                _json("Link", "Created.", status=201) | _errors(*WRITE_ERRORS, 404),
                tag="People",
                parameters=[_ID_PARAM],
                body=_json_body("LinkInput"),
                write=True,
            ),
        },
        "/events": {
            "post": _operation(
                "Record events",
                f"All or nothing, up to {MAX_EVENTS:,} per request. An `event_id` "
                "seen before from this token is skipped (a replay). Answered after "
                "COMMIT.",
                _json("IngestResult", "Stored.") | _errors(*WRITE_ERRORS),
                tag="Events",
                body=_events_body(),
                write=True,
            ),
        },
        "/starters": {
            "get": _operation(
                "Top conversation starters",
                "Customers ranked by a figure, ties by the next figure, then id. "
                "`since` counts only people acquired (and conversations begun) "
                "since then, for by=reach, conversations or direct.",
                _json("StarterPage", "The ranking.") | _errors(*READ_ERRORS),
                tag=figures,
                parameters=[
                    _query(
                        "by",
                        {
                            "type": "string",
                            "enum": list(STARTER_RANKINGS),
                            "default": "reach",
                        },
                        "The figure to rank by.",
                    ),
                    _limit(10),
                    _query("since", _TIME_QUERY, "Count only what happened since."),
                    _query(
                        "include",
                        {"type": "string", "enum": ["prospects"]},
                        "Rank prospects too.",
                    ),
                ],
            ),
        },
        "/cascades": {
            "get": _operation(
                "The largest cascades",
                "Roots of the referral forest with their cascade's figures.",
                _json("CascadePage", "The cascades.") | _errors(*READ_ERRORS),
                tag=figures,
                parameters=[
                    _query(
                        "by",
                        {
                            "type": "string",
                            "enum": list(CASCADE_SORTS),
                            "default": "size",
                        },
                        "The figure to sort by, largest first.",
                    ),
                    _limit(10),
                ],
            ),
        },
        "/cascades/{root_id}": {
            "get": _operation(
                "One cascade, as a nested tree",
                "The cascade's figures and its tree down to `max_depth` generations.",
                _json("CascadeTree", "The cascade.") | _errors(*READ_ERRORS, 404),
                tag=figures,
                parameters=[
                    _ID_PARAM | {"name": "root_id"},
                    _query(
                        "max_depth",
                        {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": 100,
                            "default": 20,
                        },
                        "Generations to show; `hidden` counts the rest.",
                    ),
                ],
            ),
        },
        "/spread": {
            "get": _operation(
                "Spread over time",
                "The series per bucket, with wom_share, k_factor and cycle_time over "
                "the range. Buckets follow the business's time zone.",
                _json("Spread", "The series.") | _errors(*READ_ERRORS),
                tag=figures,
                parameters=[
                    _query(
                        "bucket",
                        {
                            "type": "string",
                            "enum": list(BUCKETS),
                            "default": "week",
                        },
                        "Bucket size (weeks start on Monday).",
                    ),
                    _query("from", _TIME_QUERY, "Start of the range."),
                    _query("to", _TIME_QUERY, "End of the range (exclusive)."),
                ],
            ),
        },
        "/communities": {
            "get": _operation(
                "Communities (background)",
                "Louvain up to 100,000 people, label propagation above, with each "
                "community's top starter and word-of-mouth share.",
                _json("Communities", "The communities.") | _errors(*READ_ERRORS),
                tag=figures,
                parameters=[
                    _limit(50),
                    _query(
                        "members",
                        {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": 10000,
                            "default": 100,
                        },
                        "Members to list per community.",
                    ),
                ],
            ),
        },
        "/bridges": {
            "get": _operation(
                "Bridges (background)",
                "Customers with the highest betweenness; sampled above 5,000 people.",
                _json("Bridges", "The bridges.") | _errors(*READ_ERRORS),
                tag=figures,
            ),
        },
        "/seeds": {
            "get": _operation(
                "Whom to encourage next (background)",
                "The k customers that together maximise the expected spread (CELF).",
                _json("Seeds", "The seed set.") | _errors(*READ_ERRORS),
                tag=figures,
                parameters=[
                    _query(
                        "k",
                        {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": SEED_K,
                            "default": SEED_K,
                        },
                        "How many seeds.",
                    )
                ],
            ),
        },
        "/flags": {
            "get": _operation(
                "Review flags",
                "Self-referrals, held credits, rings, reciprocal pairs and bursts.",
                _json("FlagPage", "A page of flags.") | _errors(*READ_ERRORS),
                tag="Review",
                parameters=[
                    _query(
                        "kind",
                        {
                            "type": "string",
                            "enum": list(FLAG_KINDS),
                        },
                        "Only flags of this kind.",
                    ),
                    _query(
                        "status",
                        {"type": "string", "enum": ["open", "approved", "voided"]},
                        "Only flags in this state.",
                    ),
                    _limit(100),
                    _query(
                        "cursor",
                        {"type": "string", "maxLength": 2000},
                        "The previous page's next_cursor.",
                    ),
                ],
            ),
        },
        "/flags/{flag_id}": {
            "post": _operation(
                "Approve or void a flagged credit",
                "Approving a held credit makes it count; voiding it moves the "
                "credit to the next eligible touch.",
                _json("ReviewOutcome", "Decided.") | _errors(*WRITE_ERRORS, 404),
                tag="Review",
                parameters=[
                    {
                        "name": "flag_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1},
                    }
                ],
                body=_json_body("FlagDecision"),
                write=True,
            ),
        },
        "/graph": {
            "get": _operation(
                "Export the conversation graph",
                "JSON node-link, GEXF (with `start` per node and edge for Gephi's "
                "timeline) or GraphML. People by external id; times ISO 8601.",
                {
                    "200": {
                        "description": "The graph.",
                        "content": {
                            FORMATS["json"]: {"schema": _ref("NodeLinkGraph")},
                            FORMATS["gexf"]: {"schema": {"type": "string"}},
                            FORMATS["graphml"]: {"schema": {"type": "string"}},
                        },
                    }
                }
                | _errors(*READ_ERRORS),
                tag="Graph",
                parameters=[
                    _query(
                        "format",
                        {"type": "string", "enum": list(FORMATS), "default": "json"},
                        "The file format.",
                    ),
                    _query(
                        "since",
                        _TIME_QUERY,
                        "Conversations begun since, and the people they join.",
                    ),
                    _query(
                        "kinds",
                        {
                            "type": "string",
                            "pattern": f"^({'|'.join(EDGE_KINDS)})"
                            f"(,({'|'.join(EDGE_KINDS)}))*$",
                        },
                        "Comma-separated edge kinds to keep.",
                    ),
                ],
            ),
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "tags": ["Meta"],
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1.",
                        "content": {JSON: {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


def _error_responses() -> dict:
    found = {}
    for status, (title, when) in ERRORS.items():
        response = {
            "description": when,
            "content": {
                PROBLEM: {
                    "schema": _ref("Problem"),
                    "example": {
                        "type": "https://wom.invalid/problems/"
                        + title.lower().replace(" ", "-"),
                        "title": title,
                        "status": status,
                        "detail": when,
                    },
                }
            },
        }
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
        if status in (429, 503):
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait.",
                    "schema": {"type": "integer", "minimum": 0},
                }
            }
        found[f"E{status}"] = response
    return found


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


@cache
def document() -> dict:
    """The OpenAPI 3.1 document (built once)."""
    return build_document()


def build_document(registry: dict[str, Any] | None = None) -> dict:
    """The OpenAPI 3.1 document, its components generated from ``registry`` (the
    contract's ``REGISTRY`` unless given)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "wom API",
            "version": "1.0.0",
            "summary": "Word of mouth in, every figure out.",
            "description": "Feed wom the conversations between your customers "
            "(mentions, referrals, clicks, sign-ups, purchases) and read who starts "
            "them, how they spread and what they are worth. Authenticate with "
            "`Authorization: Bearer <token>` (`flask --app wom create-token NAME`). "
            "Errors are RFC 9457 problem+json. Times are ISO 8601 with a zone.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "tags": [
            {"name": "People"},
            {"name": "Events"},
            {"name": "Figures"},
            {"name": "Review"},
            {"name": "Graph"},
            {"name": "Meta"},
        ],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `flask --app wom create-token`.",
                }
            },
            "schemas": components(registry),
            "responses": _error_responses(),
        },
    }


@blueprint.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI document (public: it holds no data)."""
    return reply(document())
