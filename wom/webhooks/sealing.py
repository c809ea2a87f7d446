"""Endpoint secrets at rest: sealed with AES-256-GCM under a key that is kept
outside the database (``WEBHOOK_KEY``, from ``WOM_WEBHOOK_KEY`` or the instance
folder's config.py), so that a copy of the file alone gives none of them away.

The AES key is HKDF-SHA256 of the configured text. Each sealed value is a
version byte, a random 96-bit nonce and the ciphertext with its tag; the
endpoint's public id is bound in as associated data, so a sealed secret moved to
another endpoint does not open.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["Sealer", "WrongKey"]

VERSION = b"\x01"


class WrongKey(Exception):
    """A sealed secret does not open under this key (WEBHOOK_KEY changed?)."""


class Sealer:
    """Seal and open endpoint secrets under one key.

    >>> sealer = Sealer("k" * 32)
    >>> sealer.open(sealer.seal("whsec_abc", "ep_1"), "ep_1")
    'whsec_abc'
    """

    def __init__(self, key: str):
        derived = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=b"wom webhook endpoint secrets",
        ).derive(key.encode())
        self._aead = AESGCM(derived)

    def seal(self, secret: str, endpoint: str) -> bytes:
        """The secret, encrypted and bound to ``endpoint``."""
        nonce = os.urandom(12)
        return (
            VERSION
            + nonce
            + self._aead.encrypt(nonce, secret.encode(), endpoint.encode())
        )

    def open(self, sealed: bytes, endpoint: str) -> str:
        """The secret back; WrongKey if this key did not seal it for ``endpoint``."""
        if sealed[:1] != VERSION:
            raise WrongKey("an endpoint secret is sealed in an unknown format")
        try:
            plain = self._aead.decrypt(sealed[1:13], sealed[13:], endpoint.encode())
        except InvalidTag:
            raise WrongKey(
                f"the secret of webhook endpoint {endpoint} does not open under "
                "WEBHOOK_KEY: was the key changed? Rotate the endpoint's secret."
            ) from None
        return plain.decode()
