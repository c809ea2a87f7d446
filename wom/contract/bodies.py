"""The request bodies of /api/v1 other than events."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import msgspec
from msgspec import Meta

from .events import CheckedEvent
from .fields import Email, ExternalId, Moment, text
from .rules import EventRules

__all__ = ["CustomerInput", "FlagDecision", "LinkInput"]


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class CustomerInput(_Body):
    """A customer to create or update, by external id."""

    id: ExternalId
    name: text(200, example="Zoë Brandt") | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType = msgspec.UNSET
    acquired_at: (
        Annotated[Moment, Meta(description="Records a sign-up at this time.")]
        | msgspec.UnsetType
    ) = msgspec.UNSET

    example: ClassVar[dict] = {
        "id": "c-1001",
        "name": "Zoë Brandt",
        "acquired_at": "2026-03-01T12:00:00Z",
    }

    def signup(self, rules: EventRules, now: int) -> CheckedEvent:
        """The customer as a sign-up event, at ``acquired_at`` or ``now``."""
        given = self.acquired_at is not msgspec.UNSET
        return CheckedEvent(
            0,
            "signup",
            rules.moment(self.acquired_at) if given else now,
            listener=self.id,
            name=None if self.name is msgspec.UNSET else self.name.strip(),
            email=None if self.email is msgspec.UNSET else rules.email(self.email),
        )


class LinkInput(_Body):
    """A referral link to give a person."""

    code: (
        Annotated[
            str,
            Meta(
                pattern=r"^[a-z0-9-]{4,64}\Z",
                description="Leave it out for a random, unambiguous code.",
                extra={"problem": "give 4 to 64 lower-case letters, digits or -"},
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    channel: text(40, example="instagram") | msgspec.UnsetType = msgspec.UNSET

    example: ClassVar[dict] = {"channel": "instagram"}


class FlagDecision(_Body):
    """Approve or void the credit a flag is about."""

    decision: Literal["approve", "void"]

    example: ClassVar[dict] = {"decision": "approve"}
