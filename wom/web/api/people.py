"""People: /customers (list, create or update, one, erase) and their links."""

from __future__ import annotations

from flask import Response, url_for

from ... import actions
from ...contract import CustomerInput, LinkInput, currency_exponent, major
from ...service.graph_view import PERSON_FIGURES
from ...store import links, now_micros, people, queries
from ...store.settings import event_rules, read_settings
from .. import analytics, store
from . import blueprint
from .auth import current_token
from .cursors import cursor_of, encode_cursor
from .idempotency import idempotent, keep
from .wire import (
    BadParameters,
    arguments,
    body,
    choice,
    integer,
    iso,
    moment,
    reply,
)

__all__ = [
    "PERSON_FIGURES",
    "credited_referrer",
    "customer_summary",
    "money_exponent",
]

ACQUIRED_VIA = ("root", "referred", "mention")
JSON = "application/json"


def _integer(value) -> bool:
    """An integer SQLite can bind (a bool is not one here)."""
    return type(value) is int and -(2**63) <= value < 2**63


def _customer_cursor(parts: list) -> bool:
    # [sort, the sort column's value, internal id]: the column is a time (or
    # None, for people not yet acquired) or an external id.
    return (
        len(parts) == 3
        and type(parts[0]) is str
        and parts[0] in people.CUSTOMER_SORTS
        and _integer(parts[2])
        and (
            type(parts[1]) is str
            if parts[0].lstrip("-") == "id"
            else parts[1] is None or _integer(parts[1])
        )
    )


def money_exponent(db) -> int:
    """Decimals of the business's currency: money is kept in its minor units."""
    return currency_exponent(read_settings(db)["currency"])


def customer_summary(row: dict) -> dict:
    """A person from ``queries.person``, in the API's shape (times ISO)."""
    return {
        "id": row["external_id"],
        "status": row["status"],
        "acquired_at": iso(row["acquired_at"]),
        "acquired_via": row["acquired_via"],
        "name": row["name"],
        "email": row["email"],
    }


def credited_referrer(credit: dict) -> dict:
    """A credit from the store, in the API's shape."""
    return {
        "id": credit["referrer"],
        "kind": credit["kind"],
        "at": iso(credit["at"]),
        "status": credit["status"],
    }


@blueprint.get("/customers")
def list_customers():
    """One page of customers, filtered and sorted from allow-lists."""
    asked = arguments(
        {
            "acquired_via": choice(*ACQUIRED_VIA),
            "from": moment,
            "to": moment,
            "sort": choice(*people.CUSTOMER_SORTS),
            "limit": integer(1, 1000),
            "cursor": cursor_of(_customer_cursor),
        }
    )
    sort = asked.get("sort", "acquired_at")
    after = None
    if "cursor" in asked:
        cursor_sort, *after = asked["cursor"]
        if cursor_sort != sort:
            raise BadParameters(
                [
                    {
                        "index": None,
                        "field": "cursor",
                        "message": f"this cursor pages sort={cursor_sort}; "
                        "keep the sort of the first page",
                    }
                ]
            )
    page, following = people.customer_page(
        store().reader(),
        sort=sort,
        acquired_via=asked.get("acquired_via"),
        start=asked.get("from"),
        end=asked.get("to"),
        after=tuple(after) if after else None,
        limit=asked.get("limit", 100),
    )
    for row in page:
        row["acquired_at"] = iso(row["acquired_at"])
    return reply(
        {
            "items": page,
            "next_cursor": following and encode_cursor([sort, *following]),
        }
    )


@blueprint.post("/customers")
@idempotent
def save_customer():
    """Create a customer, or update one by external id."""
    now = now_micros()
    # The time rules here give a clear 422 early; the store applies them again.
    customer = body(CustomerInput, event_rules(store().reader(), now))
    answer = {}

    def finish(db, saved: actions.SavedCustomer) -> None:
        status = 201 if saved.created else 200
        answer["reply"] = status, keep(db, status, customer_summary(saved.person))

    saved = actions.save_customer(
        store(), customer, source=current_token()["name"], now=now, within=finish
    )
    status, payload = answer["reply"]
    location = url_for("api.customer", external_id=saved.person["external_id"])
    return Response(payload, status, mimetype=JSON, headers={"Location": location})


@blueprint.get("/customers/<external_id>")
def customer(external_id: str):
    """The person, every figure about them, their referrer and all their touches."""
    arguments({})
    db = store().reader()
    found = queries.person(db, external_id)
    pid = found["id"]
    figures = analytics().person(pid) or {}
    credit = people.credit_of(db, pid)
    exponent = money_exponent(db)
    value = major(people.purchase_value(db, pid), exponent)
    shown = {name: figures.get(name) for name in PERSON_FIGURES}
    shown["referred_value"] = major(shown["referred_value"], exponent)
    return reply(
        {
            **customer_summary(found),
            "value": value,
            "credited_referrer": credit and credited_referrer(credit),
            "cascade_root": figures.get("cascade_root"),
            "figures": shown,
            "computed_at": figures.get("computed_at"),
            "links": [_link(link) for link in links.links_of(db, pid)],
            "touches": [
                touch
                | {"first_at": iso(touch["first_at"]), "last_at": iso(touch["last_at"])}
                for touch in people.touches_of(db, pid)
            ],
        }
    )


@blueprint.delete("/customers/<external_id>")
@idempotent
def erase_customer(external_id: str):
    """Erase a person: identity and free text go, aggregate figures stay."""
    arguments({})
    actions.erase_customer(store(), external_id, within=lambda db: keep(db, 204, None))
    return Response(status=204)


def _link(link: dict) -> dict:
    return link | {"created_at": iso(link["created_at"])}


@blueprint.get("/customers/<external_id>/links")
def customer_links(external_id: str):
    """The person's referral links with their counts."""
    arguments({})
    db = store().reader()
    pid = people.person_id(db, external_id)
    return reply({"items": [_link(link) for link in links.links_of(db, pid)]})


@blueprint.post("/customers/<external_id>/links")
@idempotent
def create_link(external_id: str):
    """Give the person a new referral link."""
    asked = body(LinkInput)
    answer = {}
    actions.create_link(
        store(),
        external_id,
        code=asked.code or None,
        channel=asked.channel or None,
        now=now_micros(),
        within=lambda db, link: answer.update(payload=keep(db, 201, _link(link))),
    )
    return Response(answer["payload"], 201, mimetype=JSON)
