"""Every touch that attribution weighs, as columns: what the background process
reads to derive the credits of both rules at once (``attribution.credits_by_rule``)."""

from __future__ import annotations

import numpy as np
from sqlite_utils import Database

from .changes import TOUCH_TYPES
from .queries import _columns

__all__ = ["attribution_touches"]

_COLUMNS = (
    ("listener", np.int64),
    ("talker", np.int64),
    ("at", np.int64),
    ("seq", np.int64),
    ("listener_at", np.int64),
    ("listener_order", np.int64),
    ("talker_at", np.int64),
    ("talker_order", np.int64),
    ("same_email", np.bool_),
    ("same_device", np.bool_),
    ("review", np.int8),
)


def attribution_touches(db: Database) -> dict:
    """Each touch to a customer from a customer, with what ``credit_for`` needs
    about it (the columns ``credits_by_rule`` takes), as the derivation of
    ``credits.py`` reads them."""
    cursor = db.execute(
        f"""
        SELECT e.listener_id, e.talker_id, e.at, e.seq,
               l.acquired_at, l.acquired_order, t.acquired_at, t.acquired_order,
               coalesce(li.email_normalised = ti.email_normalised, 0),
               EXISTS (SELECT 1 FROM devices a JOIN devices b
                       ON b.kind = a.kind AND b.value = a.value
                       WHERE a.person_id = e.listener_id AND b.person_id = e.talker_id),
               coalesce((SELECT CASE r.decision WHEN 'approved' THEN 1 ELSE 2 END
                         FROM reviews r WHERE r.customer_id = e.listener_id
                         AND r.referrer_id = e.talker_id), 0)
        FROM events e
        CROSS JOIN people l ON l.id = e.listener_id
        CROSS JOIN people t ON t.id = e.talker_id
        LEFT JOIN identities li ON li.person_id = e.listener_id
        LEFT JOIN identities ti ON ti.person_id = e.talker_id
        WHERE e.talker_id IS NOT NULL AND +e.type IN {TOUCH_TYPES}
          AND l.status = 'customer' AND t.status = 'customer'
        """
    )
    columns = _columns(cursor, tuple(dtype for _, dtype in _COLUMNS))
    return {name: column for (name, _), column in zip(_COLUMNS, columns, strict=True)}
