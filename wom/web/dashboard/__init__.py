"""The owner's dashboard, /dashboard: every page behind a login, each with a JSON
twin at the same path plus ``.json`` that returns the very dict the page renders.

A page module registers its view with ``@page(rule, nav=...)``, which adds both
URLs and its place in the navigation, and answers with ``show(template, data)``.
Without a live owner session a page redirects to /login and a twin answers 401.
Data reaches the page's scripts only through ``|tojson`` in a
``<script type="application/json">`` block; scripts set text, never HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from flask import (
    Blueprint,
    Response,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import Unauthorized

from ..owners import current_owner

__all__ = ["ago", "blueprint", "is_twin", "page", "show"]

blueprint = Blueprint("dashboard", __name__)


@dataclass(frozen=True, order=True)
class NavItem:
    """A page in the dashboard's navigation."""

    order: int
    label: str
    endpoint: str


NAV: list[NavItem] = []


def page(rule: str, *, nav: str | None = None, order: int = 100, **options):
    """Register a dashboard page at ``rule`` and its JSON twin at ``rule.json``;
    ``nav`` names it in the navigation, ``order`` places it there."""

    def register(view: Callable) -> Callable:
        blueprint.add_url_rule(rule, view_func=view, **options)
        blueprint.add_url_rule(
            rule + ".json",
            endpoint=view.__name__ + "_json",
            view_func=view,
            **options,
        )
        if nav is not None:
            NAV.append(NavItem(order, nav, "dashboard." + view.__name__))
            NAV.sort()
        return view

    return register


def is_twin() -> bool:
    """Whether the request asks for a page's JSON twin."""
    return request.path.endswith(".json")


def show(template: str, data: dict, status: int = 200, **forms) -> Response:
    """The page ``template`` rendered from ``data`` (as ``page``), or ``data``
    itself as JSON when the twin was asked for: one dict for both. ``forms`` are
    the page's forms, which only the HTML shows."""
    if is_twin():
        return Response(orjson.dumps(data), status, mimetype="application/json")
    return make_response(render_template(template, page=data, **forms), status)


@blueprint.before_request
def _owners_only():
    if current_owner() is not None:
        return None
    if is_twin():
        raise Unauthorized("Log in at /login first; the dashboard is the owner's.")
    return redirect(url_for("owners.login", next=request.full_path.rstrip("?")), 303)


@blueprint.app_context_processor
def _navigation() -> dict:
    return {"dashboard_nav": NAV}


@blueprint.app_template_filter("ago")
def ago(iso: str, now: datetime | None = None) -> str:
    """How long ago an ISO 8601 time was, in words.

    >>> ago("2026-01-01T00:00:00Z", now=datetime(2026, 1, 1, 0, 3, tzinfo=UTC))
    '3 minutes ago'
    >>> ago("2026-01-01T00:00:00Z", now=datetime(2026, 1, 1, 0, 0, 20, tzinfo=UTC))
    'just now'
    """
    then = datetime.fromisoformat(iso)
    seconds = ((now or datetime.now(UTC)) - then).total_seconds()
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "just now"


# The page modules add their routes as they load.
from . import (  # noqa: E402, F401
    account,
    attribution,
    customer,
    customer_actions,
    customers,
    exports,
    formats,
    graph,
    overview,
    recompute,
    review,
    rewards,
    settings,
    spread,
    tokens,
    webhooks,
)
