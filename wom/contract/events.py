"""Every event type, declared once, and the event the store appends.

An event arrives in one of six shapes, told apart by ``type``. msgspec decodes a
whole batch into these Structs in one pass, checking every field's type and
limits; ``rules`` then check what depends on the business (its currency, its
time floor, the clock) and turn each into a ``CheckedEvent``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, ClassVar

import msgspec
from msgspec import Meta

from ..privacy import user_agent_class
from .fields import (
    CurrencyCode,
    Email,
    ExternalId,
    LinkCode,
    Moment,
    Money,
    UserAgent,
    text,
)
from .rules import EventRules, Refused

__all__ = [
    "EVENT_TYPES",
    "MAX_EVENTS",
    "EventBatch",
    "CheckedEvent",
    "ClickEvent",
    "Event",
    "HeardFromEvent",
    "MentionEvent",
    "PurchaseEvent",
    "ReferralEvent",
    "SignupEvent",
]

EventId = text(128, "Your id for the event: a replay of it is a no-op.", "order-5521")
Channel = text(40, "Where the word was passed on.", "podcast")
Visitor = text(64, "Your anonymous visitor id.", "v-8f2a")
_ONE_US = timedelta(microseconds=1)


class CheckedEvent(msgspec.Struct):
    """An event that kept the contract: times in microseconds, money in minor
    units, people by external id. What ``store.ingest.append_events`` takes."""

    index: int
    type: str
    at: int
    talker: str | None = None
    listener: str | None = None
    link: str | None = None
    visitor: str | None = None
    value: int | None = None
    currency: str | None = None
    channel: str | None = None
    event_id: str | None = None
    ip_hmac: str | None = None
    ua_class: str | None = None
    name: str | None = None
    email: str | None = None


def _filled(value: str | None, field: str) -> str | None:
    """Free text as kept: stripped, and never only spaces."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise Refused(field, "give some text, not only spaces")
    return value


class _Event(
    msgspec.Struct, tag_field="type", forbid_unknown_fields=True, kw_only=True
):
    at: Moment
    event_id: EventId | None = None

    def checked(self, index: int, at: int, rules: EventRules) -> CheckedEvent:
        """The event as the store appends it; Refused names a broken rule."""
        raise NotImplementedError


class _Told(_Event):
    talker: Annotated[ExternalId, Meta(description="Who talked (external id).")] = (
        msgspec.field(name="from")
    )
    listener: Annotated[ExternalId, Meta(description="Who listened (external id).")] = (
        msgspec.field(name="to")
    )
    channel: Channel | None = None

    def checked(self, index: int, at: int, rules: EventRules) -> CheckedEvent:
        rules.distinct(self.talker, self.listener)
        return CheckedEvent(
            index,
            self.__struct_config__.tag,
            at,
            self.talker,
            self.listener,
            channel=_filled(self.channel, "channel"),
            event_id=_filled(self.event_id, "event_id"),
        )


class MentionEvent(_Told, tag="mention"):
    """`from` talked to `to` about us: a mention you recorded. `to` stays a
    prospect until they sign up or buy."""

    example: ClassVar[dict] = {
        "type": "mention",
        "from": "c-1001",
        "to": "c-1002",
        "at": "2026-03-01T12:00:00Z",
    }


class HeardFromEvent(_Told, tag="heard_from"):
    """`to` answered "who told you about us?" with `from`."""

    example: ClassVar[dict] = MentionEvent.example | {
        "type": "heard_from",
        "channel": "dinner",
    }


class ReferralEvent(_Told, tag="referral"):
    """An imported referral: both become customers; `to` converts at `at`."""

    example: ClassVar[dict] = MentionEvent.example | {"type": "referral"}


class SignupEvent(_Event, tag="signup"):
    """A customer signed up (converts a prospect); through a `link` when given."""

    customer: ExternalId
    name: text(200, example="Zoë Brandt") | None = None
    email: Email | None = None
    link: LinkCode | None = None
    visitor: Visitor | None = None

    example: ClassVar[dict] = {
        "type": "signup",
        "customer": "c-1002",
        "at": "2026-03-02T08:30:00Z",
        "email": "ben@example.org",
    }

    def checked(self, index: int, at: int, rules: EventRules) -> CheckedEvent:
        return CheckedEvent(
            index,
            "signup",
            at,
            listener=self.customer,
            link=_filled(self.link, "link"),
            visitor=_filled(self.visitor, "visitor"),
            event_id=_filled(self.event_id, "event_id"),
            name=_filled(self.name, "name"),
            email=rules.email(self.email),
        )


class PurchaseEvent(_Event, tag="purchase"):
    """A purchase; makes the buyer a customer if they were not."""

    customer: ExternalId
    value: Money
    # Left out, it is the business's currency; given, it must be that one.
    currency: CurrencyCode | msgspec.UnsetType = msgspec.UNSET

    example: ClassVar[dict] = {
        "type": "purchase",
        "customer": "c-1002",
        "value": 49.9,
        "at": "2026-03-03T10:00:00Z",
    }

    def checked(self, index: int, at: int, rules: EventRules) -> CheckedEvent:
        rules.currency_of(self.currency)
        return CheckedEvent(
            index,
            "purchase",
            at,
            listener=self.customer,
            value=rules.minor_units(self.value),
            currency=rules.currency,
            event_id=_filled(self.event_id, "event_id"),
        )


class ClickEvent(_Event, tag="click"):
    """A click on a referral link by an anonymous visitor."""

    link: LinkCode
    visitor: Visitor
    user_agent: UserAgent | None = None

    example: ClassVar[dict] = {
        "type": "click",
        "link": "k7m2xq9a",
        "visitor": "v-8f2a",
        "at": "2026-03-02T08:00:00Z",
    }

    def checked(self, index: int, at: int, rules: EventRules) -> CheckedEvent:
        agents = rules.agents
        ua_class = agents.get(self.user_agent)
        if ua_class is None:
            ua_class = agents[self.user_agent] = user_agent_class(self.user_agent)
        return CheckedEvent(
            index,
            "click",
            at,
            link=_filled(self.link, "link"),
            visitor=_filled(self.visitor, "visitor"),
            event_id=_filled(self.event_id, "event_id"),
            ua_class=ua_class,
        )


Event = (
    MentionEvent
    | HeardFromEvent
    | ReferralEvent
    | SignupEvent
    | PurchaseEvent
    | ClickEvent
)
MAX_EVENTS = 10_000


class EventBatch(msgspec.Struct, forbid_unknown_fields=True):
    """Up to 10,000 events, stored all or nothing."""

    events: Annotated[list[Event], Meta(min_length=1, max_length=MAX_EVENTS)]

    example: ClassVar[dict] = {"events": [SignupEvent.example, PurchaseEvent.example]}


EVENT_CLASSES: dict[str, type[_Event]] = {
    kind.__struct_config__.tag: kind
    for kind in (
        MentionEvent,
        HeardFromEvent,
        ReferralEvent,
        SignupEvent,
        PurchaseEvent,
        ClickEvent,
    )
}
EVENT_TYPES = tuple(EVENT_CLASSES)


def checked_events(decoded: list, rules: EventRules) -> list[CheckedEvent]:
    """Decoded events -> the store's events; Refused at the first broken rule."""
    floor, latest, epoch = rules.floor, rules.latest, rules.epoch
    out = []
    append = out.append
    for index, event in enumerate(decoded):
        at = (event.at - epoch) // _ONE_US
        if at < floor or at > latest:
            rules.at_micros(at)
        append(event.checked(index, at, rules))
    return out
