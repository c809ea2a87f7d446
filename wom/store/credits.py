"""Credits: which touch earns each customer's referrer, stored with its flags.

The rule itself lives in ``wom.attribution``; here the store reads the touches of
every "dirty" customer (in the ``dirty_credits`` temp table), asks the rule, and
writes only the credits, acquisition channels and flags that differ. The planner
habits of ``derive.py`` (CROSS JOIN from the temp table, ``+type``) hold here too.
"""

from __future__ import annotations

from collections import defaultdict

import orjson
from sqlite_utils import Database

from ..attribution import KIND_OF_EVENT, Touch, credit_for
from ..emails import normalise_email
from .changes import TOUCH_TYPES, Changes, temp_table
from .rewards import derive_rewards
from .settings import read_settings

__all__ = [
    "derive_credits_of",
    "derive_dirty_credits",
    "mark_dirty_credits",
    "rederive_credits",
    "renormalise_emails",
]


def mark_dirty_credits(db: Database, moved: set[int], identities: set[int]) -> None:
    """Customers whose credit the batch can move: the listeners of its touches,
    anyone whose conversion, devices or email changed, and their listeners."""
    temp_table(db, "dirty_credits", "id INTEGER PRIMARY KEY")
    db.execute("INSERT OR IGNORE INTO dirty_credits SELECT listener FROM dirty_pairs")
    temp_table(db, "moved_talkers", "id INTEGER PRIMARY KEY")
    db.execute(
        "INSERT OR IGNORE INTO moved_talkers SELECT value FROM json_each(?)",
        [orjson.dumps(sorted(moved | set(identities)))],
    )
    db.execute("INSERT OR IGNORE INTO dirty_credits SELECT id FROM moved_talkers")
    db.execute(
        "INSERT OR IGNORE INTO dirty_credits SELECT t.listener_id "
        "FROM moved_talkers m CROSS JOIN touches t ON t.talker_id = m.id"
    )


def derive_dirty_credits(db: Database, changes: Changes) -> None:
    """Ask attribution.py for the credit of every dirty customer, and store it."""
    settings = read_settings(db)
    # Only customers hold credits; prospects among the dirty have nothing to do.
    db.execute(
        "DELETE FROM dirty_credits WHERE (SELECT status FROM people p "
        "WHERE p.id = dirty_credits.id) IS NOT 'customer'"
    )
    customers, via_before = {}, {}
    for pid, at, order, via in db.execute(
        "SELECT p.id, p.acquired_at, p.acquired_order, p.acquired_via "
        "FROM dirty_credits d CROSS JOIN people p ON p.id = d.id "
        "WHERE p.status = 'customer'"
    ):
        customers[pid] = (at, order)
        via_before[pid] = via
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
        CROSS JOIN events e ON e.listener_id = d.id
        CROSS JOIN people t ON t.id = e.talker_id
        LEFT JOIN identities li ON li.person_id = e.listener_id
        LEFT JOIN identities ti ON ti.person_id = e.talker_id
        WHERE +e.type IN {TOUCH_TYPES} AND t.status = 'customer'
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
        "CROSS JOIN reviews r ON r.customer_id = d.id"
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
            "SELECT c.customer_id, c.referrer_id, c.touch_seq, c.kind, c.at, c.status "
            "FROM dirty_credits d CROSS JOIN credits c ON c.customer_id = d.id"
        )
    )
    new = set(credit_rows)
    # Most dirty customers keep their credit: write only what differs, so that
    # unchanged rows cost no index update and no page for the commit to write.
    gone, made = old - new, new - old
    for row in gone:
        changes.credits_before.setdefault(row[0], row)
    for row in made:
        changes.credits_before.setdefault(row[0], None)
    db.execute(
        "DELETE FROM credits WHERE customer_id IN (SELECT value FROM json_each(?))",
        [orjson.dumps([row[0] for row in gone])],
    )
    db.execute(
        "INSERT INTO credits SELECT value ->> 0, value ->> 1, value ->> 2, "
        "value ->> 3, value ->> 4, value ->> 5 FROM json_each(?)",
        [orjson.dumps(sorted(made))],
    )
    changes.credits |= {row[0] for row in gone | made}
    moved_via = [(via, c) for via, c in via_rows if via_before[c] != via]
    db.conn.executemany("UPDATE people SET acquired_via = ? WHERE id = ?", moved_via)
    changes.people |= {customer for _, customer in moved_via}
    if flag_rows:  # which of them are new (flag.opened), before they are replaced
        keys = [row[0] for row in flag_rows]
        stored = db.execute(
            "SELECT key FROM flags WHERE key IN (SELECT value FROM json_each(?))",
            [orjson.dumps(keys)],
        )
        changes.flags_opened |= set(keys) - {row[0] for row in stored}
    # A decided flag is the owner's record and stays; open ones follow the rule.
    db.execute(
        "DELETE FROM flags WHERE kind IN ('self_referral', 'held') "
        "AND status = 'open' AND customer_id IN (SELECT id FROM dirty_credits)"
    )
    db.conn.executemany(
        "INSERT OR IGNORE INTO flags(key, kind, customer_id, referrer_id, "
        "reason, raised_at) VALUES (?, ?, ?, ?, ?, ?)",
        flag_rows,
    )
    db.conn.executemany(
        "INSERT OR IGNORE INTO flag_credits(flag_key, customer_id, referrer_id) "
        "VALUES (?, ?, ?)",
        [(key, customer, referrer) for key, _, customer, referrer, *_ in flag_rows],
    )


def derive_credits_of(db: Database, customers) -> Changes:
    """Recompute the credits of the given customers (all customers when None)."""
    temp_table(db, "dirty_credits", "id INTEGER PRIMARY KEY")
    if customers is None:
        db.execute(
            "INSERT INTO dirty_credits SELECT id FROM people WHERE status = 'customer'"
        )
    else:
        db.conn.executemany(
            "INSERT OR IGNORE INTO dirty_credits VALUES (?)", [(c,) for c in customers]
        )
    changes = Changes()
    derive_dirty_credits(db, changes)
    derive_rewards(db)
    db.changes.merge(changes)
    return changes


def rederive_credits(db: Database) -> Changes:
    """Recompute every credit, after an attribution setting changed."""
    return derive_credits_of(db, None)


def renormalise_emails(db: Database) -> Changes:
    """Store every email's normal form anew (its rules changed), and re-derive the
    credits those emails decide, as customer or as talker: a self-referral by an
    alias the old form missed is then void like any other."""
    changed = [
        (normal, person)
        for person, email, stored in db.execute(
            "SELECT person_id, email, email_normalised FROM identities "
            "WHERE email IS NOT NULL"
        ).fetchall()
        if (normal := normalise_email(email)) != stored
    ]
    if not changed:
        return Changes()
    db.conn.executemany(
        "UPDATE identities SET email_normalised = ? WHERE person_id = ?", changed
    )
    people = [person for _, person in changed]
    listeners = db.execute(
        "SELECT DISTINCT listener_id FROM touches WHERE talker_id IN "
        "(SELECT value FROM json_each(?))",
        [orjson.dumps(people)],
    ).fetchall()
    return derive_credits_of(db, set(people) | {row[0] for row in listeners})
