"""The response bodies of /api/v1 about people, events, review and errors.

The views build plain dicts; these Structs declare their shape for the OpenAPI
document, and the API tests (Schemathesis) hold every response to them. The
figures' bodies are in ``figures``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

import msgspec
from msgspec import Meta

__all__ = [
    "CUSTOMER_EXAMPLE",
    "CREDIT_EXAMPLE",
    "FIGURES_EXAMPLE",
    "Credit",
    "Customer",
    "CustomerDetail",
    "CustomerListItem",
    "CustomerPage",
    "FieldError",
    "Flag",
    "FlagCredit",
    "FlagPage",
    "IngestResult",
    "Link",
    "LinkList",
    "PersonFigures",
    "Problem",
    "ReviewOutcome",
    "Touch",
    "Time",
]

Time = Annotated[datetime, Meta(examples=["2026-03-01T12:00:00Z"])]
Kind = Literal["link", "mention", "heard_from", "referral"]
Amount = Annotated[
    float, Meta(description="Major units of the business's currency (12.34 EUR).")
]


class Reply(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A response body: every field is always there (null when unknown)."""


class FieldError(Reply):
    """One field-level problem."""

    index: Annotated[
        int | None, Meta(description="The event's position in the request, or null.")
    ]
    field: str
    message: Annotated[str, Meta(description="What to do instead.")]

    example: ClassVar[dict] = {"index": 0, "field": "to", "message": "required"}


class Problem(Reply):
    """An RFC 9457 problem. `errors` names each field-level problem."""

    type: Annotated[str, Meta(extra_json_schema={"format": "uri"})]
    title: str
    status: int
    detail: str
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET

    example: ClassVar[dict] = {
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
    }


class IngestResult(Reply):
    """What a batch of events did."""

    received: int
    accepted: Annotated[int, Meta(description="Appended to the log.")]
    replayed: Annotated[
        int, Meta(description="Skipped: their event_id was seen before.")
    ]
    new_people: int
    first_seq: int | None
    last_seq: int | None

    example: ClassVar[dict] = {
        "received": 2,
        "accepted": 2,
        "replayed": 0,
        "new_people": 1,
        "first_seq": 41,
        "last_seq": 42,
    }


CUSTOMER_EXAMPLE = {
    "id": "c-1001",
    "status": "customer",
    "acquired_at": "2026-03-01T12:00:00Z",
    "acquired_via": "referred",
    "name": "Zoë Brandt",
    "email": "zoe@example.org",
}


class Customer(Reply):
    """A customer or a prospect."""

    id: str
    status: Literal["customer", "prospect"]
    acquired_at: Time | None
    acquired_via: Literal["root", "referred", "mention"] | None
    name: str | None
    email: str | None

    example: ClassVar[dict] = CUSTOMER_EXAMPLE


class CustomerListItem(Customer):
    """A customer in a list, with their credited referrer's id."""

    credited_referrer: str | None

    example: ClassVar[dict] = CUSTOMER_EXAMPLE | {"credited_referrer": "c-0007"}


class CustomerPage(Reply):
    """A page of customers."""

    items: list[CustomerListItem]
    next_cursor: Annotated[
        str | None,
        Meta(description="Pass as ?cursor= for the next page; null on the last."),
    ]

    example: ClassVar[dict] = {
        "items": [CustomerListItem.example],
        "next_cursor": None,
    }


CREDIT_EXAMPLE = {
    "id": "c-0007",
    "kind": "link",
    "at": "2026-02-27T18:30:00Z",
    "status": "credited",
}


class Credit(Reply):
    """Who earned the credit for a customer."""

    id: Annotated[str, Meta(description="The referrer's external id.")]
    kind: Kind
    at: Time
    status: Annotated[
        Literal["credited", "held"],
        Meta(description="held: awaiting review (see /flags)."),
    ]

    example: ClassVar[dict] = CREDIT_EXAMPLE


FIGURES_EXAMPLE = {
    "conversations_started": 4,
    "direct_referrals": 2,
    "reach": 5,
    "generations": 2,
    "referred_value": 61.5,
    "influence": 0.0031,
    "conversation_reach": 9,
    "expected_spread": 1.7,
}


class PersonFigures(Reply):
    """Figures of docs/metrics.md. influence, conversation_reach and expected_spread are
    computed in the background: null until the first run. expected_spread is exact
    where what the person reaches is a tree, a Monte Carlo estimate for the few
    hundred customers seeding considers, and null for anyone else. referred_value
    is in major units of the business's currency."""

    conversations_started: int | None
    direct_referrals: int | None
    reach: int | None
    generations: int | None
    referred_value: float | None
    influence: float | None
    conversation_reach: float | None
    expected_spread: float | None

    example: ClassVar[dict] = FIGURES_EXAMPLE


