"""The web layer: the only code that knows Flask. Blueprints and request helpers."""

from __future__ import annotations

from flask import current_app

from ..store import Store

__all__ = ["store"]


def store() -> Store:
    """The app's store."""
    return current_app.extensions["wom.store"]
