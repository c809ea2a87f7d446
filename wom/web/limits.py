"""Rate limits (Flask-Limiter), with the limits read from the business's settings.

The server runs one process with threads (RELIABILITY.md), so an in-memory
storage is shared by every thread and holds the limit for the whole server.
"""

from __future__ import annotations

import math
import time

from flask import Flask
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from ..errors import http_error
from ..store.settings import read_settings
from . import store

__all__ = ["limiter", "register", "retry_after", "setting_limit"]

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


def register(app: Flask) -> None:
    """Attach the limiter to ``app``; a 429 says when to try again."""
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _refused)
