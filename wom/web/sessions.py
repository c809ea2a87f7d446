"""The session cookie, signed by Flask's own serializer, built once per key.

Flask builds a new itsdangerous serializer for every request that opens or saves
a session; on a landing page every new visitor gets a session cookie (it carries
the CSRF token), so that rebuild was a measurable share of each click. The
serializer is stateless once built, so one per set of keys serves every thread.
What it signs and reads is exactly Flask's.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

__all__ = ["ReusedSerializerSessions"]


class ReusedSerializerSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, keeping the serializer while the keys stand."""

    def __init__(self) -> None:
        self._signing: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """The serializer Flask builds, built again only when a key changes."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = self._signing
        if kept is None or kept[0] != keys:
            # One pair, replaced whole: threads may read it without a lock.
            kept = self._signing = (keys, super().get_signing_serializer(app))
        return kept[1]
