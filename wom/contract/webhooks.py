"""Webhooks in the contract: the events wom sends (each a small envelope of type,
timestamp and data in the API's own shapes), the body that adds an endpoint,
and the API's replies about endpoints and their deliveries.

The events are the OpenAPI document's ``webhooks``; the outbox writes them as
plain JSON and the tests decode every one sent with these Structs.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import msgspec
from msgspec import Meta

from .replies import (
    CREDIT_EXAMPLE,
    Credit,
    Customer,
    Flag,
    Reply,
    Time,
)
from .rewards import Reward

__all__ = [
    "EVENT_TYPES",
    "WEBHOOK_EVENTS",
    "CustomerCreated",
    "DeliveryAttempt",
    "DeliveryPage",
    "FlagOpened",
    "ReferralCredited",
    "ReferralVoided",
    "Referral",
    "Reward",
    "RewardApproved",
    "RewardPaid",
    "QueuedTest",
    "VoidedReferral",
    "Webhook",
    "WebhookCreated",
    "WebhookInput",
    "WebhookList",
    "WebhookRotated",
    "WebhookTest",
    "WebhookTestData",
]

EventType = Literal[
    "customer.created",
    "referral.credited",
    "referral.voided",
    "reward.approved",
    "reward.paid",
    "flag.opened",
]
EVENT_TYPES = EventType.__args__
STAMP = "2026-03-02T08:30:00.120000Z"


class WebhookInput(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An endpoint to add: where to send, and which events."""

    url: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=2000,
            description="An https URL whose host resolves to public addresses only.",
            extra={"problem": "give an https URL of at most 2,000 characters"},
        ),
    ]
    events: Annotated[
        list[EventType],
        Meta(
            min_length=1,
            max_length=len(EVENT_TYPES),
            extra={"problem": f"give a list of events from {', '.join(EVENT_TYPES)}"},
        ),
    ]

    example: ClassVar[dict] = {
        "url": "https://shop.example/hooks/wom",
        "events": ["customer.created", "referral.credited"],
    }


# -- the events -----------------------------------------------------------------


class Referral(Reply):
    """A customer and the referral that now counts for them."""

    customer: str
    credited_referrer: Credit

    example: ClassVar[dict] = {
        "customer": "c-1002",
        "credited_referrer": CREDIT_EXAMPLE,
    }


class VoidedReferral(Reply):
    """A referral that no longer counts, why, and the customer's credit now.

    reason: `review` (the owner voided it), `held` (held for review now),
    `moved` (another referrer's now) or `removed` (no referral counts now, such as
    after an attribution setting changed)."""

    customer: str
    voided: Credit
    reason: Literal["review", "held", "moved", "removed"]
    credited_referrer: Credit | None

    example: ClassVar[dict] = {
        "customer": "c-1002",
        "voided": CREDIT_EXAMPLE,
        "reason": "moved",
        "credited_referrer": CREDIT_EXAMPLE | {"id": "c-0042"},
    }


class WebhookTestData(Reply):
    """What a test message says: which endpoint asked for it."""

    endpoint: str

    example: ClassVar[dict] = {"endpoint": "ep_3f9a1c0b2d4e1a2b"}


class Envelope(Reply, tag_field="type"):
    """Every event: its type, when it happened, and its data."""

    timestamp: Time


class CustomerCreated(Envelope, tag="customer.created"):
    """A person became a customer (their first sign-up, purchase or referral)."""

    data: Customer


class ReferralCredited(Envelope, tag="referral.credited"):
    """A referral counts now: a new customer's, a held one approved, a move."""

    data: Referral


class ReferralVoided(Envelope, tag="referral.voided"):
    """A referral that counted does not any more."""

    data: VoidedReferral


class RewardApproved(Envelope, tag="reward.approved"):
    """A reward's hold ended: it is owed."""

    data: Reward


class RewardPaid(Envelope, tag="reward.paid"):
    """The owner marked a reward paid."""

    data: Reward


class FlagOpened(Envelope, tag="flag.opened"):
    """A review flag was raised: a held credit, a self-referral, a ring..."""

    data: Flag


