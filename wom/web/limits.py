"""Rate limits (Flask-Limiter), with the limits read from the business's settings.

The server runs one process with threads (RELIABILITY.md), so an in-memory
storage is shared by every thread and holds the limit for the whole server.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from ..store.settings import read_settings
from . import store

__all__ = ["limiter", "register", "setting_limit"]

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


def register(app: Flask) -> None:
    """Attach the limiter to ``app``."""
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
