"""The home page: what wom is, with live figures from the database."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template

from ..contract import currency_exponent, major
from ..store import people, queries
from ..store.settings import read_settings
from . import analytics, store
from .owners import current_owner
from .requests import from_this_machine

__all__ = ["blueprint"]

blueprint = Blueprint("home", __name__)


def home_figures() -> dict:
    """What the home page shows; its HTML and JSON twins render this same dict."""
    db = store().reader()
    service = analytics()
    starters = service.starters("reach", limit=10)["items"]
    currency = read_settings(db)["currency"]
    exponent = currency_exponent(currency)
    overview = queries.overview(db)
    overview["purchase_value"] = major(overview["purchase_value"], exponent)
    cascades = [row for row in service.cascades("size", limit=5) if row["size"] > 1]
    # Names come from strangers: the template sets them as text.
    names = people.names_of(db, [row["external_id"] for row in starters + cascades])
    return {
        "overview": overview,
        "currency": currency,
        "money_decimals": exponent,
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
                )
            }
            | {
                "name": names.get(row["external_id"]),
                "referred_value": major(row["referred_value"], exponent),
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
            | {"name": names.get(row["external_id"])}
            for row in cascades
        ],
    }


# The figures name customers and show the business's takings: only this machine
# and a logged-in owner see them, unless the owner says otherwise.


def _figures_shown() -> bool:
    return (
        from_this_machine()
        or current_owner() is not None
        or read_settings(store().reader())["public_home"]
    )


@blueprint.get("/")
def index():
    """The home page: what wom is, and the live figures for this machine."""
    if not _figures_shown():
        return render_template("home.html", private=True)
    return render_template("home.html", private=False, **home_figures())


@blueprint.get("/index.json")
def index_json():
    """The home page's JSON twin."""
    if not _figures_shown():
        abort(
            403,
            "The live figures are shown only on the machine that runs wom. The "
            "owner can show them to everyone with `flask --app wom settings "
            "public_home true`.",
        )
    return jsonify(home_figures())
