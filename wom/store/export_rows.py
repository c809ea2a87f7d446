"""Whole tables for the owner's exports, a chunk at a time.

Each reader pages by key (``id > last``), so a million-person export never holds
more than one chunk of rows. Run them inside ``Store.snapshot()``: every chunk
then sees the database as one commit left it. Times are in microseconds, money in
minor units.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlite_utils import Database

__all__ = ["CHUNK", "edge_chunks", "node_chunks", "people_chunks"]

CHUNK = 5_000


def _chunks(
    db: Database, sql: str, chunk: int, key, after: tuple
) -> Iterator[list[tuple]]:
    """The rows of ``sql`` (which pages after a key, then takes a limit) one
    chunk at a time; ``key(row)`` is the key a row ends its chunk with."""
    while rows := db.execute(sql, [*after, chunk]).fetchall():
        yield rows
        after = key(rows[-1])


def people_chunks(db: Database, chunk: int = CHUNK) -> Iterator[list[tuple]]:
    """Every person, by internal id: ``(id, external_id, name, email, status,
    acquired_at, acquired_via, referrer's external id, credit status, value)``."""
    sql = """
        SELECT p.id, p.external_id, i.name, i.email, p.status, p.acquired_at,
               p.acquired_via, r.external_id, c.status,
               coalesce((SELECT sum(value) FROM purchases u
                         WHERE u.person_id = p.id), 0)
        FROM people p
        LEFT JOIN identities i ON i.person_id = p.id
        LEFT JOIN credits c ON c.customer_id = p.id
        LEFT JOIN people r ON r.id = c.referrer_id
        WHERE p.id > ? ORDER BY p.id LIMIT ?
    """
    return _chunks(db, sql, chunk, lambda row: (row[0],), (0,))


def node_chunks(db: Database, chunk: int = CHUNK) -> Iterator[list[tuple]]:
    """Every person, by internal id: ``(id, external_id, name)``; the rest of a
    node is the analytics service's (``wom.service.graph_export``)."""
    sql = """
        SELECT p.id, p.external_id, i.name
        FROM people p LEFT JOIN identities i ON i.person_id = p.id
        WHERE p.id > ? ORDER BY p.id LIMIT ?
    """
    return _chunks(db, sql, chunk, lambda row: (row[0],), (0,))


def edge_chunks(db: Database, chunk: int = CHUNK) -> Iterator[list[tuple]]:
    """Every conversation's key, ``(talker id, listener id)``, in key order (one
    range of the primary key per chunk)."""
    sql = """
        SELECT talker_id, listener_id FROM touches
        WHERE (talker_id, listener_id) > (?, ?)
        ORDER BY talker_id, listener_id LIMIT ?
    """
    return _chunks(db, sql, chunk, lambda row: row, (0, 0))
