"""A switch of the attribution rule or window, re-derived in bounded chunks.

A new rule or window changes who earns the credit of every customer. Deriving
a million credits in one transaction would hold the single writer for long
(sign-ups and clicks would wait), so :func:`begin_switch` only records that a
switch is under way, and each :func:`rederive_chunk` re-derives the next
customers by id, in a write transaction of its own. Other writes run between
chunks.

Why it ends where a rebuild does: a customer's credit depends on their own
touches, conversion, reviews and the settings, never on another customer's
credit. Every derivation reads the settings inside its transaction, so from
the switch on, whatever a write dirties is derived under the new rule; and the
walk re-derives every customer at least once after the switch began. A second
switch before the first finishes starts the walk over.

Until the walk passes them, customers above the cursor keep the credit the old
rule gave them: the live figures mix both rules, and say how far the switch is.
"""

from __future__ import annotations

from sqlite_utils import Database

from .credits import derive_credits_of
from .settings import read_settings

__all__ = ["CHUNK", "begin_switch", "rederive_chunk", "switch_progress"]

#: Customers per chunk. A chunk holds the writer for about 0.1 s at a million
#: customers on a busy two-core machine (measured: cost is linear in its size),
#: so a sign-up waits at most about that long behind one.
CHUNK = 1_000

_COLUMNS = (
    "rule",
    "window_days",
    "cursor",
    "done",
    "total",
    "started_at",
    "finished_at",
)


def begin_switch(db: Database, now: int) -> None:
    """Record that every credit must be derived again under the settings as they
    are now (inside the caller's write transaction, with the new setting)."""
    settings = read_settings(db)
    total = db.execute(
        "SELECT count(*) FROM people WHERE status = 'customer'"
    ).fetchone()[0]
    db.execute(
        "INSERT OR REPLACE INTO rederivation(id, rule, window_days, cursor, done, "
        "total, started_at, finished_at) VALUES (1, ?, ?, 0, 0, ?, ?, NULL)",
        [
            settings["attribution_rule"],
            settings["attribution_window_days"],
            total,
            now,
        ],
    )


def rederive_chunk(db: Database, now: int, size: int = CHUNK) -> dict | None:
    """Re-derive the next ``size`` customers of the switch under way (inside the
    caller's write transaction); return :func:`switch_progress` after it (as it
    was, when no switch is under way)."""
    row = db.execute(
        "SELECT cursor FROM rederivation WHERE id = 1 AND finished_at IS NULL"
    ).fetchone()
    if row is None:
        return switch_progress(db)
    ids = [
        pid
        for (pid,) in db.execute(
            "SELECT id FROM people WHERE id > ? AND status = 'customer' "
            "ORDER BY id LIMIT ?",
            [row[0], size],
        )
    ]
    if ids:
        derive_credits_of(db, ids)
        # Customers who joined since the switch began count too.
        db.execute(
            "UPDATE rederivation SET cursor = ?, done = done + ?, "
            "total = max(total, done + ?) WHERE id = 1",
            [ids[-1], len(ids), len(ids)],
        )
    if len(ids) < size:
        db.execute("UPDATE rederivation SET finished_at = ? WHERE id = 1", [now])
    return switch_progress(db)


def switch_progress(db: Database) -> dict | None:
    """The last switch: ``rule``, ``window_days``, ``cursor``, ``done``, ``total``,
    ``started_at``, ``finished_at`` (None while it runs); None if there was none."""
    row = db.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM rederivation WHERE id = 1"
    ).fetchone()
    return None if row is None else dict(zip(_COLUMNS, row, strict=True))
