"""The graph checks' findings, kept as review flags across background runs.

Each background run lists what the fraud checks find now (``wom.analytics.fraud``):
rings, reciprocal pairs and bursts, each with a ``finding`` that names it however
its members grow, and the credits along it. A flag names the credits it was
raised for, and keeps the owner's decision on them, so:

- the same finding seen again raises nothing: its flags, decided or not, stay;
- a finding that now names credits no flag of it names yet (a new member of a
  burst, a new credit along a ring) raises one more flag, for those credits only;
- an open flag whose finding is no longer seen goes; a decided one never does.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

from sqlite_utils import Database

from .flags import ANALYTICS_KINDS

__all__ = ["record_findings"]


def _legacy(flag: dict) -> dict:
    """A flag in the older shape (``customer_id``, ``referrer_id``, ``members``)
    as a finding: a referrer's members name their credits to that referrer."""
    if "finding" in flag:
        return flag
    customer, referrer = flag.get("customer_id"), flag.get("referrer_id")
    members = list(flag.get("members") or ())
    if customer is not None and referrer is not None:
        credits = [[customer, referrer]]
    elif referrer is not None:
        credits = [[m, referrer] for m in members]
    else:
        credits = []
    name = "-".join(str(m) for m in members)
    finding = f"{flag['kind']}:{customer or ''}:{referrer or ''}:{name}"
    return flag | {"finding": finding, "credits": credits, "members": members}


def _key(kind: str, credits: set[tuple[int, int]], serial: int) -> tuple:
    """The new flag's key and its single customer and common referrer (or None)."""
    customers = {c for c, _ in credits}
    referrers = {r for _, r in credits}
    customer = next(iter(customers)) if len(customers) == 1 else None
    referrer = next(iter(referrers)) if len(referrers) == 1 else None
    return f"{kind}:{customer or ''}:{referrer or ''}:{serial}", customer, referrer


def record_findings(
    db: Database, findings: Iterable[dict], now: int, kinds=ANALYTICS_KINDS
) -> dict:
    """Raise, keep or drop the flags of ``kinds`` so that they follow ``findings``.

    Call inside a write transaction. Returns how many flags were ``raised`` and
    ``dropped``. Keys are ``kind:customer:referrer:serial`` (customer and referrer
    when the flag names one of each), a serial above every flag's rowid.
    """
    marks = ",".join("?" * len(kinds))
    stored: dict[str, list[tuple[str, str]]] = defaultdict(list)
    keys = set()
    for key, finding, status in db.execute(
        f"SELECT key, finding, status FROM flags WHERE kind IN ({marks})", kinds
    ):
        stored[finding].append((key, status))
        keys.add(key)
    named: dict[str, set] = defaultdict(set)
    for finding, customer, referrer in db.execute(
        f"SELECT f.finding, c.customer_id, c.referrer_id FROM flags f "
        f"JOIN flag_credits c ON c.flag_key = f.key WHERE f.kind IN ({marks})",
        kinds,
    ):
        named[finding].add((customer, referrer))
    serial = db.execute("SELECT coalesce(max(rowid), 0) FROM flags").fetchone()[0]
    seen, flags, credits = set(), [], []
    for found in map(_legacy, findings):
        finding = found["finding"]
        if finding in seen:
            continue
        seen.add(finding)
        new = {(c, r) for c, r in found["credits"]} - named[finding]
        if finding in stored and not new:
            continue
        serial += 1
        key, customer, referrer = _key(found["kind"], new, serial)
        while key in keys:
            serial += 1
            key, customer, referrer = _key(found["kind"], new, serial)
        keys.add(key)
        flags.append(
            (
                key,
                found["kind"],
                finding,
                customer,
                referrer,
                json.dumps(list(found["members"])),
                found["reason"],
                now,
            )
        )
        credits += [(key, c, r) for c, r in sorted(new)]
    gone = [
        (key,)
        for finding, rows in stored.items()
        if finding not in seen
        for key, status in rows
        if status == "open"
    ]
    db.conn.executemany("DELETE FROM flags WHERE key = ?", gone)
    db.changes.flags_opened |= {row[0] for row in flags}  # flag.opened webhooks
    db.conn.executemany(
        "INSERT INTO flags(key, kind, finding, customer_id, referrer_id, members, "
        "reason, raised_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        flags,
    )
    db.conn.executemany(
        "INSERT INTO flag_credits(flag_key, customer_id, referrer_id) VALUES (?, ?, ?)",
        credits,
    )
    return {"raised": len(flags), "dropped": len(gone)}
