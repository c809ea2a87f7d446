"""Keeping the derived tables consistent with the event log, set by set.

After a batch of events is appended, ``derive_batch`` recomputes exactly the rows
the batch can change, with set-based SQL over temp tables of "dirty" keys, inside
the caller's write transaction. ``rebuild`` marks everything dirty and runs the
same statements, so an incremental store and a rebuilt one agree by construction
(and ``tests/test_store_rebuild.py`` holds them to it).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field

from sqlite_utils import Database

from ..attribution import KIND_OF_EVENT, Touch, credit_for
from .settings import read_settings

__all__ = [
    "Changes",
    "derive_batch",
    "rebuild",
    "rederive_credits",
    "new_link_code",
    "derive_credits_of",
]

# Unambiguous: no 0/o, 1/l/i.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CLICK_REPEAT_US = 30 * 60 * 1_000_000
TOUCH_TYPES = "('signup', 'mention', 'heard_from', 'referral')"


def new_link_code(length: int = 8, rng=secrets) -> str:
    """A short referral code that is hard to guess and has no ambiguous characters."""
    return "".join(rng.choice(CODE_ALPHABET) for _ in range(length))


@dataclass
class Changes:
    """What a batch changed, for the analytics service to follow."""

    people: set[int] = field(default_factory=set)
    credits: set[int] = field(default_factory=set)
    pairs: set[tuple[int, int]] = field(default_factory=set)
    purchasers: set[int] = field(default_factory=set)
    links: set[int] = field(default_factory=set)


def _temp(db: Database, name: str, columns: str) -> None:
    db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})")
    db.execute(f"DELETE FROM {name}")


def derive_batch(
    db: Database,
    lo: int,
    hi: int,
    *,
    identities: set[int] = frozenset(),
    make_links: bool = True,
) -> Changes:
    """Bring the derived tables up to date after events ``lo..hi`` (seq) were appended.

    ``identities`` names people whose email changed, since self-referral checks
    depend on it. New customers without a link get one when ``make_links``.
    """
    changes = Changes()
    _temp(db, "dirty_people", "id INTEGER PRIMARY KEY")
    db.execute(
        "INSERT OR IGNORE INTO dirty_people SELECT talker_id FROM events "
        "WHERE seq BETWEEN ? AND ? AND talker_id IS NOT NULL "
        "UNION SELECT listener_id FROM events "
        "WHERE seq BETWEEN ? AND ? AND listener_id IS NOT NULL",
        [lo, hi, lo, hi],
    )
    db.conn.executemany(
        "INSERT OR IGNORE INTO dirty_people VALUES (?)", [(i,) for i in identities]
    )
    changed = _derive_people(db, changes)
    _derive_devices(db, lo, hi)
    _derive_touches(db, lo, hi, changes)
    _mark_dirty_credits(db, lo, hi, changed, identities)
    _derive_credits(db, changes)
    _derive_purchases(db, lo, hi, changes)
    _derive_links(db, lo, hi, changes)
    if make_links:
        _ensure_links(db, changed)
    return changes


def _derive_people(db: Database, changes: Changes) -> set[int]:
    """Status and conversion of the dirty people; return those that changed."""
    _temp(db, "conversions", "id INTEGER PRIMARY KEY, at INTEGER, ord INTEGER")
    # A referral converts its talker just before its listener (order seq*2 < seq*2+1),
    # so an imported referral between two new people credits the talker.
    db.execute(
        """
        INSERT INTO conversions
        SELECT pid, at, ord FROM (
            SELECT pid, at, ord,
                   row_number() OVER (PARTITION BY pid ORDER BY at, ord) AS rank
            FROM (
                SELECT e.listener_id AS pid, e.at, e.seq * 2 + 1 AS ord
                FROM dirty_people d JOIN events e ON e.listener_id = d.id
                WHERE e.type IN ('signup', 'purchase', 'referral')
                UNION ALL
                SELECT e.talker_id, e.at, e.seq * 2
                FROM dirty_people d JOIN events e ON e.talker_id = d.id
                WHERE e.type = 'referral'
            )
        ) WHERE rank = 1
        """
    )
    changed = {
        row[0]
        for row in db.execute(
            """
            SELECT p.id FROM dirty_people d JOIN people p ON p.id = d.id
            LEFT JOIN conversions c ON c.id = p.id
            WHERE p.acquired_at IS NOT c.at OR p.acquired_order IS NOT c.ord
            """
        )
    }
    db.execute(
        """
        UPDATE people SET
            status = CASE WHEN c.at IS NULL THEN 'prospect' ELSE 'customer' END,
            acquired_at = c.at, acquired_order = c.ord,
            acquired_via = CASE WHEN c.at IS NULL THEN NULL
                                ELSE coalesce(people.acquired_via, 'root') END
        FROM dirty_people d LEFT JOIN conversions c ON c.id = d.id
        WHERE people.id = d.id
          AND (people.acquired_at IS NOT c.at OR people.acquired_order IS NOT c.ord)
        """
    )
    changes.people |= changed
    return changed


def _derive_devices(db: Database, lo: int, hi: int) -> None:
    db.execute(
        """
        INSERT OR IGNORE INTO devices(person_id, kind, value)
        SELECT listener_id, 'visitor', visitor FROM events
        WHERE seq BETWEEN :lo AND :hi AND type IN ('signup', 'purchase')
          AND visitor IS NOT NULL
        UNION
        SELECT listener_id, 'ip', ip_hmac FROM events
        WHERE seq BETWEEN :lo AND :hi AND type IN ('signup', 'purchase')
          AND ip_hmac IS NOT NULL
        """,
        {"lo": lo, "hi": hi},
    )


def _derive_touches(db: Database, lo: int, hi: int, changes: Changes) -> None:
    """Recompute the touch rows of every pair the batch touched or re-timed."""
    _temp(
        db,
        "dirty_pairs",
        "talker INTEGER, listener INTEGER, PRIMARY KEY (talker, listener)",
    )
    db.execute(
        f"""
        INSERT OR IGNORE INTO dirty_pairs
        SELECT talker_id, listener_id FROM events
        WHERE seq BETWEEN ? AND ? AND type IN {TOUCH_TYPES}
          AND talker_id IS NOT NULL AND listener_id IS NOT NULL
        """,
        [lo, hi],
    )
    # A listener whose conversion moved changes `converted` on every edge into it.
    db.execute(
        """
        INSERT OR IGNORE INTO dirty_pairs
        SELECT t.talker_id, t.listener_id FROM dirty_people d
        JOIN touches t ON t.listener_id = d.id
        """
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
        JOIN events e ON e.listener_id = d.listener AND e.talker_id = d.talker
        JOIN people p ON p.id = d.listener
        WHERE e.type IN {TOUCH_TYPES}
        GROUP BY e.talker_id, e.listener_id
        """
    )
    changes.pairs |= set(db.execute("SELECT talker, listener FROM dirty_pairs"))


