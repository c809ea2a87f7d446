"""Email addresses: the syntax check and the normal form used to spot self-referrals."""

from __future__ import annotations

import re

__all__ = ["normalise_email", "looks_like_email"]

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def looks_like_email(text: str) -> bool:
    """Whether ``text`` can be an email address (one @, a dotted domain, no spaces).

    >>> looks_like_email("zoe@example.org"), looks_like_email("zoe@localhost")
    (True, False)
    """
    return len(text) <= 254 and _EMAIL.fullmatch(text) is not None


def normalise_email(email: str) -> str:
    """The form two addresses of one mailbox share (RELIABILITY.md, Self-referral).

    Lower-cased; for gmail.com and googlemail.com, dots and ``+tags`` dropped and
    the two domains treated as one. Other providers keep their dots.

    >>> normalise_email("Zo.E+promo@GoogleMail.com")
    'zoe@gmail.com'
    >>> normalise_email("zo.e+x@example.org")
    'zo.e+x@example.org'
    """
    local, _, domain = email.strip().lower().rpartition("@")
    if domain in _GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"
