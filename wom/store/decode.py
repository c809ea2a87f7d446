"""Decoding a batch of API events straight from JSON bytes into checked events.

msgspec parses and validates the documented event shapes in one pass in C, which
is several times cheaper than parsing to dicts and checking field by field. It
answers only for batches that are wholly good: on the first problem it gives up
(``None``), and the caller runs ``check_events`` over the parsed JSON, which names
every problem by index and field. Tests hold both roads to the same events.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Annotated

import msgspec

from ..emails import looks_like_email
from ..privacy import user_agent_class
from .checks import FUTURE_SLACK_US, CheckedEvent

__all__ = ["decode_event_list", "decode_events_body"]

# \Z, not $: msgspec searches the pattern, and $ would let a trailing newline in.
_Id = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}\Z")]
_At = Annotated[str, msgspec.Meta(max_length=40)]


def _text(limit: int):
    return Annotated[str, msgspec.Meta(max_length=limit)] | None


class _Event(msgspec.Struct, forbid_unknown_fields=True, tag_field="type"):
    at: _At
    event_id: _text(128) = None


class _Told(_Event):
    channel: _text(40) = None
    talker: _Id = msgspec.field(name="from", default="")
    listener: _Id = msgspec.field(name="to", default="")


class _Mention(_Told, tag="mention"):
    pass


class _HeardFrom(_Told, tag="heard_from"):
    pass


class _Referral(_Told, tag="referral"):
    pass


class _Signup(_Event, tag="signup"):
    customer: _Id = ""
    name: _text(200) = None
    email: _text(254) = None
    link: _text(64) = None
    visitor: _text(64) = None


class _Purchase(_Event, tag="purchase"):
    customer: _Id = ""
    value: Annotated[float, msgspec.Meta(ge=0)] = -1.0
    # A null currency is a problem, unlike a missing one: UNSET tells them apart.
    currency: str | msgspec.UnsetType = msgspec.UNSET


class _Click(_Event, tag="click"):
    link: _text(64) = None
    visitor: _text(64) = None
    user_agent: str | None = None


_Any = _Mention | _HeardFrom | _Referral | _Signup | _Purchase | _Click


class _Body(msgspec.Struct, forbid_unknown_fields=True):
    events: list[_Any]


_LIST = msgspec.json.Decoder(list[_Any])
_BODY = msgspec.json.Decoder(_Body)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_TYPES = {
    _Mention: "mention",
    _HeardFrom: "heard_from",
    _Referral: "referral",
    _Signup: "signup",
    _Purchase: "purchase",
    _Click: "click",
}


def decode_event_list(data: bytes, *, currency: str, now: int):
    """A JSON array of events -> checked events, or None if anything is amiss."""
    try:
        decoded = _LIST.decode(data)
    except msgspec.DecodeError:  # ValidationError is one too
        return None
    return _checked(decoded, currency, now)


def decode_events_body(data: bytes, *, currency: str, now: int):
    """``{"events": [...]}`` -> checked events, or None if anything is amiss."""
    try:
        decoded = _BODY.decode(data).events
    except msgspec.DecodeError:  # ValidationError is one too
        return None
    return _checked(decoded, currency, now)


def _stripped(value: str | None):
    """The text as ``check_event`` keeps it: stripped; False if it is blank."""
    if value is None:
        return None
    return value.strip() or False


def _checked(decoded: list, currency: str, now: int) -> list[CheckedEvent] | None:
    latest = now + FUTURE_SLACK_US
    agents: dict = {}
    out = []
    for index, raw in enumerate(decoded):
        try:
            moment = datetime.fromisoformat(raw.at)
        except ValueError:
            return None
        if moment.utcoffset() is None:
            return None
        at = (moment - _EPOCH) // _ONE_US
        event_id = _stripped(raw.event_id)
        if at > latest or event_id is False:
            return None
        kind = _TYPES[type(raw)]
        event = CheckedEvent(index, kind, at, event_id=event_id)
        if kind == "purchase":
            given = raw.currency
            if not raw.customer or not 0 <= raw.value < math.inf:
                return None
            if given is not msgspec.UNSET and given.upper() != currency:
                return None
            event.listener, event.value, event.currency = (
                raw.customer,
                raw.value,
                currency,
            )
        elif kind == "signup":
            name, email = _stripped(raw.name), _stripped(raw.email)
            link, visitor = _stripped(raw.link), _stripped(raw.visitor)
            if not raw.customer or False in (name, email, link, visitor):
                return None
            if email is not None and not looks_like_email(email):
                return None
            event.listener, event.name, event.email = raw.customer, name, email
            event.link, event.visitor = link, visitor
        elif kind == "click":
            link, visitor = _stripped(raw.link), _stripped(raw.visitor)
            if not link or not visitor:
                return None
            ua_class = agents.get(raw.user_agent)
            if ua_class is None:
                ua_class = agents[raw.user_agent] = user_agent_class(raw.user_agent)
            event.link, event.visitor, event.ua_class = link, visitor, ua_class
        else:
            channel = _stripped(raw.channel)
            if not raw.talker or not raw.listener or raw.talker == raw.listener:
                return None
            if channel is False:
                return None
            event.talker, event.listener, event.channel = (
                raw.talker,
                raw.listener,
                channel,
            )
        out.append(event)
    return out
