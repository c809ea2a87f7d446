"""A sign-up from a landing page, as one write transaction.

It recognises the person by normalised email or makes a new one, records the
sign-up (the store derives the touch, the credit and any fraud flag from it),
turns a "who told you about us?" answer into a ``heard_from`` event when it names
a customer, keeps the answer as typed, and hands out the share-page secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from ..contract import check_objects, to_micros
from ..store import Store, new_external_id
from ..store.answers import record_answer, resolve_answer
from ..store.ingest import append_events
from ..store.settings import event_rules
from ..store.shares import (
    is_own_visitor,
    landing_link,
    person_by_email,
    person_id_of,
    share_secret,
)

__all__ = ["SignUp", "sign_up"]


@dataclass(frozen=True)
class SignUp:
    """What a sign-up did.

    ``share_secret`` is None when the email belongs to someone who was already a
    customer and this browser is not theirs: a typed email alone never opens
    somebody's share page.
    """

    person_id: int
    external_id: str
    new_customer: bool
    share_secret: str | None
    heard_from: str | None


@dataclass(frozen=True)
class _Recognised:
    """Who the form's email belongs to, as far as this browser may claim."""

    existing: dict | None
    was_customer: bool
    # The browser is the person's own (a consented cookie they used before).
    own_browser: bool

    @property
    def trusted(self) -> bool:
        """Whether this browser may act as the person: a new person, or their own
        browser. Otherwise someone typed a customer's email."""
        return not self.was_customer or self.own_browser


def _recognise(
    db: Database, email: str, link: dict | None, known_visitor: str | None
) -> _Recognised:
    existing = person_by_email(db, email)
    own_browser = bool(
        existing and known_visitor and is_own_visitor(db, existing["id"], known_visitor)
    )
    if existing and link and existing["id"] == link["owner_id"] and not own_browser:
        # The referrer's own email through the referrer's own link, from another
        # browser: a second account. Made as a new person, so that the store
        # voids the credit for good and flags it for review.
        existing = None
    was_customer = existing is not None and existing["status"] == "customer"
    return _Recognised(existing, was_customer, own_browser)


def _signup_event(
    db: Database,
    who: _Recognised,
    external_id: str,
    *,
    link: dict | None,
    name: str,
    email: str,
    visitor: str | None,
    browser_visitor: str | None,
    ip_hmac: str,
    now: datetime,
) -> dict:
    signup = {"type": "signup", "customer": external_id, "at": now}
    if link is not None:
        signup["link"] = link["code"]
    # When someone else types a customer's email, their browser and address are
    # not the customer's devices: kept, they would open the customer's share
    # page next time, and muddle the fraud checks.
    if who.trusted:
        signup["ip_hmac"] = ip_hmac
        if visitor is not None:
            signup["visitor"] = visitor
        elif (
            link is not None
            and browser_visitor is not None
            and is_own_visitor(db, link["owner_id"], browser_visitor)
        ):
            # The referrer's own browser (its consent withdrawn on this form).
            signup["visitor"] = browser_visitor
    if who.existing is None:
        signup |= {"name": name, "email": email}
    elif who.existing["name"] is None:
        # A prospect the owner knew by email only; an existing name is never
        # overwritten by whoever types that email.
        signup["name"] = name
    return signup


def sign_up(
    store: Store,
    *,
    name: str,
    email: str,
    code: str | None,
    visitor: str | None,
    known_visitor: str | None,
    browser_visitor: str | None = None,
    ip_hmac: str,
    answer: str | None,
    now: datetime,
) -> SignUp:
    """Sign a visitor up in one transaction.

    ``visitor`` goes on the event (only with consent); ``known_visitor`` is the
    consented cookie the browser already had, which may prove it is the
    customer's own. ``browser_visitor`` is that cookie whatever this form's
    consent: when it is the referrer's own, it goes on the event as evidence, so
    that the credit is held for review rather than dodged by unticking the box.
    """
    at = to_micros(now)
    reader = store.reader()
    rules = event_rules(reader, at)
    # Matching a name reads every identity: do it before taking the writer.
    named = resolve_answer(reader, answer) if answer else None
    with store.write() as db:
        link = landing_link(db, code) if code else None
        who = _recognise(db, email, link, known_visitor)
        external_id = who.existing["external_id"] if who.existing else new_external_id()
        events = [
            _signup_event(
                db,
                who,
                external_id,
                link=link,
                name=name,
                email=email,
                visitor=visitor,
                browser_visitor=browser_visitor,
                ip_hmac=ip_hmac,
                now=now,
            )
        ]
        told_by = named if named and named["external_id"] != external_id else None
        if told_by is not None:
            heard = {"type": "heard_from", "to": external_id, "at": now}
            events.append(heard | {"from": told_by["external_id"]})
        append_events(db, check_objects(events, rules), source="web", now=at)
        person_id = person_id_of(db, external_id)
        if answer:
            record_answer(db, person_id, answer, told_by and told_by["id"], at)
        secret = share_secret(db, person_id, at)[0] if who.trusted else None
    return SignUp(
        person_id=person_id,
        external_id=external_id,
        new_customer=not who.was_customer,
        share_secret=secret,
        heard_from=told_by["external_id"] if told_by else None,
    )
