"""Every touch that attribution weighs, as columns: what the background process
reads to derive the credits of both rules at once (``attribution.credits_by_rule``).

The tables are read whole, each in one scan, and joined with arrays: at a
million customers a join per touch in SQL (people, identities, devices and
reviews looked up for each of a million touches) costs several times as long.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from sqlite_utils import Database

from .changes import TOUCH_TYPES
from .queries import _columns

__all__ = ["attribution_touches"]

_INT = np.int64


def attribution_touches(db: Database) -> dict:
    """Each touch to a customer from a customer, with what ``credit_for`` needs
    about it, as ``credits.py`` reads it: ``listener``, ``talker``, ``at``,
    ``seq``, both sides' conversion (``listener_at``, ``listener_order``,
    ``talker_at``, ``talker_order``), ``same_email``, ``same_device`` (bool) and
    ``review`` (0 none, 1 approved, 2 voided). Call inside one read transaction."""
    # One pass in table order: through the touches' index, each row would cost
    # a lookup of the table beside it (twice the time at a million).
    listener, talker, at, seq = _columns(
        db.execute(
            f"SELECT listener_id, talker_id, at, seq FROM events NOT INDEXED "
            f"WHERE talker_id IS NOT NULL AND +type IN {TOUCH_TYPES}"
        ),
        (_INT,) * 4,
    )
    ids, customer, acquired_at, acquired_order = _columns(
        db.execute(
            "SELECT id, status = 'customer', coalesce(acquired_at, 0), "
            "coalesce(acquired_order, 0) FROM people ORDER BY id"
        ),
        (_INT, np.bool_, _INT, _INT),
    )
    lp, tp = np.searchsorted(ids, listener), np.searchsorted(ids, talker)
    keep = np.flatnonzero(customer[lp] & customer[tp])
    lp, tp = lp[keep], tp[keep]
    email = _email_codes(db, ids)
    return {
        "listener": listener[keep],
        "talker": talker[keep],
        "at": at[keep],
        "seq": seq[keep],
        "listener_at": acquired_at[lp],
        "listener_order": acquired_order[lp],
        "talker_at": acquired_at[tp],
        "talker_order": acquired_order[tp],
        "same_email": (email[lp] == email[tp]) & (email[lp] >= 0),
        "same_device": _same_device(db, listener[keep], talker[keep]),
        "review": _reviews(db, listener[keep], talker[keep]),
    }


def _email_codes(db: Database, ids: np.ndarray) -> np.ndarray:
    """A number per normalised email at each person's position (-1: none)."""
    codes: dict = {}
    found = np.full(len(ids), -1, _INT)
    rows = db.execute(
        "SELECT person_id, email_normalised FROM identities "
        "WHERE email_normalised IS NOT NULL"
    ).fetchall()
    if rows:
        person = np.fromiter((p for p, _ in rows), _INT, len(rows))
        code = np.fromiter(
            (codes.setdefault(e, len(codes)) for _, e in rows), _INT, len(rows)
        )
        found[np.searchsorted(ids, person)] = code
    return found


def _same_device(db: Database, listener, talker) -> np.ndarray:
    """Whether each listener used a visitor cookie or IP hash its talker used.

    Only people who share a device with anybody can; few do, so only their
    devices are read, and only touches between two of them are compared."""
    devices = defaultdict(set)
    for person, kind, value in db.execute(
        "SELECT d.person_id, d.kind, d.value FROM devices d JOIN ("
        "  SELECT kind, value FROM devices GROUP BY kind, value HAVING count(*) > 1"
        ") s ON s.kind = d.kind AND s.value = d.value"
    ):
        devices[person].add((kind, value))
    found = np.zeros(len(listener), bool)
    if not devices:
        return found
    sharing = np.fromiter(devices, _INT, len(devices))
    for i in np.flatnonzero(np.isin(listener, sharing) & np.isin(talker, sharing)):
        found[i] = not devices[int(listener[i])].isdisjoint(devices[int(talker[i])])
    return found


def _reviews(db: Database, listener, talker) -> np.ndarray:
    """The owner's review of each (customer, referrer): 0 none, 1 approved,
    2 voided."""
    found = np.zeros(len(listener), np.int8)
    rows = db.execute(
        "SELECT customer_id, referrer_id, decision = 'approved' FROM reviews"
    ).fetchall()
    if not rows or not len(listener):
        return found
    customer, referrer, approved = (np.array(c) for c in zip(*rows, strict=True))
    # One number per (customer, referrer) pair, then a sorted search.
    width = int(max(listener.max(), talker.max(), customer.max(), referrer.max())) + 1
    keys = customer.astype(_INT) * width + referrer.astype(_INT)
    order = np.argsort(keys)
    keys, decision = keys[order], np.where(approved[order].astype(bool), 1, 2)
    wanted = listener * width + talker
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    hit = keys[at] == wanted
    found[hit] = decision[at[hit]]
    return found
