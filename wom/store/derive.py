"""Keeping the derived tables consistent with the event log, set by set.

After a batch of events is appended, ``derive_batch`` recomputes exactly the rows
the batch can change, with set-based SQL over temp tables of "dirty" keys, inside
the caller's write transaction. ``rebuild`` marks everything dirty and runs the
same statements, so an incremental store and a rebuilt one agree by construction
(and ``tests/test_store_rebuild.py`` holds them to it).
"""

from __future__ import annotations

import orjson
from sqlite_utils import Database

from .changes import TOUCH_TYPES, Changes, temp_table
from .credits import derive_dirty_credits, mark_dirty_credits
from .link_codes import new_link_codes
from .rewards import derive_rewards, paused, rebuild_rewards

__all__ = ["derive_batch", "rebuild"]

# Two habits keep every statement proportional to the batch, not the database.
# The planner has no statistics, so it would happily read a batch's events through
# the (type, at) index, which lists every event of a type ever: `+type` keeps it on
# the seq range. And it cannot tell that a temp table of dirty keys is small, so
# CROSS JOIN puts that table first, and updates filter by `id IN (temp table)`.


def derive_batch(
    db: Database,
    lo: int,
    hi: int,
    *,
    identities: set[int] = frozenset(),
    make_links: bool = True,
    kinds: set[str] | None = None,
) -> Changes:
    """Bring the derived tables up to date after events ``lo..hi`` (seq) were appended.

    ``identities`` names people whose email changed, since self-referral checks
    depend on it. ``kinds``, the event types in the range when the caller knows
    them, lets a range of clicks alone skip what clicks cannot change. New
    customers without a link get one when ``make_links``.

    Each step reads the batch's own rows, and the log only where a row the batch
    touched depends on older events; deriving one range twice changes nothing.
    What changed is recorded in the transaction's ``db.changes`` and returned.
    """
    changes = Changes()
    if kinds is not None and kinds <= {"click"} and not identities:
        # Clicks convert nobody and touch nobody, and they counted on their
        # links as they were appended.
        return changes
    changed = _derive_people(db, lo, hi, changes)
    new_devices = _derive_devices(db, lo, hi)
    _derive_touches(db, lo, hi, changes)
    mark_dirty_credits(db, changed | new_devices, identities)
    derive_dirty_credits(db, changes)
    _derive_purchases(db, lo, hi, changes)
    derive_rewards(db, changes.purchasers)
    _derive_links(db, lo, hi, changes)
    if make_links:
        _ensure_links(db)
    db.changes.merge(changes)
    return changes


def _derive_people(db: Database, lo: int, hi: int, changes: Changes) -> set[int]:
    """Conversions the batch moves earlier; return the people whose moved.

    A person converts at their first sign-up, purchase or referral, ordered by
    ``(at, order)``. The log only grows, so the first conversion is the earlier of
    the stored one and the batch's first: no older events need reading.
    """
    temp_table(db, "conversions", "id INTEGER PRIMARY KEY, at INTEGER, ord INTEGER")
    # A referral converts its talker just before its listener (order seq*2 < seq*2+1),
    # so an imported referral between two new people credits the talker.
    db.execute(
        """
        INSERT INTO conversions
        SELECT c.pid, c.at, c.ord FROM (
            SELECT pid, at, ord,
                   row_number() OVER (PARTITION BY pid ORDER BY at, ord) AS rank
            FROM (
                SELECT listener_id AS pid, at, seq * 2 + 1 AS ord FROM events
                WHERE seq BETWEEN :lo AND :hi
                  AND +type IN ('signup', 'purchase', 'referral')
                UNION ALL
                SELECT talker_id, at, seq * 2 FROM events
                WHERE seq BETWEEN :lo AND :hi AND +type = 'referral'
            )
        ) AS c CROSS JOIN people p ON p.id = c.pid
        WHERE c.rank = 1 AND (p.acquired_at IS NULL
                              OR (c.at, c.ord) < (p.acquired_at, p.acquired_order))
        """,
        {"lo": lo, "hi": hi},
    )
    # Read before the update: who converts for the first time (customer.created).
    changed = set()
    for pid, first in db.execute(
        "SELECT c.id, p.acquired_at IS NULL FROM conversions c "
        "CROSS JOIN people p ON p.id = c.id"
    ):
        changed.add(pid)
        if first:
            changes.new_customers.add(pid)
    db.execute(
        """
        UPDATE people SET
            status = 'customer',
            acquired_at = (SELECT at FROM conversions c WHERE c.id = people.id),
            acquired_order = (SELECT ord FROM conversions c WHERE c.id = people.id),
            acquired_via = coalesce(acquired_via, 'root')
        WHERE id IN (SELECT id FROM conversions)
        """
    )
    changes.people |= changed
    return changed


