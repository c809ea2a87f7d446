"""The OpenAPI paths of the rewards ledger: the rewards, a decision on one, and
the rules (decisions and rules need an admin token)."""

from __future__ import annotations

from ...store.reward_queries import FILTERS
from .operations import (
    READ_ERRORS,
    WRITE_ERRORS,
    body,
    cursor,
    enum,
    errors,
    json_reply,
    limit,
    operation,
    query,
)

__all__ = ["reward_paths"]

ADMIN = " Needs an admin token."
REWARD_PARAM = {
    "name": "reward_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^rw_[0-9]+_[0-9]+_(referrer|friend)$"},
    "description": "The reward's id (from its credit and side).",
}


def reward_paths() -> dict:
    """The ledger's paths."""
    return {
        "/rewards": {
            "get": operation(
                "List rewards",
                "The ledger, newest first (by when each was earned), a page at a "
                "time, with its totals in the business's currency. Money never "
                "moves through wom: it records what is owed.",
                json_reply("RewardPage", "A page of rewards.")
                | errors(*READ_ERRORS, 404),
                tag="Rewards",
                parameters=[
                    enum(
                        "state",
                        FILTERS,
                        "Only rewards in this state (clawback: paid rewards whose "
                        "credit was voided or moved).",
                    ),
                    query(
                        "customer",
                        {"type": "string", "minLength": 1, "maxLength": 128},
                        "Only the rewards of this customer (external id).",
                    ),
                    limit(100),
                    cursor(),
                ],
            ),
        },
        "/rewards/{reward_id}": {
            "post": operation(
                "Mark a reward paid, or void it",
                "paid: the owner paid it elsewhere (only once it is approved). "
                "void: it is not owed; a paid reward can be voided only as a "
                "clawback due, once settled." + ADMIN,
                json_reply("Reward", "Decided.") | errors(*WRITE_ERRORS, 404),
                tag="Rewards",
                parameters=[REWARD_PARAM],
                body=body("RewardDecision"),
                write=True,
                scope="admin",
            ),
        },
        "/reward-rules": {
            "get": operation(
                "The reward rules",
                "The rules in force now, and any set to take effect later." + ADMIN,
                json_reply("RewardRules", "The rules.") | errors(*READ_ERRORS, 403),
                tag="Rewards",
                scope="admin",
            ),
            "put": operation(
                "Set the reward rules",
                "The whole set, from now (or a later `effective_at`) on: a credit "
                "follows the rules in force at its customer's conversion, so "
                "rewards already earned stay as they were." + ADMIN,
                json_reply("RewardRuleSet", "Recorded.") | errors(*WRITE_ERRORS),
                tag="Rewards",
                body=body("RewardRulesInput"),
                write=True,
                scope="admin",
            ),
        },
    }
