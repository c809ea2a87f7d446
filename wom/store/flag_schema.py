"""Review flags that name their credits and keep their own decision: a migration
registered between 0010 and 0011 on the store's one list (``schema.migrations``),
since 0011 derives credits, and today's derivation keeps flags this way."""

from __future__ import annotations

from sqlite_utils import Database

from .schema import migrations

__all__: list[str] = []


@migrations(name="0010b_flags_name_credits")
def _flags_name_credits(db: Database) -> None:
    # A flag names the credits (customer, referrer) it is about when it is raised,
    # and keeps the owner's decision itself: a decision applies to those credits
    # alone, and survives the background reruns that raise the graph's findings
    # (``finding`` is what was found, stable across runs; the key names one flag).
    db.execute("ALTER TABLE flags ADD COLUMN finding TEXT")
    db.execute(
        "ALTER TABLE flags ADD COLUMN status TEXT NOT NULL DEFAULT 'open' "
        "CHECK (status IN ('open', 'approved', 'voided'))"
    )
    db.execute("ALTER TABLE flags ADD COLUMN decided_at INTEGER")
    db.execute(
        """
        CREATE TABLE flag_credits (
            flag_key TEXT NOT NULL REFERENCES flags(key) ON DELETE CASCADE,
            customer_id INTEGER NOT NULL REFERENCES people(id),
            referrer_id INTEGER NOT NULL REFERENCES people(id),
            PRIMARY KEY (flag_key, customer_id, referrer_id)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX flag_credits_customer ON flag_credits(customer_id)")
    db.execute("CREATE INDEX flag_credits_referrer ON flag_credits(referrer_id)")
    db.execute("CREATE INDEX flags_finding ON flags(finding)")
    db.execute("CREATE INDEX flags_status ON flags(status, key)")
    db.execute("CREATE INDEX flags_kind_status ON flags(kind, status, key)")
    # Decisions so far were kept per credit only: a flag about a reviewed credit
    # takes that decision. The graph's undecided findings go; the next background
    # run raises them again under the new identities.
    db.execute(
        """
        UPDATE flags SET
            status = (SELECT decision FROM reviews v WHERE v.customer_id =
                      flags.customer_id AND v.referrer_id = flags.referrer_id),
            decided_at = (SELECT decided_at FROM reviews v WHERE v.customer_id =
                          flags.customer_id AND v.referrer_id = flags.referrer_id)
        WHERE EXISTS (SELECT 1 FROM reviews v WHERE v.customer_id = flags.customer_id
                      AND v.referrer_id = flags.referrer_id)
        """
    )
    db.execute(
        "DELETE FROM flags WHERE kind IN ('ring', 'reciprocal', 'burst') "
        "AND status = 'open'"
    )
    db.execute(
        "UPDATE flags SET finding = key WHERE kind IN ('ring', 'reciprocal', 'burst')"
    )
    db.execute(
        "INSERT INTO flag_credits SELECT key, customer_id, referrer_id FROM flags "
        "WHERE customer_id IS NOT NULL AND referrer_id IS NOT NULL"
    )
