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

_VALUE = "coalesce((SELECT sum(value) FROM purchases u WHERE u.person_id = p.id), 0)"


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
    sql = f"""
        SELECT p.id, p.external_id, i.name, i.email, p.status, p.acquired_at,
               p.acquired_via, r.external_id, c.status, {_VALUE}
        FROM people p
        LEFT JOIN identities i ON i.person_id = p.id
        LEFT JOIN credits c ON c.customer_id = p.id
        LEFT JOIN people r ON r.id = c.referrer_id
        WHERE p.id > ? ORDER BY p.id LIMIT ?
    """
    return _chunks(db, sql, chunk, lambda row: (row[0],), (0,))


def node_chunks(db: Database, chunk: int = CHUNK) -> Iterator[list[tuple]]:
    """Every person as a node of the conversation graph, by internal id:
    ``(id, external_id, name, status, acquired_via, acquired_at, first heard of
    us (the earliest conversation they were told in), value)``."""
    sql = f"""
        SELECT p.id, p.external_id, i.name, p.status, p.acquired_via, p.acquired_at,
               (SELECT min(t.first_at) FROM touches t WHERE t.listener_id = p.id),
               {_VALUE}
        FROM people p LEFT JOIN identities i ON i.person_id = p.id
        WHERE p.id > ? ORDER BY p.id LIMIT ?
    """
    return _chunks(db, sql, chunk, lambda row: (row[0],), (0,))


def edge_chunks(db: Database, chunk: int = CHUNK) -> Iterator[list[tuple]]:
    """Every conversation (talker -> listener) in key order: ``(talker id,
    listener id, talker's external id, listener's, kinds, touches, first_at,
    last_at, converted, credited)``; credited is whether the talker holds the
    listener's counted credit."""
    sql = """
        SELECT t.talker_id, t.listener_id, a.external_id, b.external_id, t.kinds,
               t.touches, t.first_at, t.last_at, t.converted,
               EXISTS (SELECT 1 FROM credits c WHERE c.customer_id = t.listener_id
                       AND c.referrer_id = t.talker_id AND c.status = 'credited')
        FROM touches t
        JOIN people a ON a.id = t.talker_id
        JOIN people b ON b.id = t.listener_id
        WHERE (t.talker_id, t.listener_id) > (?, ?)
        ORDER BY t.talker_id, t.listener_id LIMIT ?
    """
    return _chunks(db, sql, chunk, lambda row: (row[0], row[1]), (0, 0))
