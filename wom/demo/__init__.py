"""Deterministic demo data: believable word of mouth, with fraud planted in it.

The demo is shared by ``make run``, the tests and the benchmarks. It is pure:
no SQL, no Flask. The same arguments always give the same people and events.

How the story is made:

1. A population in communities of varied size (``network``): who could talk to whom.
2. An Independent Cascade over six months (``cascade``), from a few first
   customers and a growing trickle of organic ones.
3. The outcome told as events (``events``): link shares with preview-bot fetches
   and clicks, mentions the owner recorded, "who told you?" answers, imported
   referrals, sign-ups, and heavy-tailed purchases.
4. Fraud for the detectors (``fraud``): two referral rings, a reciprocal pair, and
   a self-referral burst with gmail variants of one address.

Events are held as numpy columns and read as dicts on demand (``records``), so a
million customers fit in well under a gigabyte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from .cascade import spread
from .events import Draft, conversations, devices, purchases
from .fraud import BURST_ACCOUNTS, MIN_CUSTOMERS, Plants, plant
from .names import emails_for, gmail_variants, pick_names
from .records import (
    BOT_USER_AGENTS,
    CLICK,
    EVENT_TYPES,
    LINK_ALPHABET,
    LINK_LENGTH,
    REFERRAL,
    EventLog,
    People,
)

__all__ = [
    "BOT_USER_AGENTS",
    "DEFAULT_END",
    "DEFAULT_START",
    "LINK_ALPHABET",
    "Demo",
    "generate",
]

DEFAULT_END = datetime(2026, 5, 1, tzinfo=UTC)
DEFAULT_START = datetime(2025, 11, 1, tzinfo=UTC)
PROSPECT_EMAIL = 0.35  # the owner knows a prospect's email
# Share of the work done after each step, measured at a million customers.
_PROGRESS = (0.5, 0.55, 0.58, 0.68, 0.72, 0.98, 1.0)


@dataclass(frozen=True)
class Demo:
    """People and events of one demo, and the fraud planted in it.

    ``people`` and ``events`` are read-only sequences of plain dicts (see
    ``generate``). ``planted`` names, by external id, the fraud the detectors
    should flag: ``rings`` (lists in cycle order: each referred the next, the
    last referred the first), ``reciprocal`` (``[a, b]``: a referred b and b
    referred a) and ``burst`` (``referrer``, its ``accounts``, and the
    ``first_at`` and ``last_at`` of their sign-ups). It is empty below
    200 customers.
    """

    people: People
    events: EventLog
    start: datetime
    end: datetime
    planted: dict = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """How many events of each type.

        >>> generate(0).counts()["signup"]
        0
        """
        found = np.bincount(self.events.kind, minlength=len(EVENT_TYPES))
        return dict(zip(EVENT_TYPES, found.tolist(), strict=True))


def _link_codes(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` distinct link-code numbers, in random order."""
    space = len(LINK_ALPHABET) ** LINK_LENGTH
    codes = rng.integers(0, space, count)
    while True:
        order = np.argsort(codes, kind="stable")
        repeated = np.zeros(count, dtype=bool)
        repeated[order[1:]] = codes[order[1:]] == codes[order[:-1]]
        if not repeated.any():
            return codes
        codes[repeated] = rng.integers(0, space, int(repeated.sum()))


def _first_seen(columns: dict[str, np.ndarray]) -> np.ndarray:
    """People in the order the (time-sorted) events first name them."""
    kind = columns["kind"]
    named = np.flatnonzero(kind != CLICK)
    told = np.flatnonzero(kind <= REFERRAL)
    position = np.concatenate([named, told])
    person = np.concatenate([columns["actor"][named], columns["listener"][told]])
    person = person[np.argsort(position, kind="stable")]
    # A stable sort by person keeps each person's first appearance first.
    by_person = np.argsort(person, kind="stable")
    sorted_people = person[by_person]
    new = np.ones(len(person), dtype=bool)
    new[1:] = sorted_people[1:] != sorted_people[:-1]
    firsts = by_person[new]
    return person[np.sort(firsts)]


