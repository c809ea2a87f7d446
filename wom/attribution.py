"""Which touch earns the credit for a customer (docs/metrics.md, "Referral forest").

Credit is a pure function of the log ordered by ``(at, arrival sequence)``. For a
customer who converts at ``T``, the credited referrer is the talker of the first
(or, under the last-touch rule, the last) touch to them that

- lies in ``[T - window, T]``;
- comes from a talker who was already a customer, earlier in log order, so the
  referral forest can never hold a cycle;
- is not a self-referral by normalised email (that voids it for good).

A credit whose only link between the two people is a shared visitor cookie or IP
hash is *held* for review, and counts once approved. The store asks this module;
nothing here touches SQL.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Literal, NamedTuple

import numpy as np

__all__ = [
    "Touch",
    "Credit",
    "Decision",
    "credit_for",
    "credits_by_rule",
    "KIND_OF_EVENT",
    "DAY_US",
]

DAY_US = 86_400 * 1_000_000

# The edge kind each touching event type makes (docs/metrics.md names them alike).
KIND_OF_EVENT = {
    "signup": "link",
    "mention": "mention",
    "heard_from": "heard_from",
    "referral": "referral",
}


# Named tuples: immutable like frozen dataclasses, and made about four times
# faster (a frozen dataclass sets each field through object.__setattr__); a
# batch of events asks for thousands of them.


class Touch(NamedTuple):
    """One touch to the customer, with what attribution needs to know about its talker.

    ``talker_conversion`` is the talker's ``(acquired_at, acquired_order)``, or
    ``None`` for a talker who is not a customer. ``same_email`` and ``same_device``
    compare the talker with the customer (normalised email; visitor or IP hash).
    """

    talker: int
    at: int
    seq: int
    kind: str
    talker_conversion: tuple[int, int] | None
    same_email: bool = False
    same_device: bool = False


class Credit(NamedTuple):
    """The credited referrer of one customer."""

    referrer: int
    touch_seq: int
    kind: str
    at: int
    status: Literal["credited", "held"]


class Decision(NamedTuple):
    """A credit (or none) and the review flags raised on the way.

    ``flags`` holds ``(kind, referrer, reason)`` triples, where kind is
    ``"self_referral"`` or ``"held"``.
    """

    credit: Credit | None
    flags: tuple[tuple[str, int, str], ...] = ()


def credit_for(
    conversion: tuple[int, int],
    touches: list[Touch],
    *,
    rule: Literal["first", "last"] = "first",
    window_days: int = 90,
    reviews: dict[int, str] | None = None,
) -> Decision:
    """Decide the credited referrer of a customer who converted at ``conversion``.

    ``conversion`` is the customer's ``(acquired_at, acquired_order)``. ``touches``
    may come in any order; ``reviews`` maps a referrer to the owner's decision
    (``"approved"`` or ``"voided"``).

    >>> day = DAY_US
    >>> a = Touch(talker=1, at=10 * day, seq=5, kind="mention",
    ...           talker_conversion=(0, 2))
    >>> b = Touch(talker=2, at=20 * day, seq=9, kind="link",
    ...           talker_conversion=(1 * day, 4))
    >>> credit_for((30 * day, 21), [b, a]).credit.referrer
    1
    >>> credit_for((30 * day, 21), [b, a], rule="last").credit.referrer
    2

    Outside the window, no credit: the customer is a root.

    >>> credit_for((200 * day, 21), [a, b]).credit is None
    True

    A talker who became a customer only after the listener never earns credit.

    >>> late = Touch(talker=3, at=10 * day, seq=6, kind="mention",
    ...              talker_conversion=(40 * day, 30))
    >>> credit_for((30 * day, 21), [late]).credit is None
    True

    A self-referral by email is void and flagged; a shared device is held.

    >>> selfish = Touch(1, 10 * day, 5, "link", (0, 2), same_email=True)
    >>> decision = credit_for((30 * day, 21), [selfish])
    >>> decision.credit, decision.flags[0][0]
    (None, 'self_referral')
    >>> shared = Touch(1, 10 * day, 5, "link", (0, 2), same_device=True)
    >>> credit_for((30 * day, 21), [shared]).credit.status
    'held'
    >>> credit_for((30 * day, 21), [shared], reviews={1: "approved"}).credit.status
    'credited'
    """
    if not touches:  # most customers: nobody told them
        return _NOBODY
    reviews = reviews or {}
    at_conversion = conversion[0]
    opens = at_conversion - window_days * DAY_US
    flags: list[tuple[str, int, str]] = []
    eligible: list[Touch] = []
    for touch in sorted(touches, key=_IN_LOG_ORDER):
        # The talker must have converted strictly earlier in log order.
        if touch.talker_conversion is None or touch.talker_conversion >= conversion:
            continue
        if touch.same_email:
            reason = "the referrer and the customer share a normalised email address"
            flags.append(("self_referral", touch.talker, reason))
            continue
        if not opens <= touch.at <= at_conversion:
            continue
        if reviews.get(touch.talker) == "voided":
            continue
        eligible.append(touch)
    if not eligible:
        return Decision(None, _unique(flags))
    chosen = eligible[0] if rule == "first" else eligible[-1]
    status: Literal["credited", "held"] = "credited"
    if chosen.same_device and reviews.get(chosen.talker) != "approved":
        status = "held"
        reason = "the referrer and the customer share a visitor cookie or IP address"
        flags.append(("held", chosen.talker, reason))
    credit = Credit(chosen.talker, chosen.seq, chosen.kind, chosen.at, status)
    return Decision(credit, _unique(flags))


_IN_LOG_ORDER = attrgetter("at", "seq")
_NOBODY = Decision(None)


def _unique(flags: list[tuple[str, int, str]]) -> tuple[tuple[str, int, str], ...]:
    return tuple(dict.fromkeys(flags))


def credits_by_rule(touches: dict, window_days: int = 90) -> dict:
    """:func:`credit_for` under both rules for every customer at once, by arrays.

    ``touches`` holds one row per touch to a customer from a customer, as
    columns: ``listener``, ``talker``, ``at``, ``seq``, the listener's and the
    talker's conversion (``listener_at``, ``listener_order``, ``talker_at``,
    ``talker_order``), ``same_email``, ``same_device`` (bool) and ``review``
    (0 none, 1 approved, 2 voided). Returns ``customer`` (ids with an eligible
    touch, ascending) and, for ``"first"`` and ``"last"``, the ``referrer`` and
    whether the credit is ``held``, in the same order.

    >>> day = DAY_US
    >>> touches = {  # 1 and 2 told 3; 2 told 4 but shares a device with them
    ...     "listener": [3, 3, 4], "talker": [1, 2, 2], "at": [day, 2 * day, day],
    ...     "seq": [5, 6, 7], "listener_at": [3 * day] * 3,
    ...     "listener_order": [9, 9, 10], "talker_at": [0, 0, 0],
    ...     "talker_order": [1, 2, 2], "same_email": [False] * 3,
    ...     "same_device": [False, False, True], "review": [0, 0, 0]}
    >>> found = credits_by_rule(touches)
    >>> found["customer"].tolist(), found["first"]["referrer"].tolist()
    ([3, 4], [1, 2])
    >>> found["last"]["referrer"].tolist(), found["last"]["held"].tolist()
    ([2, 2], [False, True])
    """
    column = {name: np.asarray(values) for name, values in touches.items()}
    listener, at, seq = column["listener"], column["at"], column["seq"]
    l_at, t_at = column["listener_at"], column["talker_at"]
    l_order, t_order = column["listener_order"], column["talker_order"]
    review = column["review"]
    # As credit_for: a talker converted strictly earlier in log order, no
    # self-referral by email, inside the window, and not voided by the owner.
    eligible = (
        ((t_at < l_at) | ((t_at == l_at) & (t_order < l_order)))
        & ~column["same_email"].astype(bool)
        & (at >= l_at - window_days * DAY_US)
        & (at <= l_at)
        & (review != 2)
    )
    rows = np.flatnonzero(eligible)
    rows = rows[np.lexsort((seq[rows], at[rows], listener[rows]))]
    starts = np.flatnonzero(np.diff(listener[rows], prepend=-1) != 0)
    ends = np.append(starts[1:], len(rows))[: len(starts)] - 1
    held = column["same_device"].astype(bool) & (review != 1)
    found = {"customer": listener[rows[starts]].astype(np.int64)}
    for rule, chosen in (("first", rows[starts]), ("last", rows[ends])):
        found[rule] = {
            "referrer": column["talker"][chosen].astype(np.int64),
            "held": held[chosen],
        }
    return found
