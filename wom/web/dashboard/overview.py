"""The overview, /dashboard: the headline figures and who starts the conversations."""

from __future__ import annotations

from ...store import people, queries
from .. import analytics, store
from . import page, show

__all__ = ["overview"]

STARTER_FIGURES = (
    "external_id",
    "reach",
    "direct_referrals",
    "generations",
    "conversations_started",
    "referred_value",
)


def overview_data() -> dict:
    """What the overview shows; the page and its twin render this dict."""
    db = store().reader()
    starters = [
        {key: row[key] for key in STARTER_FIGURES}
        for row in analytics().starters("reach", limit=10)["items"]
    ]
    names = people.names_of(db, [row["external_id"] for row in starters])
    for row in starters:
        row["name"] = names.get(row["external_id"])
    return {"figures": queries.overview(db), "top_starters": starters}


@page("/dashboard", nav="Overview", order=10)
def overview():
    """Headline figures and the top ten conversation starters."""
    return show("dashboard/overview.html", overview_data())
