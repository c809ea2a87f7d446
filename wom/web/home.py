"""The home page: what wom is, with live figures from the database."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from ..store import queries
from ..store.settings import read_settings
from . import analytics, store

__all__ = ["blueprint"]

blueprint = Blueprint("home", __name__)


def home_figures() -> dict:
    """What the home page shows; its HTML and JSON twins render this same dict."""
    db = store().reader()
    service = analytics()
    starters = service.starters("reach", limit=10)["items"]
    return {
        "overview": queries.overview(db),
        "currency": read_settings(db)["currency"],
        "example_link": queries.busiest_link(db),
        "top_starters": [
            {
                key: row[key]
                for key in (
                    "external_id",
                    "reach",
                    "direct_referrals",
                    "generations",
                    "conversations_started",
                    "referred_value",
                )
            }
            for row in starters
            if row["reach"] or row["conversations_started"]
        ],
        "largest_cascades": [
            {
                key: row[key]
                for key in (
                    "external_id",
                    "size",
                    "depth",
                    "max_breadth",
                    "structural_virality",
                    "duration",
                    "root_acquired_at",
                )
            }
            for row in service.cascades("size", limit=5)
            if row["size"] > 1
        ],
    }


@blueprint.get("/")
def index():
    """The home page."""
    return render_template("home.html", **home_figures())


@blueprint.get("/index.json")
def index_json():
    """The home page's JSON twin."""
    return jsonify(home_figures())
