"""Webhook endpoints: add one (its secret shown once), remove, rotate its
secret, enable it again, send it a test, resend one delivery."""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from ..contract.webhooks import WebhookInput
from ..store import InvalidInput, Store
from ..store import webhooks as endpoints
from ..webhooks import Policy, Refused, Sealer, new_secret

__all__ = [
    "ROTATION_OVERLAP_US",
    "add_webhook",
    "enable_webhook",
    "remove_webhook",
    "resend_delivery",
    "rotate_webhook_secret",
    "send_test_webhook",
]

# After a rotation the old secret signs beside the new one this long, so that
# receivers can switch without losing a message.
ROTATION_OVERLAP_US = 24 * 3600 * 1_000_000


def add_webhook(
    store: Store,
    sealer: Sealer,
    policy: Policy,
    asked: WebhookInput,
    *,
    now: int,
    within: Callable[[Database, dict], None] | None = None,
) -> dict:
    """Add an endpoint after checking its URL and every address its host
    resolves to (InvalidInput naming ``url`` if wom may not send there); return
    it with its new ``secret``, which is kept only sealed."""
    url = asked.url.strip()
    try:
        policy.target(url)  # resolves the host: outside the writer's lock
    except Refused as exc:
        raise InvalidInput.field("url", str(exc)) from None
    public_id, secret = endpoints.new_endpoint_id(), new_secret()
    sealed = sealer.seal(secret, public_id)
    with store.write() as db:
        endpoints.create_endpoint(db, public_id, url, asked.events, sealed, now)
        made = endpoints.endpoint(db, public_id) | {"secret": secret}
        if within is not None:
            within(db, made)
    return made


def remove_webhook(
    store: Store, public_id: str, *, within: Callable[[Database], None] | None = None
) -> None:
    """Remove an endpoint with its pending deliveries and their records."""
    with store.write() as db:
        endpoints.delete_endpoint(db, public_id)
        if within is not None:
            within(db)


def rotate_webhook_secret(
    store: Store, sealer: Sealer, public_id: str, *, now: int
) -> dict:
    """Give the endpoint a new secret; the old one signs too for a day. Return
    ``id``, the new ``secret`` (shown once) and ``previous_secret_until``."""
    secret = new_secret()
    until = now + ROTATION_OVERLAP_US
    with store.write() as db:
        endpoints.rotate_secret(db, public_id, sealer.seal(secret, public_id), until)
    return {"id": public_id, "secret": secret, "previous_secret_until": until}


def enable_webhook(store: Store, public_id: str) -> None:
    """Enable a disabled endpoint: its pending deliveries are tried again."""
    with store.write() as db:
        endpoints.enable_endpoint(db, public_id)


def send_test_webhook(store: Store, public_id: str, *, now: int) -> str:
    """Queue a ``webhook.test`` message for the endpoint; return its webhook-id."""
    with store.write() as db:
        return endpoints.queue_test(db, public_id, now)


def resend_delivery(store: Store, public_id: str, delivery: int, *, now: int) -> None:
    """Try one delivery again now, with its webhook-id."""
    with store.write() as db:
        endpoints.resend(db, public_id, delivery, now)
