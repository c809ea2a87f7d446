"""One webhook try over the wire: a POST to a checked address, under one deadline.

It connects to an address the policy checked (``Target``), never to a name, so
nothing is resolved here; for https the TLS handshake sends the URL's host as SNI
and verifies the certificate for it. Every step (connect, handshake, send, read)
runs on a non-blocking socket against one total deadline, so a receiver that
answers a byte at a time cannot hold a try past it. No proxy variable is read, no
redirect followed (a 3xx is a failure), and of the answer only the status line,
at most 8 KB of headers and the first 1 KB of the body are read.
"""

from __future__ import annotations

import errno
import selectors
import socket
import ssl
import time
from dataclasses import dataclass

from .addresses import Target

__all__ = ["DEADLINE_SECONDS", "EXCERPT_BYTES", "Answer", "post"]

DEADLINE_SECONDS = 5.0
EXCERPT_BYTES = 1024
HEAD_BYTES = 8192
USER_AGENT = "wom-webhooks/1"


@dataclass(frozen=True)
class Answer:
    """What one try got: the HTTP status (None when none came), at most 1 KB of
    the body, what went wrong, and how long it took in milliseconds."""

    status: int | None
    excerpt: str | None
    error: str | None
    latency_ms: int


class _Late(Exception):
    """The try's deadline passed."""


def _wait(sock: socket.socket, write: bool, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Late
    with selectors.DefaultSelector() as selector:
        selector.register(
            sock, selectors.EVENT_WRITE if write else selectors.EVENT_READ
        )
        if not selector.select(left):
            raise _Late


def _connect(target: Target, deadline: float) -> socket.socket:
    failure: OSError | None = None
    for family, address in target.addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            code = sock.connect_ex((address, target.port))
            if code not in (0, errno.EINPROGRESS):
                raise OSError(code, f"connect to {address}: {errno.errorcode[code]}")
            _wait(sock, True, deadline)
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, f"connect to {address}: {errno.errorcode[code]}")
            return sock
        except OSError as exc:
            sock.close()
            failure = exc
        except BaseException:
            sock.close()
            raise
    raise failure or OSError("no address to connect to")


def _tls(sock: socket.socket, host: str, context, deadline: float) -> ssl.SSLSocket:
    wrapped = context.wrap_socket(
        sock, server_hostname=host, do_handshake_on_connect=False
    )
    try:
        while True:
            try:
                wrapped.do_handshake()
                return wrapped
            except ssl.SSLWantReadError:
                _wait(wrapped, False, deadline)
            except ssl.SSLWantWriteError:
                _wait(wrapped, True, deadline)
    except BaseException:
        wrapped.close()  # it holds the connection now, not ``sock``
        raise


def _send(sock: socket.socket, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[sock.send(view) :]
        except (BlockingIOError, ssl.SSLWantWriteError):
            _wait(sock, True, deadline)
        except ssl.SSLWantReadError:
            _wait(sock, False, deadline)


def _read(sock: socket.socket, deadline: float) -> bytes:
    """The status line, headers and at most EXCERPT_BYTES of body: until the end
    of the stream, the body's Content-Length, or the limit. Once the head is in,
    the deadline ends the excerpt rather than the try."""
    got = bytearray()
    limit = HEAD_BYTES
    head = -1
    while len(got) < limit:
        try:
            chunk = sock.recv(limit - len(got))
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError) as exc:
            try:
                _wait(sock, isinstance(exc, ssl.SSLWantWriteError), deadline)
            except _Late:
                if head < 0:
                    raise
                break
            continue
        if not chunk:
            break
        got += chunk
        if head < 0 and (head := got.find(b"\r\n\r\n")) >= 0:
            limit = head + 4 + min(EXCERPT_BYTES, _length(got[:head]))
    return bytes(got)


def _length(head: bytes) -> int:
    """The Content-Length a head gives, or EXCERPT_BYTES when it gives none."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return int(value.strip())
    return EXCERPT_BYTES


def _parse(raw: bytes) -> tuple[int, str]:
    line, _, rest = raw.partition(b"\r\n")
    parts = line.split()
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise ValueError("the answer is not HTTP")
    _, _, body = rest.partition(b"\r\n\r\n")
    return int(parts[1]), body[:EXCERPT_BYTES].decode("utf-8", "replace")


def _request(target: Target, body: bytes, headers: dict[str, str]) -> bytes:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    if target.port != default:
        host += f":{target.port}"
    lines = [
        f"POST {target.path} HTTP/1.1",
        f"Host: {host}",
        f"User-Agent: {USER_AGENT}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def post(
    target: Target,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float = DEADLINE_SECONDS,
    tls: ssl.SSLContext | None = None,
) -> Answer:
    """POST ``body`` to ``target`` within ``timeout`` seconds in all; never raises
    for what the network or the receiver does."""
    started = time.monotonic()
    deadline = started + timeout
    status = excerpt = error = None
    sock = None
    try:
        sock = _connect(target, deadline)
        if target.scheme == "https":
            sock = _tls(
                sock, target.host, tls or ssl.create_default_context(), deadline
            )
        _send(sock, _request(target, body, headers), deadline)
        status, excerpt = _parse(_read(sock, deadline))
    except _Late:
        error = f"no complete answer within {timeout:g} s"
    except ssl.SSLError as exc:
        error = f"TLS: {exc.reason or exc}"
    except (OSError, ValueError) as exc:
        error = str(exc) or type(exc).__name__
    finally:
        if sock is not None:
            sock.close()
    latency = round((time.monotonic() - started) * 1000)
    return Answer(status, excerpt, error, latency)