class WebhookTest(Envelope, tag="webhook.test"):
    """Sent to one endpoint when the owner asks for a test."""

    data: WebhookTestData


WEBHOOK_EVENTS = {
    kind.__struct_config__.tag: kind
    for kind in (
        CustomerCreated,
        ReferralCredited,
        ReferralVoided,
        RewardApproved,
        RewardPaid,
        FlagOpened,
        WebhookTest,
    )
}
# Each event's example: its type, a time, and its data's own example.
for _tag, _kind in WEBHOOK_EVENTS.items():
    _data = msgspec.structs.fields(_kind)[-1].type
    _kind.example = {"type": _tag, "timestamp": STAMP, "data": _data.example}

# -- the API's replies about endpoints --------------------------------------------

WEBHOOK_EXAMPLE = {
    "id": "ep_3f9a1c0b2d4e1a2b",
    "url": "https://shop.example/hooks/wom",
    "events": ["customer.created", "referral.credited"],
    "created_at": "2026-03-01T12:00:00Z",
    "failing_since": None,
    "disabled_at": None,
    "disabled_reason": None,
    "previous_secret_until": None,
    "pending": 0,
}


class Webhook(Reply):
    """An endpoint: where it goes, what it hears, how it is doing.

    failing_since: every try has failed since then (after a day the endpoint is
    disabled). previous_secret_until: after a rotation, the old secret signs too
    until then."""

    id: str
    url: str
    events: list[EventType]
    created_at: Time
    failing_since: Time | None
    disabled_at: Time | None
    disabled_reason: str | None
    previous_secret_until: Time | None
    pending: Annotated[int, Meta(description="Deliveries waiting for a try.")]

    example: ClassVar[dict] = WEBHOOK_EXAMPLE


class WebhookCreated(Webhook):
    """A new endpoint and its signing secret, shown this once."""

    secret: Annotated[str, Meta(description="whsec_…: verify signatures with it.")]

    example: ClassVar[dict] = WEBHOOK_EXAMPLE | {
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    }


class WebhookList(Reply):
    """Every endpoint."""

    items: list[Webhook]

    example: ClassVar[dict] = {"items": [WEBHOOK_EXAMPLE]}


class WebhookRotated(Reply):
    """An endpoint's new secret (shown this once); the old one signs beside it
    until previous_secret_until."""

    id: str
    secret: str
    previous_secret_until: Time

    example: ClassVar[dict] = {
        "id": "ep_3f9a1c0b2d4e1a2b",
        "secret": "whsec_hY8Yq1zv0fUuQ7bN1cq1pGTLNgGf3d2A",
        "previous_secret_until": "2026-03-03T12:00:00Z",
    }


class DeliveryAttempt(Reply):
    """One try of one delivery: its webhook-id, status and latency."""

    attempt: int
    delivery: Annotated[int, Meta(description="Resend it by this number.")]
    message_id: Annotated[str, Meta(description="The webhook-id header.")]
    type: str
    state: Literal["pending", "delivered", "failed"]
    tried_at: Time
    status: Annotated[int | None, Meta(description="HTTP status; null if none.")]
    latency_ms: int
    error: str | None
    response: Annotated[str | None, Meta(description="At most 1 KB of the answer.")]

    example: ClassVar[dict] = {
        "attempt": 17,
        "delivery": 9,
        "message_id": "msg_5c2e9d0a41f7a",
        "type": "customer.created",
        "state": "delivered",
        "tried_at": "2026-03-02T08:30:01Z",
        "status": 200,
        "latency_ms": 84,
        "error": None,
        "response": "ok",
    }


class DeliveryPage(Reply):
    """An endpoint's tries, newest first."""

    items: list[DeliveryAttempt]
    next_cursor: Annotated[
        str | None,
        Meta(description="Pass as ?cursor= for older tries; null on the last page."),
    ]

    example: ClassVar[dict] = {"items": [DeliveryAttempt.example], "next_cursor": None}


class QueuedTest(Reply):
    """A test message queued for one endpoint."""

    message_id: str

    example: ClassVar[dict] = {"message_id": "msg_5c2e9d0a41f7b"}
