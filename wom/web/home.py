"""The home page: what wom is, with live figures from the database."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from ..store import queries
from . import store

__all__ = ["blueprint"]

blueprint = Blueprint("home", __name__)


def home_figures() -> dict:
    """What the home page shows; its HTML and JSON twins render this same dict."""
    db = store().reader()
    return {
        "overview": queries.overview(db),
        "example_link": queries.busiest_link(db),
    }


@blueprint.get("/")
def index():
    """The home page."""
    return render_template("home.html", **home_figures())


@blueprint.get("/index.json")
def index_json():
    """The home page's JSON twin."""
    return jsonify(home_figures())