def _mark_dirty_credits(
    db: Database, lo: int, hi: int, changed: set[int], identities: set[int]
) -> None:
    """Customers whose credit the batch can move: its people, and the listeners of
    anyone whose conversion, devices or email changed."""
    _temp(db, "dirty_credits", "id INTEGER PRIMARY KEY")
    db.execute("INSERT INTO dirty_credits SELECT id FROM dirty_people")
    _temp(db, "moved_talkers", "id INTEGER PRIMARY KEY")
    db.conn.executemany(
        "INSERT OR IGNORE INTO moved_talkers VALUES (?)",
        [(i,) for i in changed | set(identities)],
    )
    db.execute(
        "INSERT OR IGNORE INTO moved_talkers SELECT listener_id FROM events "
        "WHERE seq BETWEEN ? AND ? AND type IN ('signup', 'purchase') "
        "AND (visitor IS NOT NULL OR ip_hmac IS NOT NULL)",
        [lo, hi],
    )
    db.execute(
        "INSERT OR IGNORE INTO dirty_credits SELECT t.listener_id "
        "FROM moved_talkers m JOIN touches t ON t.talker_id = m.id"
    )


def _derive_credits(db: Database, changes: Changes) -> None:
    """Ask attribution.py for the credit of every dirty customer, and store it."""
    settings = read_settings(db)
    customers = {
        row[0]: (row[1], row[2])
        for row in db.execute(
            "SELECT p.id, p.acquired_at, p.acquired_order FROM dirty_credits d "
            "JOIN people p ON p.id = d.id WHERE p.status = 'customer'"
        )
    }
    touches: dict[int, list[Touch]] = defaultdict(list)
    for row in db.execute(
        f"""
        SELECT e.listener_id, e.talker_id, e.at, e.seq, e.type,
               t.acquired_at, t.acquired_order,
               coalesce(li.email_normalised = ti.email_normalised, 0),
               EXISTS (SELECT 1 FROM devices a JOIN devices b
                       ON b.kind = a.kind AND b.value = a.value
                       WHERE a.person_id = e.listener_id AND b.person_id = e.talker_id)
        FROM dirty_credits d
        JOIN events e ON e.listener_id = d.id
        JOIN people t ON t.id = e.talker_id
        LEFT JOIN identities li ON li.person_id = e.listener_id
        LEFT JOIN identities ti ON ti.person_id = e.talker_id
        WHERE e.type IN {TOUCH_TYPES} AND t.status = 'customer'
        """
    ):
        listener, talker, at, seq, type_, t_at, t_ord, same_email, same_device = row
        touches[listener].append(
            Touch(
                talker,
                at,
                seq,
                KIND_OF_EVENT[type_],
                (t_at, t_ord),
                bool(same_email),
                bool(same_device),
            )
        )
    reviews: dict[int, dict[int, str]] = defaultdict(dict)
    for customer, referrer, decision in db.execute(
        "SELECT r.customer_id, r.referrer_id, r.decision FROM dirty_credits d "
        "JOIN reviews r ON r.customer_id = d.id"
    ):
        reviews[customer][referrer] = decision

    credit_rows, flag_rows, via_rows = [], [], []
    for customer, conversion in customers.items():
        decision = credit_for(
            conversion,
            touches.get(customer, []),
            rule=settings["attribution_rule"],
            window_days=settings["attribution_window_days"],
            reviews=reviews.get(customer),
        )
        credit = decision.credit
        via = "root"
        if credit is not None:
            credit_rows.append(
                (
                    customer,
                    credit.referrer,
                    credit.touch_seq,
                    credit.kind,
                    credit.at,
                    credit.status,
                )
            )
            if credit.status == "credited":
                via = (
                    "mention"
                    if credit.kind in ("mention", "heard_from")
                    else "referred"
                )
        via_rows.append((via, customer))
        for kind, referrer, reason in decision.flags:
            flag_rows.append(
                (
                    f"{kind}:{customer}:{referrer}",
                    kind,
                    customer,
                    referrer,
                    reason,
                    conversion[0],
                )
            )

    old = set(
        db.execute(
            "SELECT c.customer_id, c.referrer_id, c.status FROM dirty_credits d "
            "JOIN credits c ON c.customer_id = d.id"
        )
    )
    db.execute(
        "DELETE FROM credits WHERE customer_id IN (SELECT id FROM dirty_credits)"
    )
    db.conn.executemany("INSERT INTO credits VALUES (?, ?, ?, ?, ?, ?)", credit_rows)
    new = {(row[0], row[1], row[5]) for row in credit_rows}
    changes.credits |= {row[0] for row in old ^ new}
    db.conn.executemany(
        "UPDATE people SET acquired_via = ? WHERE id = ? AND acquired_via IS NOT ?",
        [(via, customer, via) for via, customer in via_rows],
    )
    db.execute(
        "DELETE FROM flags WHERE kind IN ('self_referral', 'held') "
        "AND customer_id IN (SELECT id FROM dirty_credits)"
    )
    db.conn.executemany(
        "INSERT OR REPLACE INTO flags(key, kind, customer_id, referrer_id, "
        "reason, raised_at) VALUES (?, ?, ?, ?, ?, ?)",
        flag_rows,
    )


