"""A small population for the Customers and Settings tests: a cascade under Ann
with purchases, two customers who share a name, and two "who told you" answers
that name nobody (one ambiguous, one unknown), plus a prospect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wom.store import ingest, now_micros
from wom.store.answers import record_answer
from wom.store.shares import person_id_of

__all__ = [
    "PEOPLE",
    "START",
    "load_people",
    "log_in",
    "signups",
    "unresolved_answer",
]

START = datetime(2026, 1, 1, tzinfo=UTC)

# (external id, name, email, referrer or None), in order of sign-up, a day apart.
PEOPLE = [
    ("ann", "Ann Lee", "ann@example.org", None),
    ("bob", "Bob Stone", "bob@example.org", "ann"),
    ("cat", "Cat Stone", "cat@example.org", "bob"),
    ("dan", "Dan Wu", "dan@example.org", "ann"),
    ("eve", "Eve Adams", "eve@example.org", None),
    ("sam-1", "Sam Park", "sam.one@example.org", None),
    ("sam-2", "Sam Park", "sam.two@example.org", None),
    ("fay", "Fay Ng", "fay@example.org", None),
    ("gus", "Gus Ho", "gus@example.org", None),
]
# (who answered, what they typed): neither names one customer.
ANSWERS = [("fay", "Sam Park"), ("gus", "my neighbour")]


def signups(people, start: datetime) -> list[dict]:
    """Events that sign ``people`` up a day apart: ``(external id, name, email,
    referrer or None)``, each referred one after a referral from their referrer."""
    events = []
    for n, (person, name, email, referrer) in enumerate(people):
        at = start + timedelta(days=n)
        if referrer:
            events.append(
                {"type": "referral", "from": referrer, "to": person, "at": at}
            )
        events.append(
            {
                "type": "signup",
                "customer": person,
                "name": name,
                "email": email,
                "at": at,
            }
        )
    return events


def load_people(store) -> None:
    """Sign everyone up, record purchases and a mention, keep the answers."""
    events = signups(PEOPLE, START)
    events += [
        {
            "type": "purchase",
            "customer": "ann",
            "value": 25,
            "at": START + timedelta(days=20),
        },
        {
            "type": "purchase",
            "customer": "bob",
            "value": 10,
            "at": START + timedelta(days=21),
        },
        {
            "type": "mention",
            "from": "eve",
            "to": "zed",
            "at": START + timedelta(days=22),
        },
    ]
    ingest(store, events, source="test")
    with store.write() as db:
        for person, text in ANSWERS:
            record_answer(db, person_id_of(db, person), text, None, now_micros())


def unresolved_answer(store, person: str) -> int:
    """The id of the person's unresolved answer."""
    return (
        store.reader()
        .execute(
            "SELECT a.id FROM answers a JOIN people p ON p.id = a.person_id "
            "WHERE p.external_id = ? AND a.resolved_id IS NULL",
            [person],
        )
        .fetchone()[0]
    )


def log_in(app, password_hash: str):
    """A test client of ``app`` logged in as a new owner (the conftest's)."""
    from tests.conftest import OWNER_EMAIL, logged_in
    from wom.store import accounts

    with app.extensions["wom.store"].write() as db:
        accounts.create_owner(db, OWNER_EMAIL, password_hash, now_micros())
    return logged_in(app)
