"""The web layer: the only code that knows Flask. Blueprints and request helpers."""

from __future__ import annotations

from flask import current_app

from ..service import AnalyticsService
from ..store import Store

__all__ = ["store", "analytics"]


def store() -> Store:
    """The app's store."""
    return current_app.extensions["wom.store"]


def analytics() -> AnalyticsService:
    """The app's analytics service (loaded on first use)."""
    return current_app.extensions["wom.analytics"]
