"""The session cookie with a reused serializer: the same cookies as Flask's own,
and a new key takes effect at once."""

from __future__ import annotations

import pytest
from flask.sessions import SecureCookieSessionInterface

from wom.web.sessions import ReusedSerializerSessions


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


def test_a_request_without_the_cookie_gets_a_new_session_and_keeps_it(client):
    with client.get("/join") as page:
        assert "csrf_token" in page.get_data(as_text=True)
        assert page.headers["Set-Cookie"].startswith("session=")
