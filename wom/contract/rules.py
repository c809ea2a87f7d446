"""What an event must also respect beyond its shape: the business's currency and
time floor, and the clock. Each rule raises ``Refused`` naming the field."""

from __future__ import annotations

import msgspec

from ..emails import looks_like_email
from .money import currency_exponent, minor_units
from .times import EPOCH, iso, to_micros

__all__ = ["FUTURE_SLACK_US", "EventRules", "Refused"]

# How far ahead of the server's clock an event may be: clocks drift a little.
FUTURE_SLACK_US = 5 * 60 * 1_000_000


class Refused(ValueError):
    """A value that breaks a rule: which field, and what to do instead."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class EventRules:
    """The business's rules for one batch: its currency, its time floor, now."""

    __slots__ = ("agents", "currency", "epoch", "exponent", "floor", "latest")

    def __init__(self, *, currency: str, floor: int, now: int):
        self.currency = currency
        self.exponent = currency_exponent(currency)
        self.floor = floor
        self.latest = now + FUTURE_SLACK_US
        self.epoch = EPOCH
        # User agents already classed in this batch (most batches repeat a few).
        self.agents: dict = {}

    def at_micros(self, at: int) -> int:
        """``at`` if it lies between the floor and a little ahead of now."""
        if at < self.floor:
            raise Refused(
                "at",
                f"before {iso(self.floor)}, the earliest time kept (the time_floor "
                "setting); send the real time, or lower the setting to import "
                "older history",
            )
        if at > self.latest:
            raise Refused("at", "more than 5 minutes ahead; send the real time")
        return at

    def moment(self, moment) -> int:
        """An aware datetime, checked, as microseconds."""
        return self.at_micros(to_micros(moment))

    def minor_units(self, value: msgspec.Raw) -> int:
        """A JSON number in major units -> minor units of the business's currency."""
        number = bytes(value).decode()
        if not number or number[0] not in "-0123456789":
            raise Refused("value", "give a number, such as 49.9")
        try:
            return minor_units(number, self.exponent)
        except ValueError as exc:
            raise Refused("value", f"{exc} ({self.currency})") from None

    def currency_of(self, given) -> None:
        """A currency given with a purchase must be the business's."""
        if given is not msgspec.UNSET and given.upper() != self.currency:
            raise Refused(
                "currency",
                f"values are kept in {self.currency}; convert before sending",
            )

    def email(self, address: str | None) -> str | None:
        """An address one can send to, by email-validator's syntax (no network);
        None for none. The field's pattern is a quick first look; this decides.
        """
        if address is not None and not looks_like_email(address):
            raise Refused(
                "email", "not an email address; give one like zoe@example.org"
            )
        return address

    @staticmethod
    def distinct(talker: str, listener: str) -> None:
        """Nobody tells themselves."""
        if talker == listener:
            raise Refused("to", "nobody tells themselves about us; name someone else")
