"""One customer, /dashboard/customers/<external_id>: who told them (and who has
the credit), whom they told and the cascade below them, their value and flags,
their share page and links, and their "who told you" answers that name nobody.

Its actions (erase, resolve an answer) are ``customer_actions.py``.
"""

from __future__ import annotations

import re

from flask import request

from ...contract import currency_exponent, iso, major
from ...service.customers import told_tree
from ...store import links, people, queries
from ...store.customer_rows import (
    answer_candidates,
    share_state,
    touches_around,
    unresolved_answers_of,
)
from ...store.flags import flags_naming
from ...store.settings import read_settings
from .. import analytics, store
from ..api.people import PERSON_FIGURES
from ..api.wire import iso_seconds
from . import page, show

__all__ = ["NOTICES", "customer", "customer_data", "is_pseudonym"]

# ?notice= -> what the page says after an action (never text from the request).
NOTICES = {
    "erased": "Erased. Their name, email, answers and share page are gone; the "
    "figures they are part of stay, under this random id.",
    "resolved": "Answer resolved: the touch is recorded, and the credit follows "
    "the attribution rule.",
}


# What erasure renames a person to (wom.store.erasure).
_PSEUDONYM = re.compile(r"erased-[0-9a-f]{16}")


def is_pseudonym(external_id: str) -> bool:
    """Whether the id is one an erasure gave.

    >>> is_pseudonym("erased-0123456789abcdef"), is_pseudonym("erased-me")
    (True, False)
    """
    return _PSEUDONYM.fullmatch(external_id) is not None


def _ids_in(tree: dict | None):
    if tree is not None:
        yield tree["external_id"]
        for child in tree["children"]:
            yield from _ids_in(child)


def _tree(tree: dict, names: dict) -> dict:
    """The service's tree as plain data: ids, names and ISO times."""
    return {
        "id": tree["external_id"],
        "name": names.get(tree["external_id"]),
        "acquired_at": iso_seconds(tree["acquired_at"]),
        "kind": tree["kind"],
        "reach": tree["reach"],
        "unshown": tree["unshown"],
        "children": [_tree(child, names) for child in tree["children"]],
    }


def _touches(rows: list[dict], names: dict) -> list[dict]:
    return [
        row
        | {
            "name": names.get(row["id"]),
            "first_at": iso(row["first_at"]),
            "last_at": iso(row["last_at"]),
        }
        for row in rows
    ]


def customer_data(external_id: str) -> dict:
    """What a customer's page shows; the page and its twin render this dict."""
    db = store().reader()
    found = queries.person(db, external_id)
    pid = found["id"]
    service = analytics()
    figures = service.person(pid) or {}
    with service.held() as (_, F, state):
        tree = told_tree(F, state, pid)
    credit = people.credit_of(db, pid)
    touches = touches_around(db, pid)
    answers = unresolved_answers_of(db, pid)
    for answer in answers:
        answer["candidates"] = answer_candidates(db, answer["text"], exclude=pid)
        answer["created_at"] = iso(answer["created_at"])
    named = {
        *(row["id"] for row in touches["heard_from"] + touches["told"]),
        *_ids_in(tree),
        *([credit["referrer"]] if credit else []),
        *([figures["cascade_root"]] if figures.get("cascade_root") else []),
    }
    names = people.names_of(db, named)
    currency = read_settings(db)["currency"]
    exponent = currency_exponent(currency)
    shown = {name: figures.get(name) for name in PERSON_FIGURES}
    shown["referred_value"] = major(shown["referred_value"], exponent)
    share = share_state(db, pid)
    return {
        "customer": {
            "id": found["external_id"],
            "name": found["name"],
            "email": found["email"],
            "status": found["status"],
            "acquired_at": iso(found["acquired_at"]),
            "acquired_via": found["acquired_via"],
            "value": major(people.purchase_value(db, pid), exponent),
            "erased": is_pseudonym(found["external_id"]) and found["name"] is None,
        },
        "currency": currency,
        "money_decimals": exponent,
        "figures": shown,
        "computed_at": figures.get("computed_at"),
        "credited_referrer": credit
        and {
            "id": credit["referrer"],
            "name": names.get(credit["referrer"]),
            "kind": credit["kind"],
            "at": iso(credit["at"]),
            "status": credit["status"],
        },
        "heard_from": _touches(touches["heard_from"], names),
        "told": _touches(touches["told"], names),
        "told_count": touches["told_count"],
        "cascade": tree and _tree(tree, names),
        "cascade_root": figures.get("cascade_root")
        and {"id": figures["cascade_root"], "name": names.get(figures["cascade_root"])},
        "flags": flags_naming(db, pid),
        "share_page": {
            "since": iso(share["since"]),
            "held_referrals": share["held_referrals"],
        },
        "links": [
            link | {"created_at": iso(link["created_at"])}
            for link in links.links_of(db, pid)
        ],
        "unresolved_answers": answers,
    }


@page("/dashboard/customers/<external_id>")
def customer(external_id: str, problem: dict | None = None, status: int = 200):
    """One customer: their referrer and touches, whom they told, their cascade,
    value, flags, share page and unresolved answers."""
    data = customer_data(external_id)
    notice = NOTICES.get(request.args.get("notice", ""))
    return show("dashboard/customer.html", data, status, problem=problem, notice=notice)
