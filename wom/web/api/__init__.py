"""The JSON API, /api/v1: bearer tokens, problem+json errors, OpenAPI.

One module per surface: ``auth`` (tokens, rate limit), ``people``, ``events``,
``figures``, ``graph``, ``openapi`` (the document) and ``docs`` (/api/docs).
"""

from __future__ import annotations

from flask import Blueprint

__all__ = ["blueprint"]

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

# The modules add their routes to the blueprint as they load.
from . import auth, docs, events, figures, graph, openapi, people  # noqa: E402, F401
