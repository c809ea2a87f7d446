"""The JSON API, /api/v1: bearer tokens, problem+json errors, OpenAPI.

One module per surface: ``auth`` (tokens, scopes, rate limit), ``idempotency``,
``people``, ``events``, ``figures`` (starters, cascades, spread), ``structure``
(background figures), ``flags`` (review), ``graph`` (export), ``webhooks``
(endpoints), ``openapi``, ``paths``, ``webhook_paths`` and ``operations`` (the
document, around the contract's bodies) and ``docs`` (/api/docs); ``wire`` holds
replies and parameters.
"""

from __future__ import annotations

from flask import Blueprint

__all__ = ["blueprint"]

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

# The modules add their routes to the blueprint as they load.
from . import (  # noqa: E402, F401
    auth,
    docs,
    events,
    figures,
    flags,
    graph,
    openapi,
    people,
    rewards,
    structure,
    webhooks,
)
