"""One place that turns failures into what each surface shows.

Under ``/api`` every error is RFC 9457 ``application/problem+json``; everywhere
else it is an HTML page that says what to do next. Never a traceback, SQL, a path
or a secret.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, current_app, json, render_template, request
from werkzeug.exceptions import HTTPException, default_exceptions

from .store import Conflict, InvalidInput, NotFound, StoreError, StoreLocked

__all__ = ["http_error", "problem", "register", "register_pages"]

log = logging.getLogger(__name__)

PROBLEM_TYPES = "https://wom.invalid/problems/"


def wants_problem_json() -> bool:
    """Whether the failing request asks for JSON: the API, or a page's JSON twin."""
    return request.path.startswith("/api/") or request.path.endswith(".json")


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


# A blueprint may show its errors in its own pages: name -> render(status, title,
# detail) -> HTML, or None for the plain page.
PageRenderer = Callable[[int, str, str], str | None]


def register_pages(app: Flask, blueprint: str, render: PageRenderer) -> None:
    """Show the errors of ``blueprint``'s views with ``render`` (its branding)."""
    app.extensions.setdefault("wom.error_pages", {})[blueprint] = render


def _blueprint_page(status: int, title: str, detail: str) -> str | None:
    render = current_app.extensions.get("wom.error_pages", {}).get(request.blueprint)
    if render is None:
        return None
    try:
        return render(status, title, detail)
    except Exception:  # what failed may be what the page needs: the plain page
        log.exception("no error page of %s for a %d", request.blueprint, status)
        return None


def _page(status: int, title: str, detail: str, headers=None) -> Response:
    stock = default_exceptions.get(status)
    html = _blueprint_page(status, title, detail) or render_template(
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


def http_error(exc: HTTPException, headers: dict | None = None) -> Response:
    """The page or problem for an HTTP error, with extra ``headers``."""
    headers = dict(headers or {})
    if exc.code == 405 and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    return _render(
        exc.code or 500,
        exc.name,
        exc.description or exc.name,
        errors=getattr(exc, "errors", None),
        headers=headers,
    )


def _store_error(exc: StoreError | InvalidInput):
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
        return http_error(exc)
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
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(StoreError, _store_error)
    app.register_error_handler(InvalidInput, _store_error)  # the contract's
    app.register_error_handler(Exception, _unexpected)
