"""At least once, through a crash: SIGKILL a real gunicorn while its deliveries
are in flight, restart it, and every message of the outbox reaches the receiver
(verified with ``standardwebhooks``), each always under its one webhook-id."""

from __future__ import annotations

import sqlite3
import threading
import time

import orjson
import pytest

from bench.api_setup import Server
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.slow

CUSTOMERS = 120


def messages(path) -> dict[int, str]:
    """Every message in the file (id -> data), read by a separate connection."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT id, data FROM webhook_messages"))
    finally:
        db.close()


def delivered(path) -> int:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(
            "SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'"
        ).fetchone()[0]
    finally:
        db.close()


def prefix(path) -> str:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "msg_" + db.execute("SELECT instance FROM webhook_state").fetchone()[0]
    finally:
        db.close()


def test_a_crash_during_delivery_loses_no_message(tmp_path):
    gate = threading.Event()
    with Receiver(gate=gate) as receiver:
        server = Server(tmp_path, threads=4)
        server.env["WOM_WEBHOOK_ALLOW_LOOPBACK"] = "1"
        server.flask("init-db")
        token = server.flask("create-token", "ops", "--scope", "admin")
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        }
        path = tmp_path / "wom.db"
        server.start()
        try:
            body = {"url": receiver.url, "events": ["customer.created"]}
            status, answer = server.request(
                "POST", "/api/v1/webhooks", orjson.dumps(body), headers
            )
            assert status == 201, answer
            receiver.secrets.append(orjson.loads(answer)["secret"])
            events = [
                {"type": "signup", "customer": f"c{i}", "at": "2026-01-01T00:00:00Z"}
                for i in range(CUSTOMERS)
            ]
            status, answer = server.request(
                "POST", "/api/v1/events", orjson.dumps({"events": events}), headers
            )
            assert status == 200, answer
            # The worker has tries in flight, held at the receiver's gate.
            assert receiver.arrived.wait(30), "no delivery started"
            server.kill()
            assert delivered(path) == 0
            gate.set()
            server.start()
            deadline = time.monotonic() + 120
            while delivered(path) < CUSTOMERS:
                assert time.monotonic() < deadline, "the deliveries never finished"
                time.sleep(0.1)
        finally:
            gate.set()
            if server.process is not None:
                server.stop()
        stored = messages(path)
        first = prefix(path)
        assert len(stored) == CUSTOMERS
        expected = {
            f"{first}{message:x}": payload for message, payload in stored.items()
        }
        received = receiver.delivered
        assert {r.message_id for r in received} == set(expected)
        assert all(
            orjson.loads(r.body)["data"] == orjson.loads(expected[r.message_id])
            for r in received
        )
        assert all(r.verified for r in receiver.receipts)
        # The tries cut off by the crash were sent again, under the same ids.
        assert len(receiver.receipts) > CUSTOMERS
