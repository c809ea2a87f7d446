"""Review, /dashboard/review: the flags that await the owner, each with its
reasons, the credits it names, a small graph of the people involved, and
Approve or Void (``actions.decide_flag``)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for

from ... import actions
from ...contract import iso
from ...store import flag_graphs, flags, now_micros, people
from .. import analytics, store
from ..api.flags import FLAG_KINDS
from . import blueprint, page, show

__all__ = ["KIND_LABELS", "review", "review_data"]

PAGE_SIZE = 10
#: The most people drawn in one flag's graph (a burst can name hundreds).
GRAPH_PEOPLE = 30
KIND_LABELS = {
    "self_referral": "Self-referral",
    "held": "Held credit",
    "ring": "Ring",
    "reciprocal": "Reciprocal pair",
    "burst": "Burst",
    "click_flood": "Click flood",
}


def _asked() -> dict:
    """The filters and page asked for; 400 for a value that is none of them.
    Without ``status``, open flags; ``status=any`` lists every status."""
    kind = request.args.get("kind") or None
    status = request.args.get("status", "open") or "any"
    after = request.args.get("after") or None
    if kind is not None and kind not in FLAG_KINDS:
        known = ", ".join(FLAG_KINDS)
        abort(400, f"No flag kind {kind[:40]!r}; choose one of {known}.")
    if status != "any" and status not in flags.STATUSES:
        abort(400, f"No status {status[:40]!r}; choose open, approved, voided or any.")
    if after is not None and not flags.FLAG_KEY.fullmatch(after):
        abort(400, "That page mark is not one this page made; start from the first.")
    return {"kind": kind, "status": status, "after": after}


def _graph(flag: dict, found: dict) -> dict:
    """The flag's people (credits first, at most GRAPH_PEOPLE) and the edges among
    them: conversations, credits, and the credits the flag names."""
    people = [side for c in flag["credits"] for side in (c["referrer"], c["customer"])]
    people = list(dict.fromkeys(people + flag["members"]))
    shown = set(people[:GRAPH_PEOPLE])
    named = {(c["referrer"], c["customer"]) for c in flag["credits"]}
    credited = {(r, c): status for c, r, status in found["credits"]}
    edges = [
        {"source": t, "target": listener, "kind": "talk", "kinds": kinds}
        for t, listener, kinds in found["talks"]
        if t in shown and listener in shown and (t, listener) not in credited
    ]
    edges += [
        {
            "source": r,
            "target": c,
            "kind": "credit",
            "status": credited.get((r, c), "none"),
            "named": (r, c) in named,
        }
        for r, c in sorted(set(credited) | named)
        if r in shown and c in shown
    ]
    return {
        "nodes": [
            {
                "id": person,
                "label": (found["people"].get(person) or {}).get("name") or person,
            }
            for person in people[:GRAPH_PEOPLE]
        ],
        "edges": edges,
        "people": len(people),
    }


def review_data(kind: str | None, status: str, after: str | None) -> dict:
    """What the Review page shows; the page and its twin render this dict."""
    db = store().reader()
    rows = flags.list_flags(
        db,
        kind=kind,
        status=None if status == "any" else status,
        after=after,
        limit=PAGE_SIZE + 1,
    )
    items = rows[:PAGE_SIZE]
    found = flag_graphs.among(db, {p for flag in items for p in _people_of(flag)})
    names = {p: v["name"] for p, v in found["people"].items()}
    shown = []
    for flag in items:
        shown.append(
            flag
            | {
                "label": KIND_LABELS.get(flag["kind"], flag["kind"]),
                "raised_at": iso(flag["raised_at"]),
                "decided_at": iso(flag["decided_at"]),
                "names": {p: names.get(p) for p in _people_of(flag)},
                "graph": _graph(flag, found),
            }
        )
    counts = flags.count_flags(db)
    return {
        "customers": people.has_customers(db),
        "filters": {"kind": kind, "status": status, "after": after},
        "kinds": [{"kind": k, "label": KIND_LABELS.get(k, k)} for k in FLAG_KINDS],
        "counts": counts,
        "open": sum(by_status.get("open", 0) for by_status in counts.values()),
        "flags": shown,
        "next": items[-1]["id"] if len(rows) > PAGE_SIZE else None,
        "computed_at": analytics().results.get("computed_at"),
    }


def _people_of(flag: dict) -> list[str]:
    return list(
        dict.fromkeys(
            [v for c in flag["credits"] for v in c.values()]
            + [p for p in (flag["customer"], flag["referrer"]) if p]
            + flag["members"]
        )
    )


@page("/dashboard/review", nav="Review", order=60)
def review():
    """Flags by kind and status, ten at a time, with Approve and Void."""
    asked = _asked()
    return show("dashboard/review.html", review_data(**asked))


@blueprint.post("/dashboard/review/decide")
def decide_flag():
    """Approve or void the credits one flag names, then back to the list."""
    flag_id = request.form.get("flag", "")
    decision = request.form.get("decision", "")
    if decision not in actions.flags.DECISIONS:
        abort(400, "Choose Approve or Void.")
    if not flags.FLAG_KEY.fullmatch(flag_id):
        abort(400, "Which flag? Decide from the Review page's buttons.")
    outcome = actions.decide_flag(store(), flag_id, decision, now=now_micros())
    count = len(outcome["credits"])
    what = "kept" if outcome["status"] == "approved" else "voided"
    flash(
        f"Flag {flag_id} {outcome['status']}: "
        + (f"{count} credit{'s' * (count != 1)} {what}." if count else "closed.")
    )
    kept = {
        key: request.form.get(key)
        for key in ("kind", "status", "after")
        if request.form.get(key)
    }
    return redirect(url_for("dashboard.review", **kept, _anchor=None), 303)
