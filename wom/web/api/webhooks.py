"""Webhook endpoints over the API (admin tokens): add, list, remove, rotate a
secret, list deliveries, send a test.

A new endpoint's secret is in the answer once and nowhere else: these views keep
no idempotent response (it would hold the secret in the clear).
"""

from __future__ import annotations

from flask import Response

from ... import actions
from ...contract.webhooks import WebhookInput
from ...store import now_micros
from ...store import webhooks as endpoints
from .. import store, webhooks
from . import blueprint
from .auth import needs
from .wire import arguments, body, integer, iso, reply

__all__ = ["endpoint_reply"]

_TIMES = ("created_at", "failing_since", "disabled_at", "previous_secret_until")


def endpoint_reply(found: dict) -> dict:
    """An endpoint from the store, in the API's Webhook shape (and its secret,
    when it has just been made)."""
    shown = {key: value for key, value in found.items() if key != "internal_id"}
    return shown | {key: iso(found[key]) for key in _TIMES}


@blueprint.post("/webhooks")
@needs("admin")
def add_webhook():
    """Add an endpoint: answers its id and its secret, once."""
    arguments({})
    asked = body(WebhookInput)
    sealer, policy, _ = webhooks()
    made = actions.add_webhook(store(), sealer, policy, asked, now=now_micros())
    return reply(endpoint_reply(made), 201)


@blueprint.get("/webhooks")
@needs("admin")
def list_webhooks():
    """Every endpoint, with how it is doing."""
    arguments({})
    items = endpoints.list_endpoints(store().reader())
    return reply({"items": [endpoint_reply(found) for found in items]})


@blueprint.delete("/webhooks/<endpoint_id>")
@needs("admin")
def remove_webhook(endpoint_id: str):
    """Remove an endpoint, its pending deliveries and their records."""
    arguments({})
    actions.remove_webhook(store(), endpoint_id)
    return Response(status=204)


@blueprint.post("/webhooks/<endpoint_id>/rotate")
@needs("admin")
def rotate_webhook(endpoint_id: str):
    """A new secret, shown once; the old one signs beside it for a day."""
    arguments({})
    sealer, _, _ = webhooks()
    rotated = actions.rotate_webhook_secret(
        store(), sealer, endpoint_id, now=now_micros()
    )
    until = iso(rotated["previous_secret_until"])
    return reply(rotated | {"previous_secret_until": until})


@blueprint.get("/webhooks/<endpoint_id>/deliveries")
@needs("admin")
def webhook_deliveries(endpoint_id: str):
    """The endpoint's tries, newest first, with status and latency."""
    asked = arguments({"limit": integer(1, 1000), "cursor": integer(1, 10**12)})
    limit = asked.get("limit", 50)
    page = endpoints.deliveries_of(
        store().reader(), endpoint_id, limit=limit + 1, before=asked.get("cursor")
    )
    items = [row | {"tried_at": iso(row["tried_at"])} for row in page[:limit]]
    following = str(items[-1]["attempt"]) if len(page) > limit else None
    return reply({"items": items, "next_cursor": following})


@blueprint.post("/webhooks/<endpoint_id>/test")
@needs("admin")
def test_webhook(endpoint_id: str):
    """Queue a webhook.test message for this endpoint."""
    arguments({})
    sent = actions.send_test_webhook(store(), endpoint_id, now=now_micros())
    return reply({"message_id": sent}, 202)
