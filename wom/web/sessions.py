"""The session cookie and the CSRF token, signed as Flask and Flask-WTF sign them,
at a fraction of the cost.

Every new visitor of a landing page gets a session cookie (it carries the CSRF
token of the sign-up form) and a token in the page: two signatures a click. Flask
builds a serializer for every request, and itsdangerous builds a signer and
derives its key again for every signature, and tries to compress each payload.
Here one serializer per set of keys serves every thread, its signing key derived
once, and a payload is signed uncompressed. What it writes is read by the stock
serializers, Flask's session interface and Flask-WTF's ``validate_csrf`` alike.
"""

from __future__ import annotations

import hmac
import os
import time
from base64 import urlsafe_b64encode

import orjson
from flask import Flask, Response, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_wtf.csrf import CSRFProtect
from itsdangerous import Serializer, URLSafeTimedSerializer

__all__ = [
    "FastSigningSerializer",
    "ReusedSerializerSessions",
    "csrf_token",
    "protect_forms",
]

# Flask-WTF's names: its validate_csrf reads what csrf_token() writes.
CSRF_SALT = "wtf-csrf-token"
CSRF_FIELD = "csrf_token"


class FastSigningSerializer(URLSafeTimedSerializer):
    """A ``URLSafeTimedSerializer`` whose ``dumps`` signs with the current key,
    derived once, and leaves the payload uncompressed (``loads`` takes both).

    >>> fast = FastSigningSerializer("k" * 32, salt="s")
    >>> URLSafeTimedSerializer("k" * 32, salt="s").loads(fast.dumps({"a": 1}))
    {'a': 1}
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        signer = self.make_signer()
        self._key = signer.derive_key()
        self._digest = signer.digest_method
        self._sep = signer.sep  # bytes

    def dump_payload(self, obj) -> bytes:
        # Skips URLSafeSerializerMixin's zlib attempt: a session or a token is
        # a few dozen bytes, and an uncompressed payload is as valid.
        return _b64(_plain_json(obj) or Serializer.dump_payload(self, obj))

    def dumps(self, obj, salt: str | bytes | None = None):
        """``obj`` serialized, time-stamped and signed as the stock serializer does."""
        if salt is not None and salt != self.salt:
            return super().dumps(obj, salt)
        stamp = int(time.time()).to_bytes(8, "big").lstrip(b"\x00")
        value = self.dump_payload(obj) + self._sep + _b64(stamp)
        signature = hmac.new(self._key, value, self._digest).digest()
        signed = value + self._sep + _b64(signature)
        return signed.decode() if self.is_text_serializer else signed


def _b64(data: bytes) -> bytes:
    """itsdangerous' base64: URL-safe, unpadded."""
    return urlsafe_b64encode(data).rstrip(b"=")


def _plain_json(obj) -> bytes | None:
    """Compact JSON of a string, or of a dict of strings whose keys are no tags
    of Flask's serializer (none starts with a space), as every serializer here
    writes it (orjson keeps non-ASCII as UTF-8, which each reads the same);
    None for anything else, left to the serializer.

    >>> _plain_json({"csrf_token": "ab"}), _plain_json(["x"])
    (b'{"csrf_token":"ab"}', None)
    """
    if type(obj) is str:
        return orjson.dumps(obj)
    if type(obj) is dict and all(
        type(k) is str and type(v) is str and not k.startswith(" ")
        for k, v in obj.items()
    ):
        return orjson.dumps(obj)
    return None


def _vary_on_cookie(response: Response) -> None:
    """``Vary: Cookie``, as ``response.vary.add`` does, without parsing a header
    set when there is no Vary yet (the usual case)."""
    if "Vary" not in response.headers:
        response.headers["Vary"] = "Cookie"
    else:
        response.vary.add("Cookie")


class ReusedSerializerSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, keeping one fast serializer while the keys
    stand."""

    def __init__(self) -> None:
        self._signing: tuple[tuple, FastSigningSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> FastSigningSerializer | None:
        """The serializer Flask builds (as fast), built again only when a key
        changes."""
        fallbacks = tuple(app.config["SECRET_KEY_FALLBACKS"] or ())
        keys = (app.secret_key, fallbacks)
        kept = self._signing
        if kept is None or kept[0] != keys:
            serializer = None
            if app.secret_key:
                # As Flask's own: the current key last (itsdangerous signs with it).
                serializer = FastSigningSerializer(
                    [*fallbacks, app.secret_key],
                    salt=self.salt,
                    serializer=self.serializer,
                    signer_kwargs={
                        "key_derivation": self.key_derivation,
                        "digest_method": self.digest_method,
                    },
                )
            # One pair, replaced whole: threads may read it without a lock.
            kept = self._signing = (keys, serializer)
        return kept[1]

    def open_session(self, app: Flask, request) -> SessionMixin | None:
        """Flask's own, but a request without the session cookie (a new visitor,
        a probe) gets its new session without reading any cookie."""
        if self.get_cookie_name(app) not in request.environ.get("HTTP_COOKIE", ""):
            if self.get_signing_serializer(app) is None:
                return None
            return self.session_class()
        return super().open_session(app, request)

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        """Flask's own ``save_session`` (3.1), but for its ``Vary`` header, and
        nothing to do for a session never looked at (unless permanent)."""
        # dict.get: the session's own get would count as a look.
        if not session.accessed and not dict.get(session, "_permanent", False):
            return
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        if session.accessed:
            _vary_on_cookie(response)
        if not session:
            if session.modified:
                response.delete_cookie(
                    name,
                    domain=domain,
                    path=path,
                    secure=secure,
                    partitioned=partitioned,
                    samesite=samesite,
                    httponly=httponly,
                )
                _vary_on_cookie(response)
            return
        if not self.should_set_cookie(app, session):
            return
        response.set_cookie(
            name,
            self.get_signing_serializer(app).dumps(dict(session)),
            expires=self.get_expiration_time(app, session),
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
        )
        _vary_on_cookie(response)


def csrf_token() -> str:
    """This request's CSRF token, as Flask-WTF's ``generate_csrf`` makes it (the
    raw token kept in the session, the signed one in ``g`` for the request)."""
    token = g.get(CSRF_FIELD)
    if token is None:
        secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
        kept = current_app.extensions.get("wom.csrf_serializer")
        if kept is None or kept[0] != secret:
            kept = (secret, FastSigningSerializer(secret, salt=CSRF_SALT))
            current_app.extensions["wom.csrf_serializer"] = kept
        if not isinstance(session.get(CSRF_FIELD), str):
            # 40 random hex digits, as Flask-WTF's sha1 of 64 random bytes gives.
            session[CSRF_FIELD] = os.urandom(20).hex()
        token = kept[1].dumps(session[CSRF_FIELD])
        setattr(g, CSRF_FIELD, token)
    return token


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
