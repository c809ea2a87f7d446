"""The web layer: the only code that knows Flask. Blueprints and request helpers.

What ``create_app`` builds for the app's life is read through these accessors.
"""

from __future__ import annotations

from flask import current_app

from ..service import AnalyticsService
from ..store import Store
from ..store.batcher import Batcher
from ..store.link_cache import LinkCache
from ..webhooks import Webhooks

__all__ = [
    "analytics",
    "api_batcher",
    "click_batcher",
    "link_cache",
    "store",
    "webhooks",
]


def store() -> Store:
    """The app's store."""
    return current_app.extensions["wom.store"]


def analytics() -> AnalyticsService:
    """The app's analytics service (loaded on first use)."""
    return current_app.extensions["wom.analytics"]


def link_cache() -> LinkCache:
    """The settings and links that every click reads, kept in memory."""
    return current_app.extensions["wom.link_cache"]


def click_batcher() -> Batcher:
    """The group committer of the landing pages' clicks."""
    return current_app.extensions["wom.click_batcher"]


def api_batcher() -> Batcher:
    """The group committer of the API's event batches."""
    return current_app.extensions["wom.api_batcher"]


def webhooks() -> Webhooks:
    """The sealer of endpoint secrets, the targets' policy, the delivery worker."""
    return current_app.extensions["wom.webhooks"]
