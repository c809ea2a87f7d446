"""The Rewards page's rules form: one fieldset per side (the referrer, the
friend), each on or off, saved as a new version of the rules from now on
(``actions.set_reward_rules``); a refused value is named beside its field."""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from ... import actions
from ...contract import now_micros
from ...store import InvalidInput
from .. import store
from . import blueprint, show

__all__ = ["FIELDS", "SIDES", "rule_form"]

SIDES = ("referrer", "friend")
FIELDS = (
    "trigger",
    "min_purchase",
    "kind",
    "amount",
    "perk",
    "cap_per_month",
    "hold_days",
)
_BLANK = {
    "on": False,
    "trigger": "signup",
    "min_purchase": "",
    "kind": "amount",
    "amount": "",
    "perk": "",
    "cap_per_month": "",
    "hold_days": "14",
}


def _text(value) -> str:
    """A number from the rules as typed back into a form (5.0 -> "5")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def rule_form(rules: dict, values=None, errors=None) -> dict:
    """The form's values per side (from the rules in force unless given) and
    its errors per ``side-field``."""
    if values is None:
        values = {side: dict(_BLANK) for side in SIDES}
        for rule in rules["in_force"]["rules"]:
            for side in SIDES:
                if rule["side"] in (side, "both"):
                    values[side] = {
                        "on": True,
                        "trigger": rule["trigger"],
                        "min_purchase": _text(rule["min_purchase"]),
                        "kind": "perk" if rule["perk"] else "amount",
                        "amount": _text(rule["amount"]),
                        "perk": rule["perk"] or "",
                        "cap_per_month": _text(rule["cap_per_month"]),
                        "hold_days": _text(rule["hold_days"]),
                    }
    return {"rule_values": values, "rule_errors": errors or {}}


def _posted() -> dict:
    """The form as sent, per side."""
    return {
        side: {"on": request.form.get(f"{side}-on") == "on"}
        | {
            field: (request.form.get(f"{side}-{field}") or "").strip()
            for field in FIELDS
        }
        for side in SIDES
    }


def _drafts(values: dict) -> tuple[list[dict], list[str], dict]:
    """The drafts of the sides that are on, their sides in order, and the
    problems found before the store's check (whole numbers)."""
    drafts, sides, errors = [], [], {}
    for side in SIDES:
        given = values[side]
        if not given["on"]:
            continue
        numbers = {}
        for field, low, high in (
            ("cap_per_month", 1, 1_000_000),
            ("hold_days", 0, 365),
        ):
            text = given[field]
            if text == "" and field == "cap_per_month":
                numbers[field] = None
            elif text.isascii() and text.isdigit() and low <= int(text) <= high:
                numbers[field] = int(text)
            else:
                errors[f"{side}-{field}"] = (
                    f"give a whole number from {low} to {high:,}"
                )
        perk = given["kind"] == "perk"
        drafts.append(
            {
                "side": side,
                "trigger": given["trigger"],
                "min_purchase": given["min_purchase"]
                if given["trigger"] == "purchase"
                else None,
                "amount": None if perk else given["amount"],
                "perk": given["perk"] if perk else None,
                "cap_per_month": numbers.get("cap_per_month"),
                "hold_days": numbers.get("hold_days", 14),
            }
        )
        sides.append(side)
    return drafts, sides, errors


@blueprint.post("/dashboard/rewards/rules")
def save_reward_rules():
    """Save the rules from now on, or show the form again naming each problem."""
    from .rewards import rewards_data

    values = _posted()
    drafts, sides, errors = _drafts(values)
    if not errors:
        try:
            actions.set_reward_rules(store(), drafts, now=now_micros(), by="dashboard")
        except InvalidInput as exc:
            for problem in exc.errors:
                # "rules[1].amount" -> the second side that is on, its amount.
                where, _, field = problem["field"].partition(".")
                index = int(where[len("rules[") : -1])
                key = (
                    "kind"
                    if field == "amount" and values[sides[index]]["kind"] == "perk"
                    else field
                )
                errors.setdefault(f"{sides[index]}-{key}", problem["message"])
        else:
            on = len(drafts)
            flash(
                f"Rules saved: {on} side{'s' * (on != 1)} rewarded from now on."
                if on
                else "Rewards ended for credits from now on."
            )
            return redirect(url_for("dashboard.rewards", _anchor="rules"), 303)
    data = rewards_data(None, None, None)
    return show(
        "dashboard/rewards.html", data, 422, **rule_form(data["rules"], values, errors)
    )
