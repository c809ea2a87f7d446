"""/api/docs: the OpenAPI document rendered by Swagger UI (from npm, served locally).

Swagger UI sets inline styles, so this page alone relaxes ``style-src``; its
scripts stay ``'self'`` (the start-up script is a static file, never inline).
"""

from __future__ import annotations

from flask import Flask, render_template

from ..security import CONTENT_SECURITY_POLICY
from . import blueprint

__all__ = ["DOCS_POLICY"]

DOCS_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


def api_docs():
    """The interactive API documentation."""
    response = render_template("api_docs.html")
    return response, 200, {"Content-Security-Policy": DOCS_POLICY}


@blueprint.record_once
def _outside_the_version_prefix(state) -> None:
    app: Flask = state.app
    app.add_url_rule("/api/docs", "api_docs", api_docs, methods=["GET"])
