"""The rewards ledger's bodies: rules in and out, a reward, a page of them, a
decision. Amounts go over the wire in major units of the currency (5.00 EUR),
read from the number's digits like a purchase's value; the ledger keeps minor
units."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import msgspec
from msgspec import Meta

from .decoding import decode_body, struct_problems
from .fields import Moment, text
from .money import currency_exponent, major
from .problems import InvalidInput
from .replies import Reply, Time
from .times import iso

__all__ = [
    "Reward",
    "RewardDecision",
    "RewardPage",
    "RewardRuleInput",
    "RewardRules",
    "RewardRulesInput",
    "RewardRuleSet",
    "RewardTotal",
    "RewardTotals",
    "RewardRule",
    "decode_rules",
    "reward_body",
    "totals_body",
]

# Kept as the number's own text (like a purchase's value); null for none.
MoneyOrNull = Annotated[
    msgspec.Raw,
    Meta(
        description="Major units of the business's currency (5.00 EUR is 5), with "
        "no more decimals than the currency has; null for none.",
        extra={"problem": "give a number of 0 or more, or null"},
        extra_json_schema={"type": ["number", "null"], "minimum": 0, "examples": [5]},
    ),
]
Side = Literal["referrer", "friend"]
State = Literal["pending", "approved", "paid", "voided"]
Major = Annotated[
    float, Meta(description="Major units of the currency (5.00 EUR is 5.0).")
]
HoldDays = Annotated[
    int,
    Meta(
        ge=0,
        le=365,
        description="Days from when a reward is earned (or wom learns of it, if "
        "later) until it is approved, so that review can act first.",
        extra={"problem": "give a whole number of days from 0 to 365"},
    ),
]
Cap = Annotated[
    int,
    Meta(
        ge=1,
        le=1_000_000,
        description="At most this many rewards of this rule per referrer per "
        "calendar month (in the business's time zone); the later ones are voided.",
        extra={"problem": "give a whole number from 1 to 1,000,000, or null"},
    ),
]

RULE_EXAMPLE = {
    "side": "both",
    "trigger": "purchase",
    "min_purchase": 20.0,
    "amount": 5.0,
    "perk": None,
    "cap_per_month": 10,
    "hold_days": 14,
}


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class RewardRuleInput(_Body):
    """One rule: whom it rewards, on what, with an amount or a perk."""

    side: Literal["referrer", "friend", "both"]
    trigger: Annotated[
        Literal["signup", "purchase"],
        Meta(
            description="signup: a credited sign-up; purchase: the customer's "
            "first purchase, if it is at least min_purchase."
        ),
    ]
    min_purchase: MoneyOrNull = None
    amount: MoneyOrNull = None
    perk: text(200, "A described reward instead of an amount.", "a free bag") | None = (
        None
    )
    cap_per_month: Cap | None = None
    hold_days: HoldDays = 14

    example: ClassVar[dict] = RULE_EXAMPLE

    def draft(self) -> dict:
        """The rule as the store checks it: amounts as their decimal text."""
        return {
            "side": self.side,
            "trigger": self.trigger,
            "min_purchase": _text(self.min_purchase),
            "amount": _text(self.amount),
            "perk": self.perk,
            "cap_per_month": self.cap_per_month,
            "hold_days": self.hold_days,
        }


def _text(raw: msgspec.Raw | None) -> str | None:
    # A JSON string keeps its quotes here, so that the check refuses it.
    text = None if raw is None else bytes(raw).decode()
    return None if text == "null" else text


class RewardRulesInput(_Body):
    """The whole set of rules from a time on (at most one rule per side); an
    empty list ends rewards for credits from then on."""

    rules: Annotated[list[RewardRuleInput], Meta(max_length=2)]
    effective_at: (
        Annotated[Moment, Meta(description="Now or later; now when left out.")]
        | msgspec.UnsetType
    ) = msgspec.UNSET

    example: ClassVar[dict] = {"rules": [RULE_EXAMPLE]}


class RewardRule(Reply):
    """A rule as it is kept (amounts in major units)."""

    side: Literal["referrer", "friend", "both"]
    trigger: Literal["signup", "purchase"]
    min_purchase: Major | None
    amount: Major | None
    perk: str | None
    cap_per_month: int | None
    hold_days: int

    example: ClassVar[dict] = RULE_EXAMPLE


class RewardRuleSet(Reply):
    """One version of the rules: in force from effective_at until the next."""

    version: Annotated[int | None, Meta(description="null: no rules were ever set.")]
    effective_at: Time | None
    currency: str | None
    time_zone: Annotated[
        str | None, Meta(description="The months of the caps are counted in it.")
    ]
    rules: list[RewardRule]

    example: ClassVar[dict] = {
        "version": 3,
        "effective_at": "2026-03-01T00:00:00Z",
        "currency": "EUR",
        "time_zone": "Europe/Paris",
        "rules": [RULE_EXAMPLE],
    }


class RewardRules(Reply):
    """The rules in force now, and any version set to take effect later."""

    in_force: RewardRuleSet
    scheduled: list[RewardRuleSet]

    example: ClassVar[dict] = {"in_force": RewardRuleSet.example, "scheduled": []}


REWARD_EXAMPLE = {
    "id": "rw_812_77_referrer",
    "customer": "c-0007",
    "side": "referrer",
    "credit": "c-1002",
    "referrer": "c-0007",
    "amount": 5.0,
    "currency": "EUR",
    "perk": None,
    "state": "approved",
    "at": "2026-03-16T08:30:00Z",
    "earned_at": "2026-03-02T08:30:00Z",
    "due_at": "2026-03-16T08:30:00Z",
    "reason": None,
    "note": None,
    "held": False,
    "clawback_due": False,
}


class Reward(Reply):
    """A reward of the ledger: whom it rewards, for which credit, and its state."""

    id: Annotated[str, Meta(description="Derived from its credit and side.")]
    customer: Annotated[str, Meta(description="Whom it rewards (external id).")]
    side: Side
    credit: Annotated[
        str, Meta(description="The customer whose credited referral it is for.")
    ]
    referrer: Annotated[str, Meta(description="That credit's referrer.")]
    amount: Major | None
    currency: str
    perk: str | None
    state: Annotated[
        State,
        Meta(
            description="pending until its hold ends, then approved, then paid; or "
            "voided (see reason)."
        ),
    ]
    at: Annotated[Time, Meta(description="When it reached its state.")]
    earned_at: Time
    due_at: Annotated[Time, Meta(description="When its hold ends.")]
    reason: Annotated[
        str | None,
        Meta(description="Why it is voided, or why a paid one is a clawback due."),
    ]
    note: Annotated[str | None, Meta(description="The owner's note on a decision.")]
    held: Annotated[
        bool, Meta(description="Its credit is held for review: it waits for it.")
    ]
    clawback_due: Annotated[
        bool, Meta(description="Paid, but its credit was voided or moved.")
    ]

    example: ClassVar[dict] = REWARD_EXAMPLE


class RewardTotal(Reply):
    """How many rewards, their amount, and how many are perks."""

    rewards: int
    amount: Major
    perks: int

    example: ClassVar[dict] = {"rewards": 4, "amount": 20.0, "perks": 0}


class RewardTotals(Reply):
    """The ledger's totals in the business's currency."""

    currency: str
    pending: RewardTotal
    approved: RewardTotal
    paid: RewardTotal
    voided: RewardTotal
    clawback_due: RewardTotal

    example: ClassVar[dict] = {
        "currency": "EUR",
        "pending": {"rewards": 4, "amount": 20.0, "perks": 0},
        "approved": {"rewards": 1, "amount": 5.0, "perks": 0},
        "paid": {"rewards": 6, "amount": 25.0, "perks": 1},
        "voided": {"rewards": 1, "amount": 5.0, "perks": 0},
        "clawback_due": {"rewards": 0, "amount": 0.0, "perks": 0},
    }


class RewardPage(Reply):
    """A page of rewards, newest first, and the ledger's totals."""

    items: list[Reward]
    next_cursor: str | None
    totals: RewardTotals

    example: ClassVar[dict] = {
        "items": [REWARD_EXAMPLE],
        "next_cursor": None,
        "totals": RewardTotals.example,
    }


