"""Bearer tokens, their scopes, and the per-token rate limit.

``Authorization: Bearer <token>`` with a token from ``flask --app wom
create-token``. No token or an unknown one gets 401. A token's scope says what it
may do: ``read`` (GET), ``write`` (also events, customers, flags) or ``admin``
(also webhooks, reward decisions, tokens, settings). A view says what it needs
with ``@needs("admin")``; otherwise reading needs ``read`` and anything else
``write``. Too small a scope gets 403 naming the scope needed. Only the token's
SHA-256 is stored and looked up.
"""

from __future__ import annotations

from flask import current_app, g, request

from ... import actions
from ...errors import problem
from ...store import now_micros
from ...store.accounts import SCOPES, find_token
from .. import store
from ..limits import client_address, limit_blueprint
from . import blueprint

__all__ = ["current_token", "needs", "rate_key", "PUBLIC_ENDPOINTS"]

# Readable without a token: the API's own description.
PUBLIC_ENDPOINTS = {"api.openapi_document"}
READING = {"GET", "HEAD", "OPTIONS"}


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        return None
    return token


def _known_token() -> dict | None:
    """The request's token if it is a real one (looked up once per request)."""
    token = _bearer()
    if token is None:
        return None
    # Kept in the request's own environ: ``g`` may outlive one request.
    cached = request.environ.get("wom.api_token")
    if cached is None or cached[0] != token:
        cached = (token, find_token(store().reader(), token))
        request.environ["wom.api_token"] = cached
    return cached[1]


def rate_key() -> str:
    """Requests count against their token, or their address without a real one
    (a made-up token per request must not get a fresh allowance each time)."""
    found = _known_token()
    if found is None:
        return "address:" + client_address()
    return f"token:{found['id']}"


# Per token, across every thread of the server (the storage is the process's).
# Registered before ``authenticate``: an unknown token is counted too.
limit_blueprint(blueprint, "api_rate_limit", rate_key)


def current_token() -> dict:
    """The token of this request: ``id``, ``name``, ``scope`` and ``read_only``."""
    return g.api_token


def needs(scope: str):
    """Mark a view as needing a token of ``scope`` (or a wider one)."""
    if scope not in SCOPES:
        raise ValueError(f"no scope {scope!r}")

    def mark(view):
        view.wom_scope = scope
        return view

    return mark


def _needed() -> str:
    view = current_app.view_functions.get(request.endpoint)
    declared = getattr(view, "wom_scope", None)
    return declared or ("read" if request.method in READING else "write")


def _unauthorised(detail: str):
    return problem(
        401,
        "Unauthorized",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="wom"'},
    )


@blueprint.before_request
def authenticate():
    """Every API request but the public ones carries a valid bearer token."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if _bearer() is None:
        return _unauthorised(
            "Send 'Authorization: Bearer <token>' with a token from "
            "`flask --app wom create-token NAME`."
        )
    found = _known_token()
    if found is None:
        return _unauthorised(
            "This token is unknown; make one with `flask --app wom create-token NAME`."
        )
    needed = _needed()
    if SCOPES.index(found["scope"]) < SCOPES.index(needed):
        return problem(
            403,
            "Forbidden",
            f"This needs a token of scope {needed}; the token {found['name']!r} "
            f"has scope {found['scope']}. Make one with `flask --app wom "
            f"create-token NAME --scope {needed}`.",
        )
    g.api_token = found
    # Shown as "last used" beside the token on the Settings page.
    actions.note_token_use(store(), found["id"], now=now_micros())
    return None
