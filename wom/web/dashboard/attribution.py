"""Attribution, /dashboard/attribution: first touch against last touch on the same
data (computed in the background), and the switch of the live rule, which
re-derives every credit in chunks while sign-ups and clicks go on."""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from ... import actions
from ...actions.switching import continue_in_background, switch_running
from ...contract import iso
from ...store import InvalidInput, people
from ...store.rederivation import switch_progress
from ...store.settings import parse_setting, read_settings
from .. import analytics, store
from . import blueprint, page, show

__all__ = ["attribution", "attribution_data"]

RULE_LABELS = {"first": "first touch", "last": "last touch"}
# Form field -> the setting it changes.
FIELDS = {"rule": "attribution_rule", "window_days": "attribution_window_days"}


def _switch(db) -> dict | None:
    """The last switch of the rule or window, with how far it is."""
    progress = switch_progress(db)
    if progress is None:
        return None
    running = progress["finished_at"] is None
    total = max(progress["total"], 1)
    return progress | {
        "started_at": iso(progress["started_at"]),
        "finished_at": iso(progress["finished_at"]),
        "percent": 100 if not running else min(99, 100 * progress["done"] // total),
        "running": running,
        # Nobody in this process works on it: the server stopped mid-switch.
        "interrupted": running and not switch_running(store()),
    }


def _named(comparison: dict, names: dict) -> dict:
    """The comparison with each person's name beside their external id."""
    return comparison | {
        "examples": [
            row | {f"{key}_name": names.get(row[key]) for key in row}
            for row in comparison["examples"]
        ],
        "top_starters": {
            rule: [row | {"name": names.get(row["external_id"])} for row in rows]
            for rule, rows in comparison["top_starters"].items()
        },
    }


def attribution_data() -> dict:
    """What the Attribution page shows; the page and its twin render this dict."""
    db = store().reader()
    settings = read_settings(db)
    results = analytics().results
    comparison = results.get("attribution")
    if comparison is not None:
        shown = {
            person for row in comparison["examples"] for person in row.values()
        } | {
            row["external_id"]
            for rows in comparison["top_starters"].values()
            for row in rows
        }
        comparison = _named(comparison, people.names_of(db, sorted(shown)))
    return {
        "customers": people.has_customers(db),
        "rule": settings["attribution_rule"],
        "window_days": settings["attribution_window_days"],
        "rules": [{"rule": r, "label": label} for r, label in RULE_LABELS.items()],
        "comparison": comparison,
        "computed_at": results.get("computed_at") if comparison else None,
        "switch": _switch(db),
    }


@page("/dashboard/attribution", nav="Attribution", order=50)
def attribution():
    """Both rules side by side, and the form that switches the live one."""
    return show("dashboard/attribution.html", attribution_data())


@blueprint.post("/dashboard/attribution/switch")
def switch_rule():
    """Switch the live rule or window; the credits follow in chunks."""
    form = request.form
    asked = {key: form[field] for field, key in FIELDS.items() if field in form}
    try:
        for key, value in asked.items():  # every value checked before any is set
            parse_setting(key, value)
    except InvalidInput as exc:
        return show("dashboard/attribution.html", attribution_data(), 422, errors=exc)
    current = read_settings(store().reader())
    moved = []
    for key, value in asked.items():
        parsed = actions.change_setting(store(), key, value, background=True)
        if parsed != current[key]:
            moved.append(key)
    if moved:
        flash(
            "Switched. New sign-ups follow it at once; every other credit follows "
            "chunk by chunk, as shown below."
        )
    else:
        flash("Nothing changed: that is the rule and window already.")
    return redirect(url_for("dashboard.attribution"), 303)


@blueprint.post("/dashboard/attribution/continue")
def continue_switch():
    """Continue a switch that a stop of the server interrupted."""
    continue_in_background(store())
    return redirect(url_for("dashboard.attribution"), 303)