class RewardDecision(_Body):
    """The owner's decision on a reward: paid (elsewhere), or void."""

    decision: Literal["paid", "void"]
    note: text(500, "Why, or how it was paid.", "bank transfer 2026-03-20") | None = (
        None
    )

    example: ClassVar[dict] = {"decision": "paid", "note": "bank transfer"}


_RULE_LIST = msgspec.json.Decoder(dict[str, msgspec.Raw])


def decode_rules(data: bytes) -> RewardRulesInput:
    """A PUT /reward-rules body; InvalidInput naming each problem, down to the
    field of each rule (``rules[1].hold_days``)."""
    try:
        return decode_body(data, RewardRulesInput)
    except InvalidInput as refused:
        if not any(problem["field"] == "rules" for problem in refused.errors):
            raise
        rules = _rules_of(data)
        if rules is None:
            raise
        problems = [p for p in refused.errors if p["field"] != "rules"]
        for index, raw in enumerate(rules):
            try:
                fields = _RULE_LIST.decode(raw)
            except msgspec.ValidationError:
                found = [("(rule)", "give a JSON object")]
            else:
                found = struct_problems(fields, RewardRuleInput, what="a rule")
            problems += [
                {"index": None, "field": f"rules[{index}].{name}", "message": text}
                for name, text in found
            ]
        if not problems:
            raise
        raise InvalidInput(problems) from None


def _rules_of(data: bytes) -> list[msgspec.Raw] | None:
    try:
        rules = msgspec.json.decode(data, type=dict[str, msgspec.Raw]).get("rules")
        return (
            None
            if rules is None
            else msgspec.json.decode(rules, type=list[msgspec.Raw])
        )
    except msgspec.DecodeError:
        return None


def reward_body(row: dict) -> dict:
    """A reward of ``store.reward_queries`` as the API and webhooks send it."""
    exponent = currency_exponent(row["currency"])
    return {
        "id": row["id"],
        "customer": row["customer"],
        "side": row["side"],
        "credit": row["credit"],
        "referrer": row["referrer"],
        "amount": major(row["amount"], exponent),
        "currency": row["currency"],
        "perk": row["perk"],
        "state": row["state"],
        "at": iso(row["at"]),
        "earned_at": iso(row["earned_at"]),
        "due_at": iso(row["due_at"]),
        "reason": row["reason"],
        "note": row["note"],
        "held": row["held"],
        "clawback_due": row["clawback_due"],
    }


def totals_body(found: dict, currency: str) -> dict:
    """``store.reward_queries.totals`` as the API sends it."""
    exponent = currency_exponent(currency)
    return {"currency": currency} | {
        ("clawback_due" if key == "clawback" else key): value
        | {"amount": major(value["amount"], exponent)}
        for key, value in found.items()
    }
