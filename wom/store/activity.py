"""What happened lately and within a period, for the dashboard's overview.

Every reader here is bounded: the latest rows come from the ``(type, at)``
index a type at a time, and a period's rows from the ``people_acquired`` index.
Times are microseconds; a period is half-open ``[start, end)``, ``None`` leaving
a side open.
"""

from __future__ import annotations

import heapq

from sqlite_utils import Database

__all__ = [
    "ACTIVITY_KINDS",
    "buyers_between",
    "channels_between",
    "latest_acquisition",
    "purchases_between",
    "recent_activity",
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
_FLAGS = """
    SELECT f.raised_at, f.kind, f.reason,
           r.external_id, ri.name, c.external_id, ci.name
    FROM flags f
    LEFT JOIN people r ON r.id = f.referrer_id
    LEFT JOIN identities ri ON ri.person_id = f.referrer_id
    LEFT JOIN people c ON c.id = f.customer_id
    LEFT JOIN identities ci ON ci.person_id = f.customer_id
    ORDER BY f.raised_at DESC, f.key
    LIMIT ?
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


def _between(column: str, start: int | None, end: int | None) -> tuple[str, list]:
    """A WHERE condition that ``column`` is in ``[start, end)``, and its
    parameters (``column`` is this module's own text, never a request's)."""
    where, params = [f"{column} IS NOT NULL"], []
    if start is not None:
        where.append(f"{column} >= ?")
        params.append(start)
    if end is not None:
        where.append(f"{column} < ?")
        params.append(end)
    return " AND ".join(where), params


def channels_between(db: Database, start: int | None, end: int | None) -> list[dict]:
    """The customers acquired in ``[start, end)`` with a credited referrer, by
    the kind and channel of the touch that earned the credit (a link's own
    channel for a sign-up through a link), the largest first.

    ``channel`` is ``None`` where the touch named none.
    """
    where, params = _between("p.acquired_at", start, end)
    rows = db.execute(
        f"""
        SELECT c.kind,
               CASE WHEN c.kind = 'link' THEN k.channel ELSE e.channel END AS named,
               count(*) AS customers
        FROM people p INDEXED BY people_acquired
        CROSS JOIN credits c ON c.customer_id = p.id
        CROSS JOIN events e ON e.seq = c.touch_seq
        LEFT JOIN links k ON k.id = e.link_id
        WHERE {where} AND c.status = 'credited'
        GROUP BY c.kind, named
        ORDER BY customers DESC, c.kind, named
        """,
        params,
    )
    return [
        {"kind": kind, "channel": channel, "customers": customers}
        for kind, channel, customers in rows
    ]


def purchases_between(db: Database, start: int | None, end: int | None) -> dict:
    """How many purchases were made in ``[start, end)``, and their value in
    minor units of the business's currency."""
    where, params = _between("at", start, end)
    count, value = db.execute(
        f"SELECT count(*), coalesce(sum(value), 0) FROM purchases WHERE {where}",
        params,
    ).fetchone()
    return {"count": count, "value": value}


def buyers_between(db: Database, start: int | None, end: int | None) -> int:
    """How many of the customers acquired in ``[start, end)`` have bought."""
    where, params = _between("p.acquired_at", start, end)
    return db.execute(
        f"""
        SELECT count(*) FROM people p INDEXED BY people_acquired
        WHERE {where} AND p.status = 'customer'
          AND EXISTS (SELECT 1 FROM purchases u WHERE u.person_id = p.id)
        """,
        params,
    ).fetchone()[0]


def latest_acquisition(db: Database) -> int | None:
    """When the latest customer was acquired (``None`` before the first)."""
    return db.execute("SELECT max(acquired_at) FROM people").fetchone()[0]
