"""The rewards ledger's migration, registered after the click runs' on the store's
one list of migrations (``schema.migrations``)."""

from __future__ import annotations

from sqlite_utils import Database

from .schema import migrations

__all__: list[str] = []

_REWARD_COLUMNS = """
    id TEXT PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    side TEXT NOT NULL CHECK (side IN ('referrer', 'friend')),
    customer_id INTEGER NOT NULL REFERENCES people(id),
    referrer_id INTEGER NOT NULL REFERENCES people(id),
    rule_seq INTEGER NOT NULL,
    currency TEXT NOT NULL,
    amount INTEGER CHECK (amount IS NULL OR amount > 0),
    perk TEXT,
    earned_at INTEGER NOT NULL,
    known_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    cap_month TEXT NOT NULL,
    cap INTEGER,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'paid', 'voided')),
    state_at INTEGER NOT NULL,
    reason TEXT,
    note TEXT,
    held INTEGER NOT NULL,
    clawback INTEGER NOT NULL,
    live INTEGER NOT NULL
"""


@migrations(name="0017_rewards_ledger")
def _rewards_ledger(db: Database) -> None:
    # The reward log: what the ledger is folded from besides the credits. Rule
    # versions (``rules``, ``at`` when they take effect) and what happens to
    # rewards: the job's approvals, the owner's payments and voids, and a
    # reward whose credit went (``gone``: its snapshot, so that a rebuild,
    # which sees only today's credits, still knows it). Append-only, but for
    # the owner's notes, which erasure may blank.
    db.execute(
        """
        CREATE TABLE reward_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL
                CHECK (kind IN ('rules', 'approved', 'paid', 'voided', 'gone')),
            at INTEGER NOT NULL,
            reward_id TEXT,
            body TEXT NOT NULL,
            note TEXT,
            by TEXT NOT NULL,
            recorded_at INTEGER NOT NULL,
            CHECK ((kind = 'rules') = (reward_id IS NULL))
        )
        """
    )
    db.execute(
        "CREATE INDEX reward_log_reward ON reward_log(reward_id, seq) "
        "WHERE reward_id IS NOT NULL"
    )
    db.execute(
        "CREATE INDEX reward_log_rules ON reward_log(at, seq) WHERE kind = 'rules'"
    )
    db.execute(
        """
        CREATE TRIGGER reward_log_append_only_update BEFORE UPDATE ON reward_log
        WHEN NOT (new.note IS NULL AND new.seq IS old.seq AND new.kind IS old.kind
                  AND new.at IS old.at AND new.reward_id IS old.reward_id
                  AND new.body IS old.body AND new.by IS old.by
                  AND new.recorded_at IS old.recorded_at)
        BEGIN SELECT RAISE(ABORT, 'the reward log is append-only'); END
        """
    )
    db.execute(
        """
        CREATE TRIGGER reward_log_append_only_delete BEFORE DELETE ON reward_log
        BEGIN SELECT RAISE(ABORT, 'the reward log is append-only'); END
        """
    )
    # Derived: the ledger, one row per reward (store/rewards.py keeps it).
    # Keyed by its text id alone (WITHOUT ROWID: one B-tree fewer per write).
    db.execute(f"CREATE TABLE rewards ({_REWARD_COLUMNS}) WITHOUT ROWID")
    # Lists go newest first: (earned_at, id) descending, under each filter.
    db.execute("CREATE INDEX rewards_earned ON rewards(earned_at, id)")
    db.execute("CREATE INDEX rewards_person ON rewards(person_id, earned_at, id)")
    db.execute("CREATE INDEX rewards_state ON rewards(state, earned_at, id)")
    # A customer's rewards are a range of ids (rw_<customer>_...): no index.
    db.execute(
        "CREATE INDEX rewards_due ON rewards(due_at) "
        "WHERE state = 'pending' AND held = 0"
    )
    # A referrer's month under a cap, by state, in the order wom learned of
    # them: only rewards of a rule with a cap.
    db.execute(
        "CREATE INDEX rewards_cap ON rewards(referrer_id, side, cap_month, state, "
        "known_at, earned_at, customer_id) WHERE live = 1 AND cap IS NOT NULL"
    )
    db.execute(
        "CREATE INDEX rewards_clawback ON rewards(earned_at, id) WHERE clawback = 1"
    )
    # Derived: the totals by state (and 'clawback'), kept with the ledger (each
    # write adds what it changed) so that the dashboard reads a handful of
    # rows, never the ledger.
    db.execute(
        """
        CREATE TABLE reward_totals (
            state TEXT NOT NULL,
            currency TEXT NOT NULL,
            rewards INTEGER NOT NULL,
            amount INTEGER NOT NULL,
            perks INTEGER NOT NULL,
            PRIMARY KEY (state, currency)
        ) WITHOUT ROWID
        """
    )
