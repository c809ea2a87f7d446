"""Email addresses: the syntax check and the normal form used to spot self-referrals.

Syntax is email-validator's (the library WTForms' Email validator uses), without
any network look-up. The normal form folds what the large providers deliver to one
mailbox: case, internationalised domains (Unicode or punycode), and each
provider's own tags and dots (docs/reliability.md, Self-referral).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import idna
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import (
    DOT_ATOM_TEXT,
    EMAIL_MAX_LENGTH,
    LOCAL_PART_MAX_LENGTH,
)

__all__ = ["PROVIDER_RULES", "looks_like_email", "normalise_email"]

_GMAIL = "gmail.com"
# How each provider tags one mailbox's addresses. Gmail also ignores dots, and
# googlemail.com is gmail.com. Yahoo's disposable addresses are base-keyword; its
# user names hold no hyphen. Others keep their dots.
PROVIDER_RULES: dict[str, str] = {
    **dict.fromkeys(("gmail.com", "googlemail.com"), "gmail"),
    **dict.fromkeys(
        (
            # Microsoft: Outlook.com, Hotmail, Live, MSN.
            "outlook.com",
            "hotmail.com",
            "live.com",
            "msn.com",
            "hotmail.co.uk",
            "hotmail.fr",
            "hotmail.de",
            "hotmail.it",
            "hotmail.es",
            "live.co.uk",
            "live.fr",
            "outlook.fr",
            "outlook.de",
            # Apple iCloud.
            "icloud.com",
            "me.com",
            "mac.com",
            # Fastmail.
            "fastmail.com",
            "fastmail.fm",
            # Proton.
            "proton.me",
            "protonmail.com",
            "protonmail.ch",
            "pm.me",
        ),
        "plus",
    ),
    **dict.fromkeys(
        (
            "yahoo.com",
            "yahoo.co.uk",
            "yahoo.fr",
            "yahoo.de",
            "yahoo.it",
            "yahoo.es",
            "yahoo.ca",
            "yahoo.com.au",
            "ymail.com",
        ),
        "hyphen",
    ),
}


def looks_like_email(text: str) -> bool:
    """Whether ``text`` is an email address one can send to (syntax only, no DNS):
    exactly email-validator's answer.

    >>> looks_like_email("zoe@example.org"), looks_like_email("zoe@localhost")
    (True, False)
    >>> looks_like_email("zoé@bücher.de"), looks_like_email("a..b@example.org")
    (True, False)
    """
    if text.isascii():
        # Most addresses: ASCII, and a plain dot-atom before the first @. Then
        # email-validator's verdict splits in two: that part passes (the same
        # pattern and limit as its own), and the domain is judged by the domain
        # alone, which it costs most to judge and which many addresses share.
        # The lengths it checks are the whole address in each of its forms.
        local, at, domain = text.partition("@")
        if at and len(local) <= LOCAL_PART_MAX_LENGTH and DOT_ATOM_TEXT.match(local):
            longest = _domain_length(domain)
            if longest is not None:
                return len(local) + 1 + longest <= EMAIL_MAX_LENGTH
    return _validates(text)


def _validates(text: str) -> bool:
    try:
        # No DNS look-up: a sign-up never waits on the network. strict: the RFC's
        # 64-character limit on the part before the @.
        validate_email(text, check_deliverability=False, strict=True)
    except EmailNotValidError:
        return False
    return True


@lru_cache(maxsize=4096)
def _domain_length(domain: str) -> int | None:
    """The UTF-8 length of the longest form email-validator gives ``domain`` (as
    given, Unicode, IDNA), or None if it refuses it after the shortest local part.
    """
    try:
        found = validate_email(f"a@{domain}", check_deliverability=False, strict=True)
    except EmailNotValidError:
        return None
    return max(
        len(domain), len(found.domain.encode()), len(found.ascii_domain.encode())
    )


@lru_cache(maxsize=4096)
def _ascii_domain(domain: str) -> str:
    """A domain in one form: IDNA (punycode), lower case, no final dot."""
    domain = domain.rstrip(".")
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        return domain.lower()


def normalise_email(email: str) -> str:
    """The form two addresses of one mailbox share.

    Lower case, with the domain in its IDNA form; at the providers of
    :data:`PROVIDER_RULES`, the ``+tag`` (or Yahoo's ``-keyword``) dropped, and at
    Gmail the dots too, googlemail.com being gmail.com.

    >>> normalise_email("Zo.E+promo@GoogleMail.com")
    'zoe@gmail.com'
    >>> normalise_email("alice+1@Outlook.com"), normalise_email("bob-shop@yahoo.com")
    ('alice@outlook.com', 'bob@yahoo.com')
    >>> normalise_email("zo.e+x@example.org")
    'zo.e+x@example.org'
    >>> normalise_email("ana@bücher.de") == normalise_email("ana@xn--bcher-kva.de")
    True
    """
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return email.strip().lower()
    local = unicodedata.normalize("NFC", local).lower()
    domain = _ascii_domain(domain)
    rule = PROVIDER_RULES.get(domain)
    if rule is not None:
        # A tag alone ("+x@...") is not a mailbox name: keep such an address whole.
        base = local.split("-" if rule == "hyphen" else "+", 1)[0] or local
        local = base.replace(".", "") if rule == "gmail" else base
        domain = _GMAIL if rule == "gmail" else domain
    return f"{local}@{domain}"
