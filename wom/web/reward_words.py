"""Rewards in words: money as people write it (Babel's CLDR data), and what a
customer has earned as one sentence for their share page."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency

from ..contract import currency_exponent

__all__ = ["earned_sentence", "money", "rule_words", "rules_lines"]

LOCALE = "en"
# What each state means to the person who earned the reward.
_STATE_WORDS = (
    ("paid", "paid to you"),
    ("approved", "on its way to you"),
    ("pending", "waiting for confirmation"),
)


def money(minor: int | None, currency: str) -> str:
    """Minor units as an amount people read.

    >>> money(1500, "EUR"), money(500, "JPY"), money(None, "EUR")
    ('€15.00', '¥500', '')
    """
    if minor is None:
        return ""
    amount = Decimal(minor).scaleb(-currency_exponent(currency))
    return format_currency(amount, currency, locale=LOCALE)


def _perks(perks: dict[str, int]) -> list[str]:
    return [
        perk if count == 1 else f"{count} × {perk}" for perk, count in perks.items()
    ]


def _listed(parts: list[str]) -> str:
    """Parts joined as a sentence lists them.

    >>> _listed(["a"]), _listed(["a", "b"]), _listed(["a", "b", "c"])
    ('a', 'a and b', 'a, b and c')
    """
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _what(amounts: dict[str, int], perks: dict[str, int]) -> str:
    return _listed(
        [money(amount, currency) for currency, amount in sorted(amounts.items())]
        + _perks(perks)
    )


def earned_sentence(earned: dict) -> str | None:
    """What a customer has earned (``reward_queries.earned_by``), in words; None
    when nothing yet.

    >>> earned = {
    ...     "pending": {"amounts": {"EUR": 500}, "perks": {"a free bag": 1}},
    ...     "approved": {"amounts": {}, "perks": {}},
    ...     "paid": {"amounts": {"EUR": 1000}, "perks": {}},
    ... }
    >>> earned_sentence(earned)
    "You've earned €15.00 and a free bag: €10.00 paid to you, and €5.00 and a \
free bag waiting for confirmation."
    """
    amounts: dict[str, int] = {}
    perks: dict[str, int] = {}
    parts = []
    for state, words in _STATE_WORDS:
        found = earned[state]
        if not found["amounts"] and not found["perks"]:
            continue
        for currency, amount in found["amounts"].items():
            amounts[currency] = amounts.get(currency, 0) + amount
        for perk, count in found["perks"].items():
            perks[perk] = perks.get(perk, 0) + count
        parts.append(f"{_what(found['amounts'], found['perks'])} {words}")
    if not parts:
        return None
    if len(parts) == 1:
        return f"You've earned {parts[0]}."
    listed = ", ".join(parts[:-1]) + ", and " + parts[-1]
    return f"You've earned {_what(amounts, perks)}: {listed}."


def rule_words(rule: dict, currency: str) -> str:
    """One rule (``reward_rules.version_view``'s, in major units) in words.

    >>> rule_words({"side": "both", "trigger": "purchase", "min_purchase": 20.0,
    ...             "amount": 5.0, "perk": None, "cap_per_month": 3,
    ...             "hold_days": 14}, "EUR")
    'The referrer and the friend each get €5.00 when the friend makes a first \
purchase of at least €20.00; at most 3 a month per referrer; approved after 14 days.'
    """
    exponent = currency_exponent(currency)

    def minor(major: float) -> int:
        return int(Decimal(str(major)).scaleb(exponent))

    who = {
        "referrer": "The referrer gets",
        "friend": "The friend gets",
        "both": "The referrer and the friend each get",
    }[rule["side"]]
    what = rule["perk"] if rule["perk"] else money(minor(rule["amount"]), currency)
    # Who acts: the friend, seen from the side the rule rewards.
    subject, verb = {
        "referrer": ("a friend they referred", "s"),
        "friend": ("they", ""),
        "both": ("the friend", "s"),
    }[rule["side"]]
    if rule["trigger"] == "signup":
        signs = "sign up through a referral" if verb == "" else "signs up"
        when = f"when {subject} {signs}"
    else:
        least = money(minor(rule["min_purchase"]), currency)
        when = f"when {subject} make{verb} a first purchase of at least {least}"
    cap = (
        f"; at most {rule['cap_per_month']} a month per referrer"
        if rule["cap_per_month"]
        else ""
    )
    days = rule["hold_days"]
    hold = (
        f"approved after {days} day{'s' if days != 1 else ''}"
        if days
        else "approved at once"
    )
    return f"{who} {what} {when}{cap}; {hold}."


def rules_lines(found: dict, day) -> list[str]:
    """``reward_rules.rules_view`` as lines of text; ``day`` writes a time.

    >>> rules_lines({"in_force": {"rules": []}, "scheduled": []}, str)
    ['In force: no rules; new credits earn nothing.']
    """
    lines = []
    titled = [("In force", found["in_force"])]
    titled += [("Scheduled", version) for version in found["scheduled"]]
    for title, version in titled:
        if not version["rules"]:
            lines.append(f"{title}: no rules; new credits earn nothing.")
            continue
        lines.append(f"{title} from {day(version['effective_at'])}:")
        lines += ["  " + rule_words(r, version["currency"]) for r in version["rules"]]
    return lines
