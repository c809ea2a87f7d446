"""The JSON API, /api/v1: bearer tokens, problem+json errors, OpenAPI."""

from __future__ import annotations

from flask import Blueprint

__all__ = ["blueprint"]

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
