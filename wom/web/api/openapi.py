"""GET /api/v1/openapi.json: the complete OpenAPI 3.1 description of the API.

The paths, parameters and responses are ``paths.py``'s; every body, with its
examples, is the contract's (``wom.contract.document``), so the document and the
validation cannot disagree. Tests run Schemathesis over it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Response

from ...contract import MAX_EVENTS
from ...contract.document import components
from . import blueprint
from .operations import ref
from .paths import paths
from .webhook_paths import webhooks_section
from .wire import reply

__all__ = ["ERRORS", "build_document", "document"]

PROBLEM = "application/problem+json"


def _error_responses() -> dict:
    found = {}
    for status, (title, when) in ERRORS.items():
        response = {
            "description": when,
            "content": {
                PROBLEM: {
                    "schema": ref("Problem"),
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
    403: (
        "Forbidden",
        "The token's scope is too small (the detail names the one needed).",
    ),
    404: ("Not Found", "No such customer, cascade or flag."),
    409: ("Conflict", "The same Idempotency-Key is still running, or a code is taken."),
    410: (
        "Gone",
        "The same Idempotency-Key and body after the person its response named was "
        "erased: nothing was written again.",
    ),
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
            {"name": "Rewards"},
            {"name": "Graph"},
            {"name": "Webhooks"},
            {"name": "Meta"},
        ],
        "paths": paths(),
        "webhooks": webhooks_section(),
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
