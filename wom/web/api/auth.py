"""Bearer tokens and the per-token rate limit.

``Authorization: Bearer <token>`` with a token from ``flask --app wom
create-token``. No token or an unknown one gets 401; a read-only token that tries
to write gets 403. Only the token's SHA-256 is stored and looked up.
"""

from __future__ import annotations

from flask import g, request

from ...errors import problem
from ...store.accounts import find_token
from .. import store
from ..limits import client_address, limit_blueprint
from . import blueprint

__all__ = ["current_token", "rate_key", "PUBLIC_ENDPOINTS"]

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
    """The token of this request: ``id``, ``name`` and ``read_only``."""
    return g.api_token


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
    if found["read_only"] and request.method not in READING:
        return problem(
            403,
            "Forbidden",
            f"The token {found['name']!r} is read-only; write with a read-write token.",
        )
    g.api_token = found
    return None
