"""The rewards ledger over the API: list rewards (paged), decide one (paid or
void), and read or replace the rules. Decisions and rules need an admin token."""

from __future__ import annotations

import re

import msgspec
from flask import Response, request
from werkzeug.exceptions import UnsupportedMediaType

from ... import actions
from ...contract import now_micros, parse_time
from ...contract.fields import ExternalId, problem_of
from ...contract.rewards import (
    RewardDecision,
    RewardRulesInput,
    decode_rules,
    reward_body,
    totals_body,
)
from ...store import people
from ...store.reward_queries import FILTERS, list_rewards, totals
from ...store.reward_rules import rules_view
from ...store.settings import read_settings
from .. import store
from . import blueprint
from .auth import current_token, needs
from .cursors import cursor_of, encode_cursor
from .idempotency import idempotent, keep
from .wire import arguments, body, choice, contract_errors, integer, iso, reply

__all__ = ["REWARD_ID", "reward_cursor", "rule_set_body"]

#: What every reward id looks like (``wom.rewards.reward_id``).
REWARD_ID = re.compile(r"rw_[0-9]{1,19}_[0-9]{1,19}_(referrer|friend)")
#: A rewards cursor: [earned_at, id] of the last reward shown.
reward_cursor = cursor_of(
    lambda parts: (
        len(parts) == 2
        and type(parts[0]) is int
        and type(parts[1]) is str
        and REWARD_ID.fullmatch(parts[1]) is not None
    )
)


def _customer(value: str) -> str:
    """A customer id as the contract has it (the document says so too); a 400
    otherwise, not a 404 for an id no customer could have."""
    try:
        return msgspec.convert(value, ExternalId)
    except msgspec.ValidationError:
        raise ValueError(problem_of(ExternalId)) from None


def _by(surface: str = "api") -> str:
    return f"{surface}:{current_token()['name']}"


@blueprint.get("/rewards")
def list_rewards_view():
    """The ledger, newest first, filtered by state and by whom it rewards."""
    asked = arguments(
        {
            "state": choice(*FILTERS),
            "customer": _customer,
            "limit": integer(1, 1000),
            "cursor": reward_cursor,
        }
    )
    db = store().reader()
    person = people.person_id(db, asked["customer"]) if "customer" in asked else None
    limit = asked.get("limit", 100)
    rows = list_rewards(
        db,
        state=asked.get("state"),
        person=person,
        limit=limit + 1,
        after=tuple(asked["cursor"]) if "cursor" in asked else None,
    )
    shown = rows[:limit]
    last = shown[-1] if shown else None
    currency = read_settings(db)["currency"]
    return reply(
        {
            "items": [reward_body(row) for row in shown],
            "next_cursor": encode_cursor([last["earned_at"], last["id"]])
            if len(rows) > limit
            else None,
            "totals": totals_body(totals(db, currency), currency),
        }
    )


@blueprint.post("/rewards/<reward_id>")
@needs("admin")
@idempotent
def decide_reward(reward_id: str):
    """Mark a reward paid (the owner paid it elsewhere) or void it."""
    arguments({})
    decided = body(RewardDecision)
    answer = {}

    def finish(db, found: list[dict]) -> None:
        answer["payload"] = keep(db, 200, reward_body(found[0]))

    actions.decide_rewards(
        store(),
        [reward_id],
        decided.decision,
        note=decided.note,
        now=now_micros(),
        by=_by(),
        within=finish,
    )
    return Response(answer["payload"], 200, mimetype="application/json")


def rules_body() -> RewardRulesInput:
    """The request's rules, each problem named down to its rule's field."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Send the body as application/json.")
    with contract_errors():
        return decode_rules(request.get_data(cache=True))


def rule_set_body(version: dict) -> dict:
    """A version of ``reward_rules.version_view`` as the API sends it."""
    return version | {"effective_at": iso(version["effective_at"])}


@blueprint.get("/reward-rules")
@needs("admin")
def reward_rules():
    """The rules in force now, and any set to take effect later."""
    arguments({})
    found = rules_view(store().reader(), now_micros())
    return reply(
        {
            "in_force": rule_set_body(found["in_force"]),
            "scheduled": [rule_set_body(v) for v in found["scheduled"]],
        }
    )


@blueprint.put("/reward-rules")
@needs("admin")
@idempotent
def replace_reward_rules():
    """Set the whole set of rules from now (or a later time) on."""
    arguments({})
    given = rules_body()
    answer = {}

    def finish(db, version: dict) -> None:
        answer["payload"] = keep(db, 200, rule_set_body(version))

    actions.set_reward_rules(
        store(),
        [rule.draft() for rule in given.rules],
        now=now_micros(),
        by=_by(),
        effective_at=None
        if given.effective_at is msgspec.UNSET
        else parse_time(given.effective_at),
        within=finish,
    )
    return Response(answer["payload"], 200, mimetype="application/json")
