"""A webhook receiver on loopback for the abuse checks, answering each delivery
as it is told: with a payload (what the Webhooks page then shows), or with the
body it got (a receiver that echoes, whose answer wom keeps)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["Receiver"]


class Receiver(ThreadingHTTPServer):
    """``with Receiver(answer) as receiver:`` serves ``receiver.url``; each POST
    gets ``answer(n, body) -> (status, bytes)``, n counting from 0."""

    daemon_threads = True

    def __init__(self, answer: Callable[[int, bytes], tuple[int, bytes]]):
        self.count = 0
        lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    n, server.count = server.count, server.count + 1
                status, data = answer(n, body)
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_port}/hooks"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()
