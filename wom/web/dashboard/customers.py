"""Customers, /dashboard/customers: a searchable, sortable, paged table with
each customer's figures, and the "who told you" answers that name nobody yet.

Sorting by acquisition or id pages in SQL (``people.customer_page``); sorting
by a figure pages over the analytics service's arrays
(``wom.service.customers``); a search is a few index ranges, at most
``SEARCH_LIMIT`` customers, ordered here. Every path pages with a checked cursor.
"""

from __future__ import annotations

from flask import request, url_for

from ...contract import currency_exponent, iso, major
from ...service.customers import FIGURE_SORTS, figure_page, figures_of
from ...store import people
from ...store.answers import unresolved_answers
from ...store.customer_rows import (
    SEARCH_LIMIT,
    customer_rows,
    search_customers,
    unresolved_count,
)
from ...store.settings import read_settings
from .. import analytics, store
from . import page, show
from .paging import bad_parameter, cursor_of, encode_cursor, number

__all__ = ["SORTS", "customers", "customers_data"]

# ?sort= -> what orders the table; "-" is descending. Each pages in its own way.
SORTS = {
    "-acquired_at": "newest first",
    "acquired_at": "oldest first",
    "-reach": "most reach",
    "reach": "least reach",
    "-direct_referrals": "most direct referrals",
    "direct_referrals": "fewest direct referrals",
    "-value": "most value",
    "value": "least value",
    "id": "id, A to Z",
    "-id": "id, Z to A",
}
DEFAULT_SORT = "-acquired_at"
LIMIT_MAX = 200
ANSWERS_SHOWN = 20


def _asked() -> tuple[str, str, int]:
    sort = request.args.get("sort", DEFAULT_SORT)
    if sort not in SORTS:
        raise bad_parameter("sort", f"give one of {', '.join(SORTS)}")
    limit = request.args.get("limit", "50")
    if not (
        limit.isascii()
        and limit.isdigit()
        and len(limit) < 4
        and 1 <= int(limit) <= LIMIT_MAX
    ):
        raise bad_parameter("limit", f"give a whole number from 1 to {LIMIT_MAX}")
    q = request.args.get("q", "").strip()
    if len(q) > 200:
        raise bad_parameter("q", "search with at most 200 characters")
    return sort, q, int(limit)


def _valid_value(sort: str):
    column = sort.lstrip("-")
    if column == "id":
        return lambda value: type(value) is str and len(value) <= 128
    if column == "acquired_at":
        return lambda value: value is None or (type(value) is int and number(value))
    return number


def _searched(db, service, q: str, sort: str, after, limit: int):
    """A page of the customers matching ``q``, ordered here (at most
    SEARCH_LIMIT of them): ``(pids, next key, more matched than were read)``."""
    found, truncated = search_customers(db, q)
    rows = customer_rows(db, found)
    column, descending = sort.lstrip("-"), sort.startswith("-")
    if column in FIGURE_SORTS:
        with service.held() as (_, _, state):
            figures = figures_of(state, found)
        value = {pid: figures.get(pid, {}).get(column, 0) for pid in rows}
    else:
        value = {pid: rows[pid][column] for pid in rows}
    # acquired_at is never None for a customer; 0 keeps the order total anyway.
    keyed = sorted(((value[pid] or 0, pid) for pid in rows), reverse=descending)
    if after is not None:
        mark = (after[0] or 0, after[1])
        keyed = [k for k in keyed if (k < mark if descending else k > mark)]
    following = keyed[limit - 1] if len(keyed) > limit else None
    return [pid for _, pid in keyed[:limit]], following, truncated


def _ordered(db, service, sort: str, after, limit: int):
    """A page of every customer: ``(pids, next key)``."""
    column, descending = sort.lstrip("-"), sort.startswith("-")
    if column in FIGURE_SORTS:
        with service.held() as (_, _, state):
            rows, following = figure_page(
                state, column, descending=descending, after=after, limit=limit
            )
        return [pid for pid, _ in rows], following
    found, following = people.customer_page(
        db, sort=sort, after=after, limit=limit, person_ids=True
    )
    return [row["person_id"] for row in found], following


def _row(row: dict, figures: dict, exponent: int) -> dict:
    return {
        "id": row["id"],
        "name": row["name"],
        "email": row["email"],
        "acquired_at": iso(row["acquired_at"]),
        "acquired_via": row["acquired_via"],
        "referrer": row["referrer"],
        "credit_status": row["credit_status"],
        "reach": figures.get("reach", 0),
        "direct_referrals": figures.get("direct_referrals", 0),
        "value": major(figures.get("value", 0.0), exponent),
    }


def _answers(db) -> dict:
    after = request.args.get("answers_after", "0")
    if not (after.isascii() and after.isdigit() and len(after) <= 18):
        raise bad_parameter("answers_after", "give the next answers' link unchanged")
    items = unresolved_answers(db, limit=ANSWERS_SHOWN + 1, after=int(after))
    names = people.names_of(db, [a["external_id"] for a in items])
    shown = [
        {
            "id": a["id"],
            "customer": a["external_id"],
            "name": names.get(a["external_id"]),
            "text": a["text"],
            "created_at": iso(a["created_at"]),
        }
        for a in items[:ANSWERS_SHOWN]
    ]
    return {
        "count": unresolved_count(db),
        "items": shown,
        "next_after": shown[-1]["id"] if len(items) > ANSWERS_SHOWN else None,
    }


def customers_data() -> dict:
    """What the Customers page shows; the page and its twin render this dict."""
    sort, q, limit = _asked()
    after = cursor_of(sort, _valid_value(sort))
    db = store().reader()
    service = analytics()
    truncated = False
    if q:
        pids, following, truncated = _searched(db, service, q, sort, after, limit)
    else:
        pids, following = _ordered(db, service, sort, after, limit)
    rows = customer_rows(db, pids)
    with service.held() as (_, _, state):
        figures = figures_of(state, pids)
        total = len(state)
    currency = read_settings(db)["currency"]
    exponent = currency_exponent(currency)
    return {
        "q": q,
        "sort": sort,
        "sorts": SORTS,
        "limit": limit,
        "customers": total,
        "currency": currency,
        "money_decimals": exponent,
        "items": [_row(rows[pid], figures.get(pid, {}), exponent) for pid in pids],
        "next_cursor": following and encode_cursor(sort, following),
        "search_truncated": truncated,
        "search_limit": SEARCH_LIMIT,
        "unresolved_answers": _answers(db),
        "exports": {
            "people_csv": url_for("dashboard.export_people"),
            "graph_gexf": url_for("dashboard.export_graph", kind="gexf"),
            "graph_graphml": url_for("dashboard.export_graph", kind="graphml"),
        },
    }


@page("/dashboard/customers", nav="Customers", order=40)
def customers():
    """Every customer, searched, sorted and paged, with their figures."""
    return show("dashboard/customers.html", customers_data())
