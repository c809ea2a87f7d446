"""A real webhook receiver for the tests: an HTTP server on loopback, in a thread,
that verifies every request's signature with the ``standardwebhooks`` library
(as a receiver would) and answers the statuses it is told to, in turn."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError

__all__ = ["Receipt", "Receiver", "loopback_app", "verifies"]


def loopback_app(monkeypatch, db_path):
    """A test app of a process started with WOM_WEBHOOK_ALLOW_LOOPBACK=1 (for a
    module's ``app`` fixture to yield from)."""
    from tests.conftest import app_config
    from wom import create_app

    monkeypatch.setenv("WOM_WEBHOOK_ALLOW_LOOPBACK", "1")
    app = create_app(app_config(db_path))
    yield app
    app.extensions["wom.store"].close()


def verifies(secrets: list[str], headers: dict, body: bytes) -> bool:
    """Whether ``standardwebhooks`` accepts the request under any of ``secrets``."""
    for secret in secrets:
        try:
            Webhook(secret).verify(body, headers)
            return True
        except WebhookVerificationError:
            continue
    return False


@dataclass
class Receipt:
    """One request as the receiver saw it."""

    message_id: str
    headers: dict
    body: bytes
    verified: bool
    answered: int


@dataclass
class Receiver:
    """``with Receiver() as receiver:`` serves ``receiver.url`` until the block ends.

    ``secrets`` are the endpoint secrets a request may verify under (any one);
    ``statuses`` are answered in turn, then 200 for good; each answer waits
    ``delay`` seconds first (a slow receiver keeps tries in flight).
    """

    secrets: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    path: str = "/hooks/wom"
    receipts: list[Receipt] = field(default_factory=list)
    # While set and closed, every request waits at it before being answered.
    gate: threading.Event | None = None
    delay: float = 0.0

    def __post_init__(self):
        self._lock = threading.Lock()
        self.arrived = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner._take(dict(self.headers.items()), body, self)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            # The default backlog of 5 drops connections from wom's 8 senders,
            # and each drop costs a second's SYN retry.
            request_queue_size = 128

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}{self.path}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _take(self, headers: dict, body: bytes, handler) -> None:
        self.arrived.set()
        if self.gate is not None:
            self.gate.wait(60)
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            status = self.statuses.pop(0) if self.statuses else 200
            self.receipts.append(
                Receipt(
                    headers.get("webhook-id", ""),
                    headers,
                    body,
                    verifies(self.secrets, headers, body),
                    status,
                )
            )
        answer = b"thanks" if status < 300 else b"not now"
        try:
            handler.send_response(status)
            handler.send_header("Content-Length", str(len(answer)))
            handler.end_headers()
            handler.wfile.write(answer)
        except (BrokenPipeError, ConnectionResetError):
            # The sender is gone (the crash check kills wom mid-delivery): the
            # receipt stands, and wom, restarted, sends the message again.
            pass

    @property
    def delivered(self) -> list[Receipt]:
        """The verified requests answered with a 2xx."""
        return [r for r in self.receipts if r.verified and 200 <= r.answered < 300]
