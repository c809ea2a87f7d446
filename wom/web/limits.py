"""Rate limits (Flask-Limiter), with the limits read from the business's settings.

The server runs one process with threads (docs/reliability.md), so an in-memory
storage is shared by every thread and holds the limit for the whole server.
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from ..errors import http_error
from ..store.settings import read_settings
from . import store

__all__ = ["limiter", "register", "retry_after", "setting_limit", "WAIT_STATUSES"]

#: The only replies that tell a client to wait: over a limit, or not ready yet.
WAIT_STATUSES = frozenset({429, 503})

limiter = Limiter(
    key_func=get_remote_address,
    storage_uri="memory://",
    strategy="moving-window",
    headers_enabled=True,
)


def setting_limit(key: str):
    """A callable limit that reads ``key`` from the settings on each request."""

    def current() -> str:
        return read_settings(store().reader())[key]

    return current


def retry_after() -> int:
    """Whole seconds until the breached rate limit's window lets a request in."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def _refused(exc: RateLimitExceeded):
    return http_error(exc, {"Retry-After": str(retry_after())})


def _retry_after_only_when_waiting(response: Response) -> Response:
    """Drop ``Retry-After`` from a reply that asks nobody to wait."""
    # Flask-Limiter's headers put Retry-After on every reply of a limited route,
    # 200 included; a client that obeys it would wait for nothing (RFC 9110 gives
    # it meaning on 503 and 3xx, RFC 6585 on 429).
    if response.status_code not in WAIT_STATUSES:
        response.headers.pop("Retry-After", None)
    return response


def register(app: Flask) -> None:
    """Attach the limiter to ``app``; a 429 says when to try again."""
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Flask runs after_request hooks last-registered first: this one, registered
    # before the limiter's, sees the headers the limiter added.
    app.after_request(_retry_after_only_when_waiting)
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _refused)
