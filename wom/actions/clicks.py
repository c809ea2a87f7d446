"""Recording a click on a referral link (the landing pages' hot path)."""

from __future__ import annotations

from ..contract import CheckedEvent
from ..privacy import user_agent_class
from ..store import IngestResult
from ..store.batcher import Batcher

__all__ = ["record_click"]


def record_click(
    batcher: Batcher,
    *,
    code: str,
    visitor: str,
    user_agent: str,
    ip_hmac: str,
    at: int,
) -> IngestResult:
    """Record a click on link ``code`` durably, with others of the moment.

    Bots and link previews are told apart by user agent (the store counts them
    separately). Returns once the click's transaction has committed.
    """
    click = CheckedEvent(
        index=0,
        type="click",
        at=at,
        link=code,
        visitor=visitor,
        ip_hmac=ip_hmac,
        ua_class=user_agent_class(user_agent),
    )
    return batcher.submit([click], source="web", now=at)