def _derive_purchases(db: Database, lo: int, hi: int, changes: Changes) -> None:
    db.execute(
        "INSERT OR REPLACE INTO purchases SELECT seq, listener_id, value, currency, at "
        "FROM events WHERE seq BETWEEN ? AND ? AND type = 'purchase'",
        [lo, hi],
    )
    changes.purchasers |= {
        row[0]
        for row in db.execute(
            "SELECT DISTINCT listener_id FROM events "
            "WHERE seq BETWEEN ? AND ? AND type = 'purchase'",
            [lo, hi],
        )
    }


def _derive_links(db: Database, lo: int, hi: int, changes: Changes) -> None:
    """Click and sign-up counts; a repeat click within 30 minutes counts once."""
    _temp(db, "dirty_links", "id INTEGER PRIMARY KEY")
    db.execute(
        "INSERT OR IGNORE INTO dirty_links SELECT link_id FROM events "
        "WHERE seq BETWEEN ? AND ? AND link_id IS NOT NULL",
        [lo, hi],
    )
    db.execute(
        f"""
        UPDATE links SET clicks = counts.clicks, bot_clicks = counts.bots,
                         signups = counts.signups
        FROM (
            SELECT d.id AS link_id,
                   coalesce(sum(e.type = 'click' AND e.ua_class = 'human'
                       AND (e.previous IS NULL
                            OR e.at - e.previous > {CLICK_REPEAT_US})),
                       0) AS clicks,
                   coalesce(sum(e.type = 'click' AND e.ua_class = 'bot'), 0) AS bots,
                   coalesce(sum(e.type = 'signup'), 0) AS signups
            FROM dirty_links d LEFT JOIN (
                SELECT x.link_id, x.type, x.ua_class, x.at,
                       lag(x.at) OVER (PARTITION BY x.link_id, x.type, x.visitor,
                                       x.ua_class ORDER BY x.at, x.seq) AS previous
                FROM dirty_links d2 JOIN events x ON x.link_id = d2.id
            ) e ON e.link_id = d.id
            GROUP BY d.id
        ) AS counts
        WHERE links.id = counts.link_id
        """
    )
    changes.links |= {row[0] for row in db.execute("SELECT id FROM dirty_links")}


