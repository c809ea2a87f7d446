"""The session cookie and the CSRF token it carries, signed without rebuilding a
serializer on every request.

Flask builds a new itsdangerous serializer for each request that opens or saves a
session, and Flask-WTF one for each token; building one tests its JSON serializer
by encoding a value, so on a landing page, where every new visitor gets a session
cookie and a token, that was a fair share of the cost. The serializers are
stateless once built, so one per key serves every thread. What they sign is the
same as before: a token made here passes Flask-WTF's ``validate_csrf``.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

__all__ = ["ReusedSerializerSessions", "csrf_token"]

# Flask-WTF's salt: its validate_csrf must accept what csrf_token signs.
_CSRF_SALT = "wtf-csrf-token"


class ReusedSerializerSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, keeping the serializer while the keys stand."""

    def __init__(self) -> None:
        self._signing: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """The serializer Flask would build, built again only when a key changes."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = self._signing
        if kept is None or kept[0] != keys:
            # One pair, replaced whole: threads may read it without a lock.
            kept = self._signing = (keys, super().get_signing_serializer(app))
        return kept[1]


@lru_cache(maxsize=8)
def _csrf_serializer(secret_key: str | bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_CSRF_SALT)


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
            session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
        try:
            token = signer.dumps(session[field])
        except TypeError:  # not a string: make a new one, as Flask-WTF does
            session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
            token = signer.dumps(session[field])
        setattr(g, field, token)
    return token
