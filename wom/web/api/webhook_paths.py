"""The OpenAPI description of webhooks: the endpoints' paths (admin tokens) and
the document's ``webhooks`` section, one entry per event wom sends."""

from __future__ import annotations

from ...contract.webhooks import WEBHOOK_EVENTS
from .operations import (
    JSON,
    READ_ERRORS,
    WRITE_ERRORS,
    body,
    errors,
    json_reply,
    limit,
    operation,
    query,
    ref,
)

__all__ = ["webhook_paths", "webhooks_section"]

ENDPOINT_PARAM = {
    "name": "endpoint_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
    "description": "The endpoint's id (ep_…).",
}
ADMIN = " Needs an admin token."
ADMIN_READ = (*READ_ERRORS, 403, 404)
ADMIN_WRITE = (*WRITE_ERRORS, 404)


def webhook_paths() -> dict:
    """The endpoints' paths."""
    return {
        "/webhooks": {
            "get": operation(
                "List webhook endpoints",
                "Every endpoint with its events, pending deliveries, and whether it "
                "is failing or disabled." + ADMIN,
                json_reply("WebhookList", "The endpoints.") | errors(*READ_ERRORS, 403),
                tag="Webhooks",
                scope="admin",
            ),
            "post": operation(
                "Add a webhook endpoint",
                "An https URL whose host resolves to public addresses only, and the "
                "events to send it. The answer holds the signing secret, this once."
                + ADMIN,
                json_reply("WebhookCreated", "Added.", status=201)
                | errors(*WRITE_ERRORS),
                tag="Webhooks",
                scope="admin",
                body=body("WebhookInput"),
            ),
        },
        "/webhooks/{endpoint_id}": {
            "delete": operation(
                "Remove a webhook endpoint",
                "With its pending deliveries and their records." + ADMIN,
                {"204": {"description": "Removed."}} | errors(*ADMIN_WRITE),
                tag="Webhooks",
                scope="admin",
                parameters=[ENDPOINT_PARAM],
            ),
        },
        "/webhooks/{endpoint_id}/rotate": {
            "post": operation(
                "Rotate an endpoint's secret",
                "A new secret, shown once. The old one signs beside it (two "
                "signatures, space-separated) for 24 hours." + ADMIN,
                json_reply("WebhookRotated", "Rotated.") | errors(*ADMIN_WRITE),
                tag="Webhooks",
                scope="admin",
                parameters=[ENDPOINT_PARAM],
            ),
        },
        "/webhooks/{endpoint_id}/deliveries": {
            "get": operation(
                "An endpoint's delivery tries",
                "Each try, newest first: its webhook-id, event type, HTTP status, "
                "latency and at most 1 KB of the answer." + ADMIN,
                json_reply("DeliveryPage", "The tries.") | errors(*ADMIN_READ),
                tag="Webhooks",
                scope="admin",
                parameters=[
                    ENDPOINT_PARAM,
                    limit(50),
                    query(
                        "cursor",
                        {"type": "string", "pattern": "^[1-9][0-9]{0,11}$"},
                        "The previous page's next_cursor.",
                    ),
                ],
            ),
        },
        "/webhooks/{endpoint_id}/test": {
            "post": operation(
                "Send an endpoint a test event",
                "Queues a webhook.test message for this endpoint alone." + ADMIN,
                json_reply("QueuedTest", "Queued.", status=202) | errors(*ADMIN_WRITE),
                tag="Webhooks",
                scope="admin",
                parameters=[ENDPOINT_PARAM],
            ),
        },
    }


def _header(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }


SIGNED = [
    _header("webhook-id", "The message's id: the same on every try (deduplicate)."),
    _header("webhook-timestamp", "When this try was sent, in POSIX seconds."),
    _header(
        "webhook-signature",
        "`v1,` and base64 of HMAC-SHA256 of `id.timestamp.body` under the "
        "endpoint's secret; during a rotation two, space-separated.",
    ),
]


def webhooks_section() -> dict:
    """The document's ``webhooks``: what wom POSTs to endpoints, per event type."""
    return {
        name: {
            "post": {
                "summary": kind.__doc__.split("\n")[0],
                "description": "Signed the Standard Webhooks way; tried again with "
                "backoff for 24 hours until a 2xx comes back.",
                "tags": ["Webhooks"],
                "parameters": SIGNED,
                "requestBody": {
                    "required": True,
                    "content": {
                        JSON: {"schema": ref(kind.__name__), "example": kind.example}
                    },
                },
                "responses": {
                    "2XX": {"description": "Received; any other is retried."}
                },
            }
        }
        for name, kind in WEBHOOK_EVENTS.items()
    }
