"""Standard Webhooks signatures (www.standardwebhooks.com), so that receivers can
verify with the ``standardwebhooks`` library or a few lines of their own.

A secret is ``whsec_`` and base64 of 24 random bytes. Each try carries
``webhook-id`` (the message's, the same on every try), ``webhook-timestamp``
(POSIX seconds of the try) and ``webhook-signature``: ``v1,`` and base64 of
HMAC-SHA256, under the secret's bytes, of ``id.timestamp.body``. During a
rotation both secrets sign, their signatures separated by a space.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["PREFIX", "headers", "new_secret", "sign"]

PREFIX = "whsec_"


def new_secret() -> str:
    """A new endpoint secret, ``whsec_`` and base64 of 24 random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One signature, ``v1,<base64>``, of ``message_id.timestamp.body``.

    >>> sign("whsec_" + base64.b64encode(b"k" * 24).decode(), "msg_1", 1, b"{}")
    'v1,Vmlv3+JA6+uwIIAIu7e/H4EIIl5fJFzZp8cyLkfxmYs='
    """
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    message_id: str, timestamp: int, body: bytes, signing: list[str]
) -> dict[str, str]:
    """The three Standard Webhooks headers, signed by every secret in ``signing``."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            sign(secret, message_id, timestamp, body) for secret in signing
        ),
    }
