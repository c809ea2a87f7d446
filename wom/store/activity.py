"""What happened lately, and the appended rows a period's figures count, for
the dashboard's overview.

The latest rows come from the ``(type, at)`` index a type at a time; the
purchases and touches are counted by quarter hour past the last ``seq`` their
reader saw, so a reader that keeps the counts reads each row once. Times are
microseconds.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

from sqlite_utils import Database

from .changes import TOUCH_TYPES

__all__ = [
    "ACTIVITY_KINDS",
    "QUARTER_HOUR_US",
    "latest_acquisition",
    "purchase_counts_after",
    "recent_activity",
    "touch_counts_after",
]

#: What the recent activity lists: the events that are news, and raised flags.
ACTIVITY_KINDS = ("signup", "referral", "mention", "heard_from", "purchase", "flag")

# For each event: who acted (the talker, or the customer who signed up or
# bought) and who with (the listener, or the link's owner for a sign-up).
_EVENTS = """
    SELECT e.seq, e.type, e.at, e.value, e.currency,
           coalesce(e.channel, k.channel),
           t.external_id, ti.name, s.external_id, si.name
    FROM events e INDEXED BY events_type_at
    LEFT JOIN people t ON t.id = e.talker_id
    LEFT JOIN identities ti ON ti.person_id = e.talker_id
    LEFT JOIN people s ON s.id = e.listener_id
    LEFT JOIN identities si ON si.person_id = e.listener_id
    LEFT JOIN links k ON k.id = e.link_id
    WHERE e.type = ?
    ORDER BY e.at DESC, e.seq DESC
    LIMIT ?
"""
# The latest flags first, then their people: a join before the LIMIT would
# look up everyone flagged.
_FLAGS = """
    SELECT f.raised_at, f.kind, f.reason,
           r.external_id, ri.name, c.external_id, ci.name
    FROM (SELECT * FROM flags ORDER BY raised_at DESC, key LIMIT ?) f
    LEFT JOIN people r ON r.id = f.referrer_id
    LEFT JOIN identities ri ON ri.person_id = f.referrer_id
    LEFT JOIN people c ON c.id = f.customer_id
    LEFT JOIN identities ci ON ci.person_id = f.customer_id
    ORDER BY f.raised_at DESC, f.key
"""


def _person(external_id: str | None, name: str | None) -> dict | None:
    return None if external_id is None else {"id": external_id, "name": name}


def _event_row(row: tuple) -> dict:
    seq, kind, at, value, currency, channel, talker, t_name, listener, l_name = row
    talker, listener = _person(talker, t_name), _person(listener, l_name)
    if kind in ("signup", "purchase"):
        # The customer did it; a sign-up through a link names the link's owner.
        who, whom = listener, talker if kind == "signup" else None
    else:
        who, whom = talker, listener
    return {
        "kind": kind,
        "at": at,
        "who": who,
        "whom": whom,
        "channel": channel if kind != "purchase" else None,
        "value": value if kind == "purchase" else None,
        "currency": currency if kind == "purchase" else None,
        "reason": None,
        "_order": (at, seq),
    }


def _flag_row(row: tuple) -> dict:
    at, kind, reason, referrer, r_name, customer, c_name = row
    return {
        "kind": "flag",
        "at": at,
        "who": _person(referrer, r_name),
        "whom": _person(customer, c_name),
        "channel": None,
        "value": None,
        "currency": None,
        "reason": f"{kind}: {reason}",
        "_order": (at, -1),
    }


def recent_activity(db: Database, limit: int = 20) -> list[dict]:
    """The latest ``limit`` sign-ups, referrals, mentions, "who told you"
    answers, purchases and raised flags, newest first, with the people's
    external ids and names (``who`` did it, ``whom`` with or to).

    A sign-up's ``whom`` is the owner of the link it came through; a flag's
    ``who`` is the referrer it is about and ``whom`` the customer. Clicks are
    left out: the funnel counts them.
    """
    rows = []
    for kind in ACTIVITY_KINDS[:-1]:
        rows.extend(_event_row(row) for row in db.execute(_EVENTS, [kind, limit]))
    rows.extend(_flag_row(row) for row in db.execute(_FLAGS, [limit]))
    latest = heapq.nlargest(limit, rows, key=lambda row: row["_order"])
    for row in latest:
        del row["_order"]
    return latest


#: The grain of the counts below: every time zone's midnight falls on a
#: quarter hour, so these counts add up exactly to any run of local days.
QUARTER_HOUR_US = 900_000_000


def purchase_counts_after(db: Database, seq: int) -> Iterator[tuple]:
    """The purchases after the event ``seq``, by quarter hour: ``(last seq,
    quarter hour since 1970, count, value in minor units)``. Purchases are
    derived one per event and kept through erasure, so the table only grows at
    its end and ``seq`` reads it once."""
    return db.execute(
        f"""
        SELECT max(seq), at / {QUARTER_HOUR_US}, count(*), sum(value)
        FROM purchases WHERE seq > ? GROUP BY 2
        """,
        [seq],
    )


def touch_counts_after(db: Database, seq: int) -> Iterator[tuple]:
    """The touches in the log after ``seq``, by quarter hour, kind and channel:
    ``(last seq, quarter hour since 1970, kind, channel, count)``. Mentions,
    "who told you" answers and referrals carry their own channel; a sign-up
    through someone's link is kind ``link`` with the link's channel; ``None``
    where none was named. The ``seq`` range leads (``+type`` keeps the type
    index out), so a reader that is caught up reads only the log's tail."""
    return db.execute(
        f"""
        SELECT max(e.seq), e.at / {QUARTER_HOUR_US},
               CASE e.type WHEN 'signup' THEN 'link' ELSE e.type END,
               CASE e.type WHEN 'signup' THEN k.channel ELSE e.channel END,
               count(*)
        FROM events e LEFT JOIN links k ON k.id = e.link_id
        WHERE e.seq > ? AND +e.type IN {TOUCH_TYPES} AND e.talker_id IS NOT NULL
        GROUP BY 2, 3, 4
        """,
        [seq],
    )


def latest_acquisition(db: Database) -> int | None:
    """When the latest customer was acquired (``None`` before the first)."""
    return db.execute("SELECT max(acquired_at) FROM people").fetchone()[0]
