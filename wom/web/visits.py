"""Who is visiting a referral link, and recording their click durably.

The visitor cookie is a tracking cookie (docs/reliability.md, Privacy): it is set only
when the visitor ticks the consent box on the sign-up form, and read only while
it is there. Without it a click still needs a ``visitor`` so that a repeat within
30 minutes counts once: it gets a keyed hash of the day, the IP address and the
user agent, which no cookie carries and which changes every day.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from flask import Response, current_app, request

from .. import actions
from ..contract import to_micros
from ..privacy import hmac_ip
from ..store import IngestResult
from . import click_batcher

__all__ = [
    "CONSENT_DAYS",
    "client_ip_hmac",
    "consented_visitor",
    "forget_visitor",
    "new_visitor",
    "record_click",
    "remember_visitor",
    "visitor_cookie_name",
]

# How long a consent lasts before we ask again (CNIL advises at most 13 months).
CONSENT_DAYS = 180
_VISITOR = re.compile(r"v-[A-Za-z0-9_-]{22}")


def visitor_cookie_name() -> str:
    """``__Host-`` prefixed over HTTPS, like the session cookie."""
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    return "__Host-wom_visitor" if secure else "wom_visitor"


def new_visitor() -> str:
    """A fresh visitor id for a browser that consented."""
    return "v-" + secrets.token_urlsafe(16)


def consented_visitor() -> str | None:
    """The visitor id from the consented cookie, if the browser sent a valid one."""
    value = request.cookies.get(visitor_cookie_name())
    return value if value and _VISITOR.fullmatch(value) else None


def remember_visitor(response: Response, visitor: str) -> None:
    """Set the visitor cookie (only ever after consent)."""
    response.set_cookie(
        visitor_cookie_name(),
        visitor,
        max_age=CONSENT_DAYS * 86_400,
        path="/",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def forget_visitor(response: Response) -> None:
    """Delete the visitor cookie: consent was withdrawn."""
    response.delete_cookie(
        visitor_cookie_name(),
        path="/",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def _ip_key() -> bytes:
    return current_app.config["IP_HMAC_KEY"].encode()


def client_ip_hmac() -> str:
    """The HMAC of the client's IP address: the only form in which it is kept."""
    return hmac_ip(request.remote_addr or "unknown", _ip_key())


def _anonymous_visitor(now: datetime, address: str, agent: str) -> str:
    # The day in the message makes yesterday's visitors unlinkable to today's.
    message = f"visit|{now.date().isoformat()}|{address}|{agent}"
    return "a-" + hmac_ip(message, _ip_key())


def record_click(code: str, visitor: str | None = None) -> IngestResult:
    """Record this request as a click on link ``code``; return once committed.

    The visitor is ``visitor`` (the consented cookie, as the caller read it),
    or the daily hash.
    """
    now = datetime.now(UTC)
    agent = request.headers.get("User-Agent", "")
    address = request.remote_addr or "unknown"
    return actions.record_click(
        click_batcher(),
        code=code,
        visitor=visitor or _anonymous_visitor(now, address, agent),
        user_agent=agent,
        ip_hmac=hmac_ip(address, _ip_key()),
        at=to_micros(now),
    )