def _derive_devices(db: Database, lo: int, hi: int) -> set[int]:
    """Store the visitor cookies and IP hashes of the batch's sign-ups and
    purchases; return the people who used one they had not used before."""
    temp_table(
        db,
        "new_devices",
        "person_id, kind, value, PRIMARY KEY (person_id, kind, value)",
    )
    db.execute(
        """
        INSERT OR IGNORE INTO new_devices
        SELECT b.* FROM (
            SELECT listener_id AS person_id, 'visitor' AS kind, visitor AS value
            FROM events
            WHERE seq BETWEEN :lo AND :hi AND +type IN ('signup', 'purchase')
              AND visitor IS NOT NULL
            UNION
            SELECT listener_id, 'ip', ip_hmac FROM events
            WHERE seq BETWEEN :lo AND :hi AND +type IN ('signup', 'purchase')
              AND ip_hmac IS NOT NULL
        ) AS b
        WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.person_id = b.person_id
                          AND d.kind = b.kind AND d.value = b.value)
        """,
        {"lo": lo, "hi": hi},
    )
    db.execute("INSERT INTO devices SELECT * FROM new_devices")
    return {row[0] for row in db.execute("SELECT DISTINCT person_id FROM new_devices")}


def _derive_touches(db: Database, lo: int, hi: int, changes: Changes) -> None:
    """Recompute the touch rows of every pair the batch touched or re-timed."""
    temp_table(
        db,
        "dirty_pairs",
        "talker INTEGER, listener INTEGER, PRIMARY KEY (talker, listener)",
    )
    db.execute(
        f"""
        INSERT OR IGNORE INTO dirty_pairs
        SELECT talker_id, listener_id FROM events
        WHERE seq BETWEEN ? AND ? AND +type IN {TOUCH_TYPES}
          AND talker_id IS NOT NULL AND listener_id IS NOT NULL
        """,
        [lo, hi],
    )
    db.execute(
        f"""
        INSERT OR REPLACE INTO touches
        SELECT e.talker_id, e.listener_id,
               rtrim(
                 CASE WHEN max(e.type = 'heard_from') THEN 'heard_from,' ELSE '' END ||
                 CASE WHEN max(e.type = 'signup') THEN 'link,' ELSE '' END ||
                 CASE WHEN max(e.type = 'mention') THEN 'mention,' ELSE '' END ||
                 CASE WHEN max(e.type = 'referral') THEN 'referral,' ELSE '' END, ','),
               count(*), min(e.at), max(e.at),
               coalesce(p.acquired_at >= min(e.at), 0)
        FROM dirty_pairs d
        CROSS JOIN events e ON e.listener_id = d.listener AND e.talker_id = d.talker
        CROSS JOIN people p ON p.id = d.listener
        WHERE +e.type IN {TOUCH_TYPES}
        GROUP BY e.talker_id, e.listener_id
        """
    )
    # A listener whose conversion moved changes `converted` on every edge into it;
    # nothing else about those edges can have changed.
    db.execute(
        """
        INSERT OR IGNORE INTO dirty_pairs
        SELECT t.talker_id, t.listener_id FROM conversions c
        CROSS JOIN touches t ON t.listener_id = c.id
        """
    )
    db.execute(
        """
        UPDATE touches SET converted = coalesce(
            (SELECT at FROM conversions c WHERE c.id = touches.listener_id) >= first_at,
            0
        )
        WHERE listener_id IN (SELECT id FROM conversions)
        """
    )
    changes.pairs |= set(db.execute("SELECT talker, listener FROM dirty_pairs"))


