"""Rewards, /dashboard/rewards: the ledger's totals, its rewards (filtered by
state and customer, paged), mark paid one by one or in bulk, void, the
clawbacks due, and the rules (``reward_rule_form``). The payout file is
``reward_payouts``."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for

from ... import actions
from ...contract import iso, now_micros
from ...store import Conflict, InvalidInput, NotFound
from ...store.reward_queries import FILTERS, list_rewards, totals
from ...store.reward_rules import rules_view
from ...store.settings import read_settings
from .. import store
from ..api.cursors import encode_cursor
from ..api.rewards import REWARD_ID, reward_cursor
from ..reward_words import money, rule_words
from . import blueprint, page, show

__all__ = ["PAGE_SIZE", "rewards", "rewards_data"]

PAGE_SIZE = 25
CLAWBACKS_SHOWN = 10
#: The most rewards one bulk decision takes (a page's worth, and then some).
MOST_AT_ONCE = 200
STATE_LABELS = {
    "pending": "Pending",
    "approved": "Approved",
    "paid": "Paid",
    "voided": "Voided",
    "clawback": "Clawback due",
}


def _asked() -> dict:
    """The filters and page asked for; 400 for one that is none of them."""
    state = request.args.get("state") or None
    customer = (request.args.get("customer") or "").strip() or None
    after = request.args.get("after") or None
    if state is not None and state not in FILTERS:
        abort(400, f"No state {state[:40]!r}; choose one of {', '.join(FILTERS)}.")
    if customer is not None and len(customer) > 128:
        abort(400, "A customer id has at most 128 characters.")
    try:
        parsed = reward_cursor(after) if after else None
    except ValueError:
        abort(400, "That page mark is not one this page made; start from the first.")
    return {"state": state, "customer": customer, "after": after, "parsed": parsed}


def _shown(row: dict) -> dict:
    """A reward as the page shows it (times ISO, money in words)."""
    return {
        key: row[key]
        for key in (
            "id",
            "customer",
            "name",
            "side",
            "credit",
            "referrer",
            "perk",
            "state",
            "reason",
            "note",
            "held",
            "clawback_due",
        )
    } | {
        "amount": money(row["amount"], row["currency"]),
        "at": iso(row["at"]),
        "earned_at": iso(row["earned_at"]),
        "due_at": iso(row["due_at"]),
        "payable": row["state"] == "approved" and not row["held"],
        "voidable": row["state"] in ("pending", "approved") or row["clawback_due"],
    }


def _rules(db, now: int) -> dict:
    found = rules_view(db, now)
    for version in (found["in_force"], *found["scheduled"]):
        version["effective_at"] = iso(version["effective_at"])
        version["words"] = [
            rule_words(rule, version["currency"]) for rule in version["rules"]
        ]
    return found


def rewards_data(state: str | None, customer: str | None, after) -> dict:
    """What the Rewards page shows; the page and its twin render this dict."""
    db = store().reader()
    currency = read_settings(db)["currency"]
    person = None
    if customer is not None:
        row = db.execute(
            "SELECT id FROM people WHERE external_id = ?", [customer]
        ).fetchone()
        person = row[0] if row else -1
    rows = list_rewards(
        db, state=state, person=person, limit=PAGE_SIZE + 1, after=after
    )
    shown = rows[:PAGE_SIZE]
    found = totals(db, currency)
    return {
        "currency": currency,
        "totals": {
            key: value | {"display": money(value["amount"], currency)}
            for key, value in found.items()
        },
        "rules": _rules(db, now_micros()),
        "filters": {"state": state, "customer": customer},
        "unknown_customer": person == -1,
        "states": [{"state": s, "label": STATE_LABELS[s]} for s in FILTERS],
        "rewards": [_shown(row) for row in shown],
        "next": encode_cursor([shown[-1]["earned_at"], shown[-1]["id"]])
        if len(rows) > PAGE_SIZE
        else None,
        "clawbacks": [
            _shown(row)
            for row in list_rewards(db, state="clawback", limit=CLAWBACKS_SHOWN)
        ],
        "any": any(v["rewards"] for v in found.values()),
    }


@page("/dashboard/rewards", nav="Rewards", order=65)
def rewards():
    """Totals, the rewards a page at a time, decisions, clawbacks and rules."""
    from .reward_rule_form import rule_form

    asked = _asked()
    data = rewards_data(asked["state"], asked["customer"], asked["parsed"])
    return show("dashboard/rewards.html", data, **rule_form(data["rules"]))


def _back():
    kept = {
        key: request.form.get(key)
        for key in ("state", "customer", "after")
        if request.form.get(key)
    }
    return redirect(url_for("dashboard.rewards", **kept), 303)


@blueprint.post("/dashboard/rewards/decide")
def decide_rewards():
    """Mark rewards paid or void them: one (its row's button) or every ticked
    one (the bulk button); then back to the list."""
    one = request.form.get("one", "")
    if one:
        decision, _, reward_id = one.partition(":")
        ids = [reward_id]
    else:
        decision = request.form.get("bulk", "")
        ids = list(dict.fromkeys(request.form.getlist("ids")))
    if decision not in ("paid", "void"):
        abort(400, "Choose Mark paid or Void.")
    if not ids:
        flash("Tick the rewards to mark paid first.", "error")
        return _back()
    if len(ids) > MOST_AT_ONCE or not all(REWARD_ID.fullmatch(i) for i in ids):
        abort(400, "Decide from the Rewards page's buttons.")
    note = (request.form.get("note") or "").strip() or None
    try:
        actions.decide_rewards(
            store(), ids, decision, note=note, now=now_micros(), by="dashboard"
        )
    except (Conflict, NotFound) as exc:
        flash(str(exc), "error")
    except InvalidInput as exc:
        flash("; ".join(problem["message"] for problem in exc.errors), "error")
    else:
        what = "marked paid" if decision == "paid" else "voided"
        count = len(ids)
        flash(f"{count} reward{'s' * (count != 1)} {what}.")
    return _back()


# The rules' form and the payout file add their routes as they load.
from . import reward_payouts, reward_rule_form  # noqa: E402, F401
