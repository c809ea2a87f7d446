"""The session cookie and CSRF checks: Flask's and Flask-WTF's own, with less
work per request.

Flask builds a new itsdangerous serializer for every request that opens or saves
a session; on a landing page every new visitor gets a session cookie (it carries
the CSRF token), so that rebuild was a measurable share of each click. The
serializer is stateless once built, so one per set of keys serves every thread.
A request that brings no session cookie (a new visitor, a probe) gets its new
session without any cookie parsing. What is signed and read is exactly Flask's.
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_wtf.csrf import CSRFProtect
from itsdangerous import URLSafeTimedSerializer

__all__ = ["ReusedSerializerSessions", "protect_forms"]


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

    def open_session(self, app: Flask, request) -> SessionMixin | None:
        """Flask's own, but a request without the session cookie gets its new,
        empty session at once."""
        if self.get_cookie_name(app) not in request.environ.get("HTTP_COOKIE", ""):
            if self.get_signing_serializer(app) is None:
                return None
            return self.session_class()
        return super().open_session(app, request)


def protect_forms(app: Flask) -> CSRFProtect:
    """Check the CSRF token of every request that can change something (POST,
    PUT, PATCH, DELETE) to ``app``, but for the views and blueprints exempted.

    Flask-WTF's own hook looks up the view's exemptions first, on every request;
    this one lets a GET through at once, then asks Flask-WTF as its hook would.
    """
    csrf = CSRFProtect(app)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    methods = app.config["WTF_CSRF_METHODS"]

    @app.before_request
    def _check_csrf() -> None:
        if request.method in methods and app.config["WTF_CSRF_ENABLED"]:
            csrf.protect(apply_exemptions=True)

    return csrf
