"""The soak's HTTP client sends a request again, as a browser does, only when a
reused keep-alive connection turns out closed by the server; any other failure
is the check's to count."""

from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from soak.servers import Client

ROUNDS = 8
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class ClosingServer:
    """Answers the first request on each connection, then, once the client has
    read the answer, closes the connection as a server closes an idle keep-alive
    one: with a reset (``reset``) or a FIN. ``closed`` is set when it has."""

    def __init__(self, reset: bool):
        self.reset = reset
        self.requests = 0
        self.closed = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed: the test is over
                return
            with connection:
                if not connection.recv(65536):
                    continue
                self.requests += 1
                connection.sendall(ANSWER)
                time.sleep(0.1)  # the client reads the answer
                if self.reset:  # SO_LINGER 0: close() sends RST
                    connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
            self.closed.set()

    def close(self) -> None:
        self._listener.close()


@pytest.fixture(params=[True, False], ids=["reset", "closed"])
def server(request):
    served = ClosingServer(reset=request.param)
    yield served
    served.close()


def test_a_request_on_a_connection_the_server_closed_is_sent_again(server):
    client = Client(server.port, timeout=5)
    for _ in range(ROUNDS):
        status, _, body = client.call("POST", "/decide", b"{}")
        assert (status, body) == (200, b"ok")
        assert server.closed.wait(5)
        server.closed.clear()
    client.close()
    assert server.requests == ROUNDS  # each sent once to a server that answered it


def test_a_fresh_connection_that_fails_is_not_sent_again():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
    client = Client(port, timeout=5)  # nothing listens there any more
    with pytest.raises(ConnectionRefusedError):
        client.call("GET", "/")
