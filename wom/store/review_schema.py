"""After the click runs and the webhooks on the store's one list of migrations
(``schema.migrations``): a click flood's decision kept on its flag like every
other, and the state of a chunked re-derivation (``store/rederivation.py``)."""

from __future__ import annotations

from sqlite_utils import Database

from .schema import migrations

__all__: list[str] = []


@migrations(name="0015_flag_decisions_on_flags")
def _flag_decisions_on_flags(db: Database) -> None:
    # A decision on a flag about no credit (a click flood) was kept apart; every
    # flag keeps its own now.
    db.execute(
        """
        UPDATE flags SET
            status = (SELECT decision FROM flag_reviews d WHERE d.key = flags.key),
            decided_at = (SELECT decided_at FROM flag_reviews d
                          WHERE d.key = flags.key)
        WHERE key IN (SELECT key FROM flag_reviews)
        """
    )
    db.execute("DROP TABLE flag_reviews")


@migrations(name="0016_chunked_rederivation")
def _chunked_rederivation(db: Database) -> None:
    db.execute(
        """
        -- A switch of the attribution rule or window re-derives every credit in
        -- chunks, each its own short write transaction: where it stands (one row).
        CREATE TABLE rederivation (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            rule TEXT NOT NULL,
            window_days INTEGER NOT NULL,
            -- The last customer id re-derived; the next chunk starts above it.
            cursor INTEGER NOT NULL,
            done INTEGER NOT NULL,
            total INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            finished_at INTEGER
        )
        """
    )
