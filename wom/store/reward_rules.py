"""The rewards' rules: checked, kept as versions in the reward log, read back.

A version is one ``rules`` entry of ``reward_log``: the whole set of rules (at
most one per side), the time it takes effect (never before it is recorded: a
rule change applies to credits from then on), and the currency and time zone it
was set in. Nothing here changes a reward; ``rewards.py`` reads the versions.
"""

from __future__ import annotations

from dataclasses import asdict

import orjson
from sqlite_utils import Database

from ..contract import currency_exponent, major, minor_units
from ..rewards import Rule, Version
from .errors import InvalidInput
from .settings import read_settings

__all__ = [
    "MAX_CAP",
    "MAX_HOLD_DAYS",
    "PERK_MAX",
    "check_rules",
    "read_versions",
    "rules_view",
    "set_rules",
]

MAX_HOLD_DAYS = 365
MAX_CAP = 1_000_000
PERK_MAX = 200
_SIDES = ("referrer", "friend", "both")
_TRIGGERS = ("signup", "purchase")


def _problem(index: int, field: str, message: str) -> dict:
    return {"index": None, "field": f"rules[{index}].{field}", "message": message}


def _money(text, exponent: int, currency: str) -> int:
    try:
        return minor_units(str(text).strip(), exponent)
    except ValueError as exc:
        raise ValueError(f"{exc} ({currency})") from None


def _check_one(index: int, draft: dict, exponent: int, currency: str):
    """One draft -> (Rule, problems)."""
    problems = []

    def bad(field: str, message: str) -> None:
        problems.append(_problem(index, field, message))

    side, trigger = draft.get("side"), draft.get("trigger")
    if side not in _SIDES:
        bad("side", "give one of referrer, friend, both")
    if trigger not in _TRIGGERS:
        bad("trigger", "give one of signup, purchase")
    amount = perk = minimum = None
    given_amount = draft.get("amount") not in (None, "")
    given_perk = (draft.get("perk") or "").strip() != ""
    if given_amount == given_perk:
        bad("amount", "give an amount or a perk (one of them)")
    elif given_amount:
        try:
            amount = _money(draft["amount"], exponent, currency)
        except ValueError as exc:
            bad("amount", str(exc))
        else:
            if amount == 0:
                bad("amount", "give an amount above 0, or a perk instead")
    else:
        perk = draft["perk"].strip()
        if len(perk) > PERK_MAX or any(
            ord(c) < 32 or 127 <= ord(c) < 160 for c in perk
        ):
            bad("perk", f"give 1 to {PERK_MAX} characters, without control characters")
    if trigger == "purchase":
        if draft.get("min_purchase") in (None, ""):
            bad(
                "min_purchase",
                "give the least first purchase that earns it (0 for any)",
            )
        else:
            try:
                minimum = _money(draft["min_purchase"], exponent, currency)
            except ValueError as exc:
                bad("min_purchase", str(exc))
    elif draft.get("min_purchase") not in (None, ""):
        bad("min_purchase", "only a purchase trigger takes a minimum; remove it")
    cap = draft.get("cap_per_month")
    if cap is not None and (type(cap) is not int or not 1 <= cap <= MAX_CAP):
        bad("cap_per_month", f"give a whole number from 1 to {MAX_CAP:,}, or none")
    hold = draft.get("hold_days", 14)
    if type(hold) is not int or not 0 <= hold <= MAX_HOLD_DAYS:
        bad("hold_days", f"give a whole number of days from 0 to {MAX_HOLD_DAYS}")
    if problems:
        return None, problems
    rule = Rule(side, trigger, amount, perk, minimum, cap, hold)
    return rule, []


def check_rules(drafts: list[dict], currency: str) -> tuple[Rule, ...]:
    """Drafts (amounts as decimal text in major units, as typed or sent) ->
    rules in minor units; InvalidInput naming every problem (``rules[i].field``).

    >>> check_rules([{"side": "both", "trigger": "signup", "amount": "5"}], "EUR")
    (Rule(side='both', trigger='signup', amount=500, perk=None, min_purchase=None, \
cap_per_month=None, hold_days=14),)
    """
    exponent = currency_exponent(currency)
    rules, problems, sides = [], [], set()
    for index, draft in enumerate(drafts):
        rule, found = _check_one(index, draft, exponent, currency)
        problems += found
        if rule is None:
            continue
        covered = {"referrer", "friend"} if rule.side == "both" else {rule.side}
        if covered & sides:
            problems.append(
                _problem(index, "side", "one rule per side; this side has one already")
            )
        sides |= covered
        rules.append(rule)
    if problems:
        raise InvalidInput(problems)
    return tuple(rules)


def set_rules(
    db: Database,
    rules: tuple[Rule, ...],
    *,
    effective_at: int,
    now: int,
    by: str,
) -> Version:
    """Record a new version of the rules (inside the caller's write transaction).

    ``effective_at`` may not be before ``now``: rewards already earned follow
    the rules they were earned under.
    """
    if effective_at < now:
        raise InvalidInput.field(
            "effective_at",
            "a rule change cannot reach into the past; give now or later",
        )
    settings = read_settings(db)
    body = {
        "currency": settings["currency"],
        "zone": settings["time_zone"],
        "rules": [asdict(rule) for rule in rules],
    }
    seq = db.execute(
        "INSERT INTO reward_log(kind, at, body, by, recorded_at) "
        "VALUES ('rules', ?, ?, ?, ?) RETURNING seq",
        [effective_at, orjson.dumps(body).decode(), by, now],
    ).fetchone()[0]
    return _version(seq, effective_at, body)


def _version(seq: int, at: int, body: dict) -> Version:
    return Version(
        seq,
        at,
        body["currency"],
        body["zone"],
        tuple(Rule(**rule) for rule in body["rules"]),
    )


def read_versions(db: Database) -> list[Version]:
    """Every version of the rules, in the order they take effect."""
    return [
        _version(seq, at, orjson.loads(body))
        for seq, at, body in db.execute(
            "SELECT seq, at, body FROM reward_log WHERE kind = 'rules' ORDER BY at, seq"
        )
    ]


def version_view(version: Version | None) -> dict:
    """A version as plain data, amounts in major units (what the API shows and
    the forms are filled with)."""
    if version is None:
        return {
            "version": None,
            "effective_at": None,
            "currency": None,
            "time_zone": None,
            "rules": [],
        }
    exponent = currency_exponent(version.currency)
    return {
        "version": version.seq,
        "effective_at": version.effective_at,
        "currency": version.currency,
        "time_zone": version.zone,
        "rules": [
            asdict(rule)
            | {
                "amount": major(rule.amount, exponent),
                "min_purchase": major(rule.min_purchase, exponent),
            }
            for rule in version.rules
        ],
    }


def rules_view(db: Database, now: int) -> dict:
    """The version in force at ``now`` and those scheduled after it."""
    versions = read_versions(db)
    current = None
    for version in versions:
        if version.effective_at <= now:
            current = version
    return {
        "in_force": version_view(current),
        "scheduled": [version_view(v) for v in versions if v.effective_at > now],
    }
