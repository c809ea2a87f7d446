"""Erasure: a person's identifying data leaves the store and the disk.

The identifying fields and free text go, the node keeps its place in both graphs
under a random pseudonym (no mapping is kept), and the file and its WAL are
scrubbed so that the bytes are gone too (docs/reliability.md, Privacy).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable

from sqlite_utils import Database

from ..emails import looks_like_email, normalise_email
from ..names import normalise_name
from .connection import BUSY_TIMEOUT_MS, Store
from .idempotency import redact_person
from .people import person_id
from .reward_decisions import forget_reward_notes
from .webhook_privacy import redact_from_webhooks

__all__ = ["CHECKPOINT_WAIT_MS", "SCRUB_RETRY_SECONDS", "erase", "scrub"]

log = logging.getLogger(__name__)

# How long the checkpoint after an erasure waits for readers, and how often it is
# tried again in the background when one still holds old frames.
CHECKPOINT_WAIT_MS = 2_000
SCRUB_RETRY_SECONDS = 5.0


def erase(
    store: Store,
    external_id: str,
    *,
    within: Callable[[Database], None] | None = None,
) -> str:
    """Erase a person (docs/reliability.md, Erasure); return the random pseudonym.

    Names, emails, free-text answers and share secrets are deleted, answers that
    name the person are blanked, stored API responses that name them are redacted
    (and a retry of their request answers 410), and the node is renamed with no
    mapping kept. Every count, edge and credit stays, so aggregate figures do not
    change. Then ``scrub`` removes the old bytes from the file and the WAL.
    ``within(db)`` runs before COMMIT.
    """
    pseudonym = "erased-" + secrets.token_hex(8)
    with store.write() as db:
        # Zero freed cells as they go; VACUUM below rewrites whatever is left.
        db.execute("PRAGMA secure_delete = ON")
        pid = person_id(db, external_id)
        redact_from_webhooks(db, pid, external_id, pseudonym)
        identity = db.execute(
            "SELECT email_normalised, name_normalised FROM identities "
            "WHERE person_id = ?",
            [pid],
        ).fetchone()
        email_key, name_key = identity or (None, None)
        db.execute("DELETE FROM identities WHERE person_id = ?", [pid])
        db.execute("DELETE FROM answers WHERE person_id = ?", [pid])
        db.execute("UPDATE answers SET text = '' WHERE resolved_id = ?", [pid])
        _blank_answers_naming(db, email_key, name_key)
        db.execute("DELETE FROM shares WHERE person_id = ?", [pid])
        forget_reward_notes(db, pid)
        # Only the stored API responses that name the person, found by reference.
        redact_person(db, pid, external_id, pseudonym)
        db.execute("UPDATE people SET external_id = ? WHERE id = ?", [pseudonym, pid])
        db.changes.people.add(pid)
        if within is not None:
            within(db)
    if not scrub(store):
        _scrub_later(store)
    return pseudonym


def _blank_answers_naming(
    db: Database, email_key: str | None, name_key: str | None
) -> None:
    """Blank the unresolved answers that name the person, by email or full name
    (typed before they were a customer, or matching several people)."""
    naming = []
    for answer_id, text in db.execute(
        "SELECT id, text FROM answers WHERE resolved_id IS NULL AND text != ''"
    ):
        text = text.strip()
        if looks_like_email(text):
            named = email_key is not None and normalise_email(text) == email_key
        else:
            named = name_key is not None and normalise_name(text) == name_key
        if named:
            naming.append((answer_id,))
    db.conn.executemany("UPDATE answers SET text = '' WHERE id = ?", naming)


def scrub(store: Store) -> bool:
    """Rewrite the database and empty its WAL, so deleted bytes leave the disk.

    VACUUM copies only live rows into fresh pages, and a TRUNCATE checkpoint
    copies them into the file and empties the WAL. A reader still using old frames
    keeps the WAL: then this returns False, having waited ``CHECKPOINT_WAIT_MS``.
    """
    with store.write() as db:
        # The writer lock is held for the whole scrub; leave the open transaction
        # for VACUUM, which cannot run inside one, and begin again at the end.
        db.execute("COMMIT")
        try:
            db.execute("VACUUM")
            db.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
            busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA secure_delete = OFF")
            db.execute("BEGIN IMMEDIATE")
    return not busy


def _scrub_later(store: Store) -> None:
    """Retry the scrub in the background until no reader holds old frames."""

    def retry() -> None:
        while True:
            time.sleep(SCRUB_RETRY_SECONDS)
            try:
                if scrub(store):
                    return
            except Exception:  # a closed store, a full disk: log and give up
                log.exception("scrubbing %s after an erasure failed", store.path)
                return
            log.warning("a reader still holds old WAL frames of %s", store.path)

    threading.Thread(target=retry, name="wom-scrub", daemon=True).start()