def _derive_purchases(db: Database, lo: int, hi: int, changes: Changes) -> None:
    db.execute(
        "INSERT OR REPLACE INTO purchases SELECT seq, listener_id, value, currency, at "
        "FROM events WHERE seq BETWEEN ? AND ? AND +type = 'purchase'",
        [lo, hi],
    )
    changes.purchasers |= {
        row[0]
        for row in db.execute(
            "SELECT DISTINCT listener_id FROM events "
            "WHERE seq BETWEEN ? AND ? AND +type = 'purchase'",
            [lo, hi],
        )
    }


def _derive_links(db: Database, lo: int, hi: int, changes: Changes) -> None:
    """Sign-ups through each link. (Clicks count as they are appended, in their
    runs: ``clicks.fold_clicks``.)"""
    changes.links |= {
        row[0]
        for row in db.execute(
            """
            UPDATE links SET signups = links.signups + b.signups
            FROM (
                SELECT link_id, count(*) AS signups FROM events
                WHERE seq BETWEEN ? AND ? AND +type = 'signup'
                  AND link_id IS NOT NULL
                GROUP BY link_id
            ) AS b
            WHERE links.id = b.link_id
            RETURNING links.id
            """,
            [lo, hi],
        )
    }


def _ensure_links(db: Database) -> None:
    """Give every customer whose conversion is new a referral link."""
    while True:
        owners = [
            row[0]
            for row in db.execute(
                "SELECT c.id FROM conversions c "
                "WHERE NOT EXISTS (SELECT 1 FROM links l WHERE l.owner_id = c.id)"
            )
        ]
        if not owners:
            return
        # A clash with an existing code is ignored here and retried by the loop.
        # One JSON parameter rather than a bound row per owner: one statement.
        db.execute(
            "INSERT OR IGNORE INTO links(code, owner_id, created_at) "
            "SELECT j.value ->> 0, p.id, p.acquired_at FROM json_each(?) j "
            "CROSS JOIN people p ON p.id = j.value ->> 1",
            [orjson.dumps(list(zip(new_link_codes(len(owners)), owners, strict=True)))],
        )


def rebuild(db: Database, *, quiet: bool = True) -> Changes:
    """Recompute every derived table from the log (inside the caller's transaction).

    Nothing new happened, so the transaction sends no webhooks (``quiet``), unless
    the caller has just loaded a history into an empty store and asks for them.
    """
    db.changes.quiet = db.changes.quiet or quiet
    db.execute(
        "UPDATE people SET status = 'prospect', acquired_at = NULL, "
        "acquired_order = NULL, acquired_via = NULL"
    )
    for table in ("touches", "credits", "purchases", "devices"):
        db.execute(f"DELETE FROM {table}")
    db.execute(
        "DELETE FROM flags WHERE kind IN ('self_referral', 'held') AND status = 'open'"
    )
    # Clicks are kept in their runs (the primary record, clicks.py): a link's
    # human clicks are its human runs, its bot clicks every bot click.
    db.execute(
        """
        UPDATE links SET signups = 0,
            clicks = (SELECT count(*) FROM click_runs r
                      WHERE r.ua_class = 'human' AND r.link_id = links.id),
            bot_clicks = (SELECT coalesce(sum(r.clicks), 0) FROM click_runs r
                          WHERE r.ua_class = 'bot' AND r.link_id = links.id)
        """
    )
    lo, hi = db.execute("SELECT min(seq), max(seq) FROM events").fetchone()
    changes = Changes()
    if lo is not None:
        # The ledger is derived whole at the end, from the rebuilt credits.
        with paused(db):
            changes = derive_batch(db, lo, hi, make_links=False)
    rebuild_rewards(db)
    return changes
