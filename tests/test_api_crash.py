"""The crash test of docs/reliability.md: SIGKILL the server during bulk ingest,
restart it, and retry every unacknowledged batch with its key. Every acknowledged
event is then present exactly once and the file passes integrity_check. Without
Idempotency-Key the same run stores a batch twice: the test can fail."""

from __future__ import annotations

import socket
import sqlite3
import time

import orjson
import pytest

from bench.api_setup import Server

pytestmark = pytest.mark.slow

BATCHES = 12
PER_BATCH = 300
# Sent, committed, its response never read: the batch a crash leaves in doubt.
IN_DOUBT = 6


def batch(number: int) -> bytes:
    """NDJSON of mentions whose channel names the batch and the event."""
    return b"\n".join(
        orjson.dumps(
            {
                "type": "mention",
                "from": f"talker-{i % 17}",
                "to": f"listener-{number}-{i}",
                "at": "2026-04-01T00:00:00Z",
                "channel": f"b{number}-{i}",
            }
        )
        for i in range(PER_BATCH)
    )


def send(server: Server, number: int, keyed: bool) -> socket.socket:
    """Write a whole request for one batch on a raw socket; read nothing yet."""
    body = batch(number)
    head = [
        "POST /api/v1/events HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        f"Authorization: Bearer {server.token}",
        "Content-Type: application/x-ndjson",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    if keyed:
        head.append(f"Idempotency-Key: batch-{number}")
    connection = socket.create_connection(("127.0.0.1", server.port))
    connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    return connection


def acknowledged(connection: socket.socket) -> bool:
    """Whether the server answered 200 (the batch is then durable)."""
    with connection, connection.makefile("rb") as reply:
        return reply.readline().split()[1:2] == [b"200"]


def stored(path, number: int) -> int:
    """Events of one batch in the file, read by a separate read-only connection."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(
            "SELECT count(*) FROM events WHERE channel LIKE ?", [f"b{number}-%"]
        ).fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def crash_and_retry(tmp_path, keyed: bool) -> sqlite3.Connection:
    server = Server(tmp_path)
    server.flask("init-db")
    server.token = server.flask("create-token", "importer")
    server.start()
    path = tmp_path / "wom.db"
    unacknowledged = []
    try:
        for number in range(IN_DOUBT):
            assert acknowledged(send(server, number, keyed))
        in_doubt = send(server, IN_DOUBT, keyed)
        in_flight = send(server, IN_DOUBT + 1, keyed)
        deadline = time.monotonic() + 60
        while stored(path, IN_DOUBT) < PER_BATCH:
            assert time.monotonic() < deadline, "the batch never committed"
            time.sleep(0.005)
        server.kill()
        in_doubt.close()
        in_flight.close()
        unacknowledged = list(range(IN_DOUBT, BATCHES))
        server.start()
        for number in unacknowledged:
            assert acknowledged(send(server, number, keyed))
    finally:
        if server.process is not None:
            server.stop()
    return sqlite3.connect(path)


def test_after_a_crash_every_acknowledged_event_is_stored_once(tmp_path):
    db = crash_and_retry(tmp_path, keyed=True)
    with db:
        counts = dict(db.execute("SELECT channel, count(*) FROM events GROUP BY 1"))
        assert len(counts) == BATCHES * PER_BATCH
        assert set(counts.values()) == {1}
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()


def test_without_keys_the_same_crash_stores_a_batch_twice(tmp_path):
    db = crash_and_retry(tmp_path, keyed=False)
    with db:
        twice = db.execute(
            "SELECT count(*) FROM (SELECT channel FROM events GROUP BY channel "
            "HAVING count(*) > 1)"
        ).fetchone()[0]
        assert twice >= PER_BATCH
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
