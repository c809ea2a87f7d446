"""The session cookie and CSRF token with reused serializers: the same cookies and
tokens as Flask's and Flask-WTF's own, and a new key takes effect at once."""

from __future__ import annotations

import pytest
from flask import session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import ValidationError

from wom.web.sessions import ReusedSerializerSessions, csrf_token


def test_the_app_uses_the_reusing_interface(app):
    assert isinstance(app.session_interface, ReusedSerializerSessions)


def test_its_cookie_reads_as_flasks_and_back(app):
    ours, flasks = app.session_interface, SecureCookieSessionInterface()
    cookie = ours.get_signing_serializer(app).dumps({"csrf_token": "abc"})
    assert flasks.get_signing_serializer(app).loads(cookie) == {"csrf_token": "abc"}
    theirs = flasks.get_signing_serializer(app).dumps({"ref": "r1"})
    assert ours.get_signing_serializer(app).loads(theirs) == {"ref": "r1"}


def test_the_serializer_is_built_once_while_the_key_stands(app):
    sessions = app.session_interface
    assert sessions.get_signing_serializer(app) is sessions.get_signing_serializer(app)


def test_a_new_secret_key_takes_effect_at_once(app):
    sessions = app.session_interface
    old = sessions.get_signing_serializer(app).dumps({"csrf_token": "abc"})
    app.secret_key = "n" * 64
    with pytest.raises(Exception, match="Signature"):
        sessions.get_signing_serializer(app).loads(old)
    app.config["SECRET_KEY_FALLBACKS"] = ["s" * 64]
    assert sessions.get_signing_serializer(app).loads(old) == {"csrf_token": "abc"}


def test_the_token_is_flask_wtfs_own_and_validates(app):
    with app.test_request_context("/r/abc"):
        token = csrf_token()
        assert generate_csrf() == token, "one token per request, whoever asks"
        assert csrf_token() == token
        validate_csrf(token)
        raw = session["csrf_token"]
    with app.test_request_context("/join"):
        session["csrf_token"] = raw
        validate_csrf(token)
        validate_csrf(csrf_token())
        assert session["csrf_token"] == raw, "the session keeps its raw token"


def test_another_sessions_token_does_not_validate(app):
    with app.test_request_context("/r/abc"):
        token = csrf_token()
    with app.test_request_context("/r/abc"):
        other = csrf_token()
        assert other != token
        with pytest.raises(ValidationError, match="do not match"):
            validate_csrf(token)


def test_a_token_follows_a_new_csrf_key(app):
    with app.test_request_context("/r/abc"):
        token = csrf_token()
        raw = session["csrf_token"]
    app.config["WTF_CSRF_SECRET_KEY"] = "c" * 64
    with app.test_request_context("/join"):
        session["csrf_token"] = raw
        with pytest.raises(ValidationError, match="invalid"):
            validate_csrf(token)
        validate_csrf(csrf_token())


@pytest.mark.parametrize("size", [20, 255, 256, 5000])
def test_small_payloads_are_left_uncompressed_and_any_size_reads_back(app, size):
    ours, flasks = app.session_interface, SecureCookieSessionInterface()
    payload = {"ref": "a" * (size - len('{"ref":""}'))}  # JSON of `size` bytes
    cookie = ours.get_signing_serializer(app).dumps(payload)
    # zlib lets go of the GIL; a leading "." marks a compressed payload.
    assert cookie.startswith(".") == (size >= 256)
    assert flasks.get_signing_serializer(app).loads(cookie) == payload


def test_the_raw_token_has_flask_wtfs_shape(app):
    with app.test_request_context("/r/abc"):
        csrf_token()
        raw = session["csrf_token"]
    assert len(raw) == 40 and int(raw, 16) >= 0