def _ensure_links(db: Database, people: set[int]) -> None:
    """Give every new customer a referral link."""
    if not people:
        return
    marks = ",".join("?" * len(people))
    owners = [
        row[0]
        for row in db.execute(
            f"SELECT p.id FROM people p WHERE p.id IN ({marks}) "
            "AND p.status = 'customer' "
            "AND NOT EXISTS (SELECT 1 FROM links l WHERE l.owner_id = p.id)",
            list(people),
        )
    ]
    for owner in owners:
        while True:
            code = new_link_code()
            cursor = db.execute(
                "INSERT OR IGNORE INTO links(code, owner_id, created_at) "
                "SELECT ?, ?, acquired_at FROM people WHERE id = ?",
                [code, owner, owner],
            )
            if cursor.rowcount:
                break


def derive_credits_of(db: Database, customers) -> Changes:
    """Recompute the credits of the given customers (all customers when None)."""
    _temp(db, "dirty_credits", "id INTEGER PRIMARY KEY")
    if customers is None:
        db.execute(
            "INSERT INTO dirty_credits SELECT id FROM people WHERE status = 'customer'"
        )
    else:
        db.conn.executemany(
            "INSERT OR IGNORE INTO dirty_credits VALUES (?)", [(c,) for c in customers]
        )
    changes = Changes()
    _derive_credits(db, changes)
    return changes


def rederive_credits(db: Database) -> Changes:
    """Recompute every credit, after an attribution setting changed."""
    return derive_credits_of(db, None)


def rebuild(db: Database) -> Changes:
    """Recompute every derived table from the log (inside the caller's transaction)."""
    db.execute(
        "UPDATE people SET status = 'prospect', acquired_at = NULL, "
        "acquired_order = NULL, acquired_via = NULL"
    )
    for table in ("touches", "credits", "purchases", "devices"):
        db.execute(f"DELETE FROM {table}")
    db.execute("DELETE FROM flags WHERE kind IN ('self_referral', 'held')")
    db.execute("UPDATE links SET clicks = 0, bot_clicks = 0, signups = 0")
    lo, hi = db.execute("SELECT min(seq), max(seq) FROM events").fetchone()
    if lo is None:
        return Changes()
    return derive_batch(db, lo, hi, make_links=False)
