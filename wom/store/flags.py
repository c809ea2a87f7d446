"""Review flags: listing them with the credits they name and their status.

A flag names a set of credits ``(customer, referrer)`` when it is raised
(``flag_credits``) and keeps the owner's decision (``status``): ``open``,
``approved`` or ``voided``. Attribution raises ``self_referral`` and ``held``
flags (``credits.py``); the graph checks raise the others (``findings.py``).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict

from sqlite_utils import Database

__all__ = [
    "ANALYTICS_KINDS",
    "FLAG_KEY",
    "FLAG_KINDS",
    "STATUSES",
    "count_flags",
    "flag_credits",
    "flags_naming",
    "list_flags",
    "people_labels",
]

# Raised by wom.analytics.fraud in the background (attribution raises the others).
ANALYTICS_KINDS = ("ring", "reciprocal", "burst")
# Every kind: attribution's, the graph checks', and a flood of one visitor's
# clicks on one link (store/clicks.py).
FLAG_KINDS = ("self_referral", "held", *ANALYTICS_KINDS, "click_flood")
STATUSES = ("open", "approved", "voided")
# Members named in a key (flags raised before findings were named, and click
# floods); a longer list is named by its count and a digest.
MEMBERS_IN_KEY = 64

#: What every flag key looks like: kind, customer and referrer (each when the
#: flag has one), then a serial (findings.py), a click flood's link and visitor,
#: or an older flag's members.
FLAG_KEY = re.compile(
    r"[a-z_]{1,20}:[0-9]{0,19}:[0-9]{0,19}"
    rf"(:[0-9-]{{0,{MEMBERS_IN_KEY}}}|:[0-9]+m[0-9a-f]{{16}})?"
)


def list_flags(
    db: Database,
    *,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 100,
    after: str | None = None,
    keys: list[str] | None = None,
) -> list[dict]:
    """Flags with their status, ordered by key, ``limit`` at a time after the key
    ``after`` (only those of ``keys`` when given); each names its ``members`` and
    ``credits`` by external id."""
    # Only fixed fragments are pasted; every value is a parameter. Without the
    # "IS NULL OR" form the planner can walk (kind, status, key) or (status, key).
    where = ["1"]
    if kind is not None:
        where.append("f.kind = :kind")
    if status is not None:
        where.append("f.status = :status")
    if after is not None:
        where.append("f.key > :after")
    if keys is not None:
        where.append("f.key IN (SELECT value FROM json_each(:keys))")
    rows = db.execute(
        f"""
        SELECT f.key, f.kind, c.external_id, r.external_id, f.members, f.reason,
               f.raised_at, f.status, f.decided_at
        FROM flags f
        LEFT JOIN people c ON c.id = f.customer_id
        LEFT JOIN people r ON r.id = f.referrer_id
        WHERE {" AND ".join(where)}
        ORDER BY f.key LIMIT :limit
        """,
        {
            "kind": kind,
            "status": status,
            "after": after,
            "limit": limit,
            "keys": None if keys is None else json.dumps(keys),
        },
    ).fetchall()
    members = {row[0]: json.loads(row[4]) if row[4] else [] for row in rows}
    labels = people_labels(db, {m for ids in members.values() for m in ids})
    credits = flag_credits(db, [row[0] for row in rows])
    found = []
    for key, kind_, customer, referrer, _, reason, raised, status_, decided in rows:
        found.append(
            {
                "id": key,
                "kind": kind_,
                "customer": customer,
                "referrer": referrer,
                "members": [
                    labels[m]["external_id"] if m in labels else str(m)
                    for m in members[key]
                ],
                "credits": [
                    {
                        "customer": labels_of["customer"]["external_id"],
                        "referrer": labels_of["referrer"]["external_id"],
                    }
                    for labels_of in credits.get(key, [])
                ],
                "reason": reason,
                "raised_at": raised,
                "status": status_,
                "decided_at": decided,
            }
        )
    return found


def flag_credits(db: Database, keys: list[str]) -> dict[str, list[dict]]:
    """The credits each flag names: ``{key: [{customer, referrer}]}``, each side
    ``{id, external_id, name}``, in customer order."""
    if not keys:
        return {}
    rows = db.execute(
        f"SELECT flag_key, customer_id, referrer_id FROM flag_credits "
        f"WHERE flag_key IN ({','.join('?' * len(keys))}) "
        f"ORDER BY flag_key, customer_id, referrer_id",
        keys,
    ).fetchall()
    labels = people_labels(db, {pid for _, c, r in rows for pid in (c, r)})
    found: dict[str, list[dict]] = defaultdict(list)
    for key, customer, referrer in rows:
        found[key].append({"customer": labels[customer], "referrer": labels[referrer]})
    return dict(found)


def people_labels(db: Database, ids) -> dict[int, dict]:
    """``{id: {id, external_id, name}}`` for the given person ids (name may be
    None: erased, or never given)."""
    ids = sorted(ids)
    if not ids:
        return {}
    return {
        pid: {"id": pid, "external_id": external_id, "name": name}
        for pid, external_id, name in db.execute(
            f"SELECT p.id, p.external_id, i.name FROM people p "
            f"LEFT JOIN identities i ON i.person_id = p.id "
            f"WHERE p.id IN ({','.join('?' * len(ids))})",
            ids,
        )
    }


def count_flags(db: Database) -> dict[str, dict[str, int]]:
    """How many flags of each kind are in each status: ``{kind: {status: n}}``."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for kind, status, n in db.execute(
        "SELECT kind, status, count(*) FROM flags GROUP BY kind, status"
    ):
        counts[kind][status] = n
    return dict(counts)


def flags_naming(db: Database, pid: int) -> list[dict]:
    """The flags that name a credit of ``pid`` (as customer or as referrer):
    ``{id, kind, reason, status}``, newest first."""
    return [
        dict(zip(("id", "kind", "reason", "status"), row, strict=True))
        for row in db.execute(
            """
            SELECT f.key, f.kind, f.reason, f.status FROM flags f
            WHERE f.key IN (
                SELECT flag_key FROM flag_credits WHERE customer_id = :pid
                UNION SELECT flag_key FROM flag_credits WHERE referrer_id = :pid
            )
            ORDER BY f.raised_at DESC, f.key
            """,
            {"pid": pid},
        )
    ]
