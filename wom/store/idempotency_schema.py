"""The idempotency records' people (0012): which people each stored response
names, so that erasure redacts by reference. Registered on the store's one list of
migrations (``schema.migrations``) after 0011."""

from __future__ import annotations

from sqlite_utils import Database

from .schema import migrations

__all__: list[str] = []


@migrations(name="0012_idempotency_people")
def _idempotency_people(db: Database) -> None:
    from .idempotency import link_stored_responses

    # Which people each stored response names, by reference: erasing one redacts
    # exactly those responses (never a search of every response for a string),
    # and marks them, so that a retry of their request answers 410. Statement by
    # statement, in the migration's transaction (executescript would commit).
    db.execute(
        "ALTER TABLE idempotency_keys ADD COLUMN erased INTEGER NOT NULL DEFAULT 0"
    )
    db.execute(
        """
        CREATE TABLE idempotency_people (
            person_id INTEGER NOT NULL REFERENCES people(id),
            token_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            PRIMARY KEY (person_id, token_id, key),
            FOREIGN KEY (token_id, key) REFERENCES idempotency_keys(token_id, key)
                ON DELETE CASCADE
        ) WITHOUT ROWID
        """
    )
    db.execute(
        "CREATE INDEX idempotency_people_key ON idempotency_people(token_id, key)"
    )
    link_stored_responses(db)