LINK_EXAMPLE = {
    "code": "k7m2xq9a",
    "channel": "default",
    "disabled": False,
    "created_at": "2026-03-01T12:00:00Z",
    "clicks": 12,
    "bot_clicks": 3,
    "signups": 2,
}


class Link(Reply):
    """A referral link and its counts."""

    code: str
    channel: str
    disabled: bool
    created_at: Time
    clicks: Annotated[int, Meta(description="Human clicks.")]
    bot_clicks: int
    signups: int

    example: ClassVar[dict] = LINK_EXAMPLE


class LinkList(Reply):
    """A person's referral links."""

    items: list[Link]

    example: ClassVar[dict] = {"items": [LINK_EXAMPLE]}


class Touch(Reply):
    """Every conversation between two people, one way."""

    from_: str = msgspec.field(name="from")
    to: str
    kinds: list[Kind]
    touches: int
    first_at: Time
    last_at: Time
    converted: bool

    example: ClassVar[dict] = {
        "from": "c-0007",
        "to": "c-1001",
        "kinds": ["link", "mention"],
        "touches": 3,
        "first_at": "2026-02-20T12:00:00Z",
        "last_at": "2026-02-27T18:30:00Z",
        "converted": True,
    }


class CustomerDetail(Customer):
    """The person, every figure about them, their referrer and all their touches."""

    value: Annotated[Amount, Meta(description="Sum of their purchases, major units.")]
    credited_referrer: Credit | None
    cascade_root: str | None
    figures: PersonFigures
    computed_at: Time | None
    links: list[Link]
    touches: list[Touch]

    example: ClassVar[dict] = CUSTOMER_EXAMPLE | {
        "value": 49.9,
        "credited_referrer": CREDIT_EXAMPLE,
        "cascade_root": "c-0001",
        "figures": FIGURES_EXAMPLE,
        "computed_at": "2026-03-03T00:15:00Z",
        "links": [LINK_EXAMPLE],
        "touches": [Touch.example],
    }


FLAG_EXAMPLE = {
    "id": "held:812:77",
    "kind": "held",
    "customer": "c-1002",
    "referrer": "c-1001",
    "members": [],
    "credits": [{"customer": "c-1002", "referrer": "c-1001"}],
    "reason": "the referrer and the customer share a visitor cookie or IP address",
    "raised_at": "2026-03-02T08:30:00Z",
    "status": "open",
    "decided_at": None,
}


class FlagCredit(Reply):
    """One credit a flag names: a decision on the flag applies to it."""

    customer: Annotated[str, Meta(description="The customer's external id.")]
    referrer: Annotated[str, Meta(description="The referrer's external id.")]

    example: ClassVar[dict] = {"customer": "c-1002", "referrer": "c-1001"}


class Flag(Reply):
    """A review flag: a self-referral, a held credit, a graph check's finding, or a
    flood of one visitor's clicks.

    It names the credits it was raised for; approving keeps them, voiding voids
    exactly them. A later member of the same finding raises a flag of its own."""

    id: str
    kind: Literal["self_referral", "held", "ring", "reciprocal", "burst", "click_flood"]
    customer: Annotated[
        str | None, Meta(description="The customer, when the flag names one.")
    ]
    referrer: Annotated[
        str | None, Meta(description="The referrer, when its credits share one.")
    ]
    members: list[str]
    credits: list[FlagCredit]
    reason: str
    raised_at: Time
    status: Literal["open", "approved", "voided"]
    decided_at: Time | None

    example: ClassVar[dict] = FLAG_EXAMPLE


class FlagPage(Reply):
    """A page of review flags."""

    items: list[Flag]
    next_cursor: str | None
    computed_at: Time | None

    example: ClassVar[dict] = {
        "items": [FLAG_EXAMPLE],
        "next_cursor": None,
        "computed_at": "2026-03-03T00:15:00Z",
    }


class ReviewOutcome(Reply):
    """A decided flag, the credits it applied to, and (for a flag about one
    customer) that customer's credit after it."""

    id: str
    status: Literal["approved", "voided"]
    customer: str | None
    credits: list[FlagCredit]
    credited_referrer: Credit | None

    example: ClassVar[dict] = {
        "id": "held:812:77",
        "status": "approved",
        "customer": "c-1002",
        "credits": [{"customer": "c-1002", "referrer": "c-1001"}],
        "credited_referrer": CREDIT_EXAMPLE | {"id": "c-1001"},
    }