def generate(
    customers: int,
    seed: int = 0,
    start: datetime | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> Demo:
    """A deterministic demo with exactly ``customers`` customers over six months.

    Parameters
    ----------
    customers : int
        How many customers (people who sign up, buy, or are named in a referral).
        Prospects (mentioned, never converted) come on top.
    seed : int
        The same seed gives the same demo; another seed another one.
    start : datetime, optional
        Timezone-aware start of the period (default ``DEFAULT_START``, six months
        before ``DEFAULT_END``, so the demo does not depend on today's date).
        Every event lies in the 181 days after it.
    progress : callable, optional
        Called as ``progress(done, total)`` after each step of the generation, in
        units of customers: ``total`` is ``customers``, and ``done`` reaches it at
        the end.

    Returns
    -------
    Demo
        ``people`` are dicts ``{"external_id", "name", "email", "link_code"}``;
        customers have a link code, prospects ``None``. ``events`` are dicts in
        the API contract's shape, sorted by ``at`` (aware UTC datetimes), with
        unique ``event_id``\\ s ``demo-<n>``.

    Examples
    --------
    >>> demo = generate(30, seed=1)
    >>> sum(1 for person in demo.people if person["link_code"])
    30
    >>> times = [event["at"] for event in demo.events]
    >>> times == sorted(times) and demo.start <= times[0] and times[-1] <= demo.end
    True
    >>> demo == generate(30, seed=1), demo == generate(30, seed=2)
    (True, False)
    """
    if customers < 0:
        raise ValueError(f"customers must be 0 or more, not {customers}")
    start = DEFAULT_START if start is None else start
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware, e.g. datetime(..., tzinfo=UTC)")
    start = start.astimezone(UTC)
    end = start + (DEFAULT_END - DEFAULT_START)
    horizon = (end - start).total_seconds()

    def report(step: int) -> None:
        if progress is not None:
            progress(round(customers * _PROGRESS[step - 1]), customers)

    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7)]
    fraud = customers >= MIN_CUSTOMERS
    converting = customers - (BURST_ACCOUNTS if fraud else 0)

    result = spread(streams[0], converting, horizon)
    report(1)
    device = devices(streams[1], result.people)
    draft = Draft()
    conversations(streams[2], result, device, horizon, draft)
    report(2)
    converted = np.flatnonzero(np.isfinite(result.converted_at))
    purchases(streams[3], converted, result.converted_at, horizon, draft)
    report(3)
    plants = plant(streams[4], result, device, horizon, draft) if fraud else Plants()
    columns = draft.columns()
    order = np.argsort(columns["at"], kind="stable")
    columns = {name: column[order] for name, column in columns.items()}
    report(4)

    population = result.people + len(plants.accounts)
    members = _first_seen(columns)
    rank = np.full(population, -1, dtype=np.int32)
    rank[members] = np.arange(len(members), dtype=np.int32)
    for name in ("actor", "listener", "link"):
        column = columns[name]
        columns[name] = np.where(column >= 0, rank[np.maximum(column, 0)], -1)
    report(5)

    rng = streams[5]
    # Burst accounts are the fraudster under other addresses: same name.
    as_named = np.where(members >= result.people, plants.fraudster, members)
    first, last = pick_names(rng, result.culture[as_named])
    is_customer = np.zeros(population, dtype=bool)
    is_customer[converted] = True
    is_customer[plants.accounts] = True
    customer = is_customer[members]
    account = members >= result.people
    has_email = (customer | (rng.random(len(members)) < PROSPECT_EMAIL)) & ~account
    gmail = np.zeros(len(members), dtype=bool)
    if fraud:
        gmail[rank[plants.fraudster]] = True
    emails = emails_for(rng, first, last, has_email, gmail)
    if fraud:
        fraudster_email = emails[rank[plants.fraudster]]
        for person, email in zip(
            rank[plants.accounts].tolist(),
            gmail_variants(fraudster_email, BURST_ACCOUNTS, rng),
            strict=True,
        ):
            emails[person] = email
    codes = np.full(len(members), -1, dtype=np.int64)
    codes[customer] = _link_codes(streams[6], int(customer.sum()))
    report(6)

    people = People(first, last, emails, codes)
    events = EventLog(
        start,
        people,
        kind=columns["kind"],
        at=columns["at"],
        actor=columns["actor"],
        listener=columns["listener"],
        link=columns["link"],
        visitor=columns["visitor"],
        ip=columns["ip"],
        agent=columns["agent"],
        channel=columns["channel"],
        cents=columns["cents"],
    )
    planted = _describe(plants, rank, people, start) if fraud else {}
    report(7)
    return Demo(people=people, events=events, start=start, end=end, planted=planted)


def _describe(
    plants: Plants, rank: np.ndarray, people: People, start: datetime
) -> dict:
    def name(person: int) -> str:
        return people.external_id(int(rank[person]))

    first_at, last_at = (start + timedelta(seconds=int(t)) for t in plants.burst)
    return {
        "rings": [[name(person) for person in ring] for ring in plants.rings],
        "reciprocal": [name(person) for person in plants.reciprocal],
        "burst": {
            "referrer": name(plants.fraudster),
            "accounts": [name(person) for person in plants.accounts],
            "first_at": first_at,
            "last_at": last_at,
        },
    }
