"""The background figures' state, on every page beside such a figure, and the
owner's way to ask for a run now: POST /dashboard/recompute, then the state at
/dashboard/figures."""

from __future__ import annotations

from flask import redirect, url_for

from ...service.schedule import MIN_GAP
from .. import analytics
from ..api.wire import arguments, choice
from . import blueprint, page, show

__all__ = ["background_state", "figures", "recompute"]


@blueprint.app_template_global()
def background_state() -> dict:
    """When the background figures were computed, whether a run is under way
    (``running``), whether writes since wait for the next (``stale``), and how
    many seconds ago the last run started."""
    service = analytics()
    state = {
        "computed_at": service.results.get("computed_at"),
        "running": False,
        "stale": False,
        "started_ago": None,
    }
    if service.background is not None:
        state |= service.background.status()
    return state


@page("/dashboard/figures")
def figures():
    """The background figures' state, and the button that asks for a run;
    after one was asked for, whether it started or one was under way."""
    asked = arguments({"asked": choice("started", "running")}).get("asked")
    timings = analytics().results.get("timings") or {}
    return show(
        "dashboard/figures.html",
        background_state()
        | {
            "took": round(sum(timings.values()), 1) if timings else None,
            "min_gap": MIN_GAP,
            "asked": asked,
        },
    )


@blueprint.post("/dashboard/recompute")
def recompute():
    """Start a run of the background figures now, unless one is under way;
    the figures page then says which."""
    started = analytics().refresh_background()
    asked = "started" if started else "running"
    return redirect(url_for("dashboard.figures", asked=asked), 303)
