"""One place that turns failures into what each surface shows.

Under ``/api`` every error is RFC 9457 ``application/problem+json``; everywhere
else it is an HTML page that says what to do next. Never a traceback, SQL, a path
or a secret.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, Response, current_app, json, render_template, request, url_for
from werkzeug.exceptions import HTTPException, default_exceptions

from .store import Conflict, InvalidInput, NotFound, StoreError, StoreLocked

__all__ = ["register", "problem"]

log = logging.getLogger(__name__)

PROBLEM_TYPES = "https://wom.invalid/problems/"


def wants_problem_json() -> bool:
    """Whether the failing request belongs to the JSON API."""
    return request.path.startswith("/api/")


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    errors: list | None = None,
    headers: dict | None = None,
) -> Response:
    """An ``application/problem+json`` response."""
    body = {
        "type": PROBLEM_TYPES + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = Response(
        json.dumps(body), status=status, mimetype="application/problem+json"
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


# What a customer or their friend reads on the landing pages, in the business's
# branding, instead of the owner-facing wording.
_LANDING_WORDS = {
    400: "Please send the form again",
    429: "One moment, please",
    500: "Sorry, something went wrong",
}


def _landing_page(status: int, title: str, detail: str) -> str | None:
    """The error in the landing pages' branding, or None to use the plain page."""
    if request.blueprint != "landing" or status not in _LANDING_WORDS:
        return None
    try:
        settings = current_app.extensions["wom.link_cache"].settings()
    except Exception:  # the store itself may be what failed: the plain page
        log.exception("no settings for a landing error page")
        return None
    if status == 429:
        minutes = max(1, round(_retry_after() / 60))
        detail = (
            "Many people have signed up from this network just now. Please try "
            f"again in {minutes} minute{'s' if minutes > 1 else ''}."
        )
    # Only a form already read: parsing one here could fail inside the handler
    # (a body over the form limit), and a refused request's body is not read.
    form = request.__dict__.get("form")
    code = form.get("ref", "") if form is not None else ""
    back = (
        url_for("landing.link", code=code)
        if code.isalnum() and len(code) <= 64
        else url_for("landing.join")
    )
    return render_template(
        "landing/error.html",
        settings=settings,
        business_url=settings["destination_url"] or None,
        title=_LANDING_WORDS[status],
        detail=detail,
        back=back,
    )


def _page(status: int, title: str, detail: str, headers=None) -> Response:
    stock = default_exceptions.get(status)
    html = _landing_page(status, title, detail) or render_template(
        "error.html",
        status=status,
        title=title,
        # Werkzeug's stock words ("If you entered the URL manually...") give way
        # to the page's own; a view's own detail stays.
        detail=None if stock and detail == stock.description else detail,
    )
    response = Response(html, status=status, mimetype="text/html")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _render(
    status: int, title: str, detail: str, errors=None, headers=None
) -> Response:
    if wants_problem_json():
        return problem(status, title, detail, errors=errors, headers=headers)
    return _page(status, title, detail, headers=headers)


def _http_error(exc: HTTPException):
    headers = {}
    if exc.code == 405 and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    if exc.code == 429:
        headers["Retry-After"] = str(_retry_after())
    return _render(
        exc.code or 500,
        exc.name,
        exc.description or exc.name,
        errors=getattr(exc, "errors", None),
        headers=headers,
    )


def _retry_after() -> int:
    """Whole seconds until the breached rate limit's window lets a request in."""
    from .web.limits import limiter

    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def _store_error(exc: StoreError):
    if isinstance(exc, InvalidInput):
        return _render(422, "Unprocessable Content", str(exc), errors=exc.errors)
    if isinstance(exc, NotFound):
        return _render(404, "Not Found", str(exc))
    if isinstance(exc, Conflict):
        return _render(409, "Conflict", str(exc))
    if isinstance(exc, StoreLocked):
        return _render(503, "Service Unavailable", "The database is busy; try again.")
    return _render(500, "Internal Server Error", "Something went wrong on our side.")


def _unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _render(
        500,
        "Internal Server Error",
        "Something went wrong on our side. It has been logged.",
    )


# Seconds a client waits before asking again while the figures load.
LOADING_RETRY_AFTER = 5


def _not_ready(exc: Exception):
    return _render(
        503,
        "Service Unavailable",
        str(exc),
        headers={"Retry-After": str(LOADING_RETRY_AFTER)},
    )


def register(app: Flask) -> None:
    """Install the handlers on the app (unmatched URLs never reach a blueprint)."""
    from .service import NotReady

    app.register_error_handler(NotReady, _not_ready)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(StoreError, _store_error)
    app.register_error_handler(Exception, _unexpected)
