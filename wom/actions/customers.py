"""Customers kept by an integrator or the owner: save, give a link, erase."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from ..contract import CustomerInput
from ..store import Store, erasure, links, people, queries

__all__ = ["SavedCustomer", "create_link", "erase_customer", "save_customer"]


@dataclass(frozen=True)
class SavedCustomer:
    """What ``save_customer`` did, and the person as stored after it."""

    person_id: int
    created: bool
    person: dict


def save_customer(
    store: Store,
    customer: CustomerInput,
    *,
    source: str,
    now: int,
    within: Callable[[Database, SavedCustomer], None] | None = None,
) -> SavedCustomer:
    """Create a customer, or update one by external id (``people.save_customer``)."""
    with store.write() as db:
        saved = people.save_customer(db, customer, source=source, now=now)
        found = SavedCustomer(
            saved.person_id, saved.created, queries.person(db, customer.id)
        )
        if within is not None:
            within(db, found)
    return found


def create_link(
    store: Store,
    external_id: str,
    *,
    code: str | None,
    channel: str | None,
    now: int,
    within: Callable[[Database, dict], None] | None = None,
) -> dict:
    """Give the person a new referral link; return it."""
    with store.write() as db:
        pid = people.person_id(db, external_id)
        link = links.create_link(db, pid, code=code, channel=channel, now=now)
        if within is not None:
            within(db, link)
    return link


def erase_customer(
    store: Store,
    external_id: str,
    *,
    within: Callable[[Database], None] | None = None,
) -> str:
    """Erase a person: identity and free text go, aggregate figures stay; return
    the random pseudonym their node now carries."""
    return erasure.erase(store, external_id, within=within)
