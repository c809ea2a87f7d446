"""The health probes: /healthz (the process answers) and /readyz (figures loaded)."""

from __future__ import annotations

from flask import Blueprint, Response

from . import analytics

__all__ = ["blueprint"]

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers. Reads nothing, so it stays cheap."""
    return Response("ok", mimetype="text/plain")


@blueprint.get("/readyz")
def readyz() -> Response:
    """Readiness: the figures are loaded (a server's cold start is over).

    Asked before anything loads them (a server started without the warm-up of
    ``wom.wsgi``, such as ``flask run``), it starts the load, so that a probe
    alone brings the server to ready."""
    service = analytics()
    if service.ready:
        return Response("ready", mimetype="text/plain")
    service.warm_up()
    return Response("loading", 503, mimetype="text/plain", headers={"Retry-After": "5"})
