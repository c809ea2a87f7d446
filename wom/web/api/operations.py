"""The building blocks of the OpenAPI paths: parameters, responses, bodies and
operations (``paths.py`` puts them together)."""

from __future__ import annotations

import msgspec

from ...contract import MAX_EVENTS
from ...contract.document import REGISTRY, ecma, example_of
from ...contract.fields import ExternalId
from .cursors import MAX_CURSOR_LENGTH
from .events import NDJSON
from .idempotency import HEADER

__all__ = [
    "ID_PARAM",
    "JSON",
    "READ_ERRORS",
    "WRITE_ERRORS",
    "body",
    "cursor",
    "enum",
    "errors",
    "events_body",
    "json_reply",
    "limit",
    "operation",
    "query",
    "ref",
    "when",
    "whole",
]

JSON = "application/json"
READ_ERRORS = (400, 401, 429, 503)
WRITE_ERRORS = (400, 401, 403, 409, 413, 415, 422, 429)


def ref(name: str) -> dict:
    """A reference to the component ``name``."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_reply(schema: str, description: str, status: int = 200) -> dict:
    content = {JSON: {"schema": ref(schema)}}
    return {str(status): {"description": description, "content": content}}


def errors(*codes: int) -> dict:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in codes}


def query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def enum(name: str, values, description: str, default=None) -> dict:
    schema = {"type": "string", "enum": list(values)}
    return query(name, schema | ({"default": default} if default else {}), description)


def whole(name: str, low: int, high: int, default: int, description: str) -> dict:
    schema = {"type": "integer", "minimum": low, "maximum": high, "default": default}
    return query(name, schema, description)


def limit(default: int) -> dict:
    return whole("limit", 1, 1000, default, "How many to return.")


def when(name: str, description: str) -> dict:
    schema = {"type": "string", "format": "date-time"}
    return query(
        name, schema | {"description": "ISO 8601 with a time zone."}, description
    )


def cursor() -> dict:
    return query(
        "cursor",
        {"type": "string", "maxLength": MAX_CURSOR_LENGTH},
        "The previous page's next_cursor.",
    )


ID_PARAM = {
    "name": "external_id",
    "in": "path",
    "required": True,
    "schema": ecma(msgspec.json.schema(ExternalId)),
    "description": "The customer's external id.",
}
KEY_PARAM = {
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
    "422; the same key while its first request runs is 409; the same key and body "
    "after the person its response names was erased is 410. Kept 24 hours per token.",
}
REPLAYED = {
    "description": "`true` when this is the stored response to an earlier request "
    "with the same Idempotency-Key.",
    "schema": {"type": "string", "enum": ["true"]},
}


def operation(
    summary: str,
    description: str,
    responses: dict,
    *,
    tag: str,
    parameters=(),
    body=None,
    write=False,
    scope: str | None = None,
) -> dict:
    """One operation. ``scope`` is the token scope it needs (``read`` unless it
    writes, then ``write``), declared as the bearer scheme's role (OpenAPI 3.1
    allows roles for any scheme), so that a client knows it beforehand."""
    found = {
        "summary": summary,
        "description": description,
        "tags": [tag],
        "parameters": list(parameters) + ([KEY_PARAM] if write else []),
        "responses": responses,
        "security": [{"bearer": [scope or ("write" if write else "read")]}],
    }
    if body is not None:
        found["requestBody"] = body
    if write:
        for status, response in responses.items():
            if status.startswith("2"):
                response["headers"] = {"Idempotent-Replayed": REPLAYED}
        # A key's stored response that named a person since erased.
        responses |= errors(410)
    return found


def body(schema: str) -> dict:
    example = example_of(REGISTRY[schema])
    return {
        "required": True,
        "content": {JSON: {"schema": ref(schema), "example": example}},
    }


def events_body() -> dict:
    mention = example_of(REGISTRY["MentionEvent"])
    return {
        "required": True,
        "description": f"One event, a batch of up to {MAX_EVENTS:,}, or NDJSON "
        "(one event per line).",
        "content": {
            JSON: {
                "schema": {"oneOf": [ref("Event"), ref("EventBatch")]},
                "examples": {
                    "one": {"summary": "One mention", "value": mention},
                    "batch": {
                        "summary": "A sign-up and a purchase",
                        "value": example_of(REGISTRY["EventBatch"]),
                    },
                },
            },
            NDJSON: {
                "schema": {"type": "string"},
                "example": msgspec.json.encode(mention).decode() + "\n",
            },
        },
    }
