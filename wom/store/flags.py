"""Review flags: listing them, and storing what the graph-based fraud checks found."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable

from sqlite_utils import Database

__all__ = [
    "ANALYTICS_KINDS",
    "FLAG_KEY",
    "FLAG_KINDS",
    "flag_key",
    "replace_analytics_flags",
    "list_flags",
]

# Raised by wom.analytics.fraud in the background (attribution raises the others).
ANALYTICS_KINDS = ("ring", "reciprocal", "burst")
# Members named in a key; a longer list (a burst of many sign-ups) is named by its
# count and a digest, so that a key, a URL and a paging cursor stay short.
MEMBERS_IN_KEY = 64

#: What every flag key looks like: kind, customer, referrer and (for the graph's
#: findings) members.
FLAG_KEY = re.compile(
    r"[a-z_]{1,20}:[0-9]{0,19}:[0-9]{0,19}"
    rf"(:[0-9-]{{0,{MEMBERS_IN_KEY}}}|:[0-9]+m[0-9a-f]{{16}})?"
)
# Every kind: attribution's, the graph checks', and a flood of one visitor's
# clicks on one link (store/clicks.py).
FLAG_KINDS = ("self_referral", "held", *ANALYTICS_KINDS, "click_flood")


def flag_key(flag: dict) -> str:
    """A stable key for a flag: the same finding keeps the same key across runs.

    >>> flag_key({"kind": "ring", "members": [3, 4, 5]})
    'ring:::3-4-5'
    >>> flag_key({"kind": "burst", "referrer_id": 7, "members": range(100, 130)})
    'burst::7:30m80b6f96ab91f4ad2'
    """
    members = "-".join(str(m) for m in flag.get("members") or ())
    if len(members) > MEMBERS_IN_KEY:
        digest = hashlib.sha256(members.encode()).hexdigest()[:16]
        members = f"{len(flag['members'])}m{digest}"
    return (
        f"{flag['kind']}:{flag.get('customer_id') or ''}:"
        f"{flag.get('referrer_id') or ''}:{members}"
    )


def replace_analytics_flags(db: Database, flags: Iterable[dict], now: int) -> int:
    """Make the stored ring, reciprocal and burst flags match ``flags``.

    A finding seen before keeps its key and ``raised_at``; one no longer found is
    dropped. Call inside a write transaction; returns how many are stored.
    """
    rows = {flag_key(f): f for f in flags}
    marks = ",".join("?" * len(ANALYTICS_KINDS))
    stored = {
        row[0]
        for row in db.execute(
            f"SELECT key FROM flags WHERE kind IN ({marks})", ANALYTICS_KINDS
        )
    }
    gone = stored - set(rows)
    db.changes.flags_opened |= set(rows) - stored  # flag.opened webhooks
    db.conn.executemany("DELETE FROM flags WHERE key = ?", [(k,) for k in gone])
    db.conn.executemany(
        "INSERT OR IGNORE INTO flags(key, kind, customer_id, referrer_id, members, "
        "reason, raised_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                key,
                f["kind"],
                f.get("customer_id"),
                f.get("referrer_id"),
                json.dumps(list(f.get("members") or [])),
                f["reason"],
                now,
            )
            for key, f in rows.items()
            if key not in stored
        ],
    )
    return len(rows)


def list_flags(
    db: Database,
    *,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 100,
    after: str | None = None,
    keys: list[str] | None = None,
) -> list[dict]:
    """Flags with their review status (``open``, ``approved`` or ``voided``),
    ordered by key, ``limit`` at a time after the key ``after`` (only those of
    ``keys`` when given)."""
    rows = db.execute(
        """
        SELECT f.key, f.kind, c.external_id, r.external_id, f.members, f.reason,
               f.raised_at, coalesce(v.decision, d.decision, 'open')
        FROM flags f
        LEFT JOIN people c ON c.id = f.customer_id
        LEFT JOIN people r ON r.id = f.referrer_id
        LEFT JOIN reviews v ON v.customer_id = f.customer_id
                           AND v.referrer_id = f.referrer_id
        LEFT JOIN flag_reviews d ON d.key = f.key
        WHERE (:kind IS NULL OR f.kind = :kind)
          AND (:status IS NULL
               OR coalesce(v.decision, d.decision, 'open') = :status)
          AND (:after IS NULL OR f.key > :after)
          AND (:keys IS NULL OR f.key IN (SELECT value FROM json_each(:keys)))
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
    found = []
    for key, kind_, customer, referrer, members, reason, raised_at, decision in rows:
        ids = json.loads(members) if members else []
        names = (
            dict(
                db.execute(
                    f"SELECT id, external_id FROM people WHERE id IN "
                    f"({','.join('?' * len(ids))})",
                    ids,
                ).fetchall()
            )
            if ids
            else {}
        )
        found.append(
            {
                "id": key,
                "kind": kind_,
                "customer": customer,
                "referrer": referrer,
                "members": [names.get(i, str(i)) for i in ids],
                "reason": reason,
                "raised_at": raised_at,
                "status": decision,
            }
        )
    return found
