"""What the soak's checks run against: wom under gunicorn, the README's way, on a
real SQLite file of its own, and plain HTTP clients on loopback.

``Wom`` is ``bench.api_setup.Server`` (gunicorn gthread, one worker, eight
threads, its own process group so that a SIGKILL takes every process it made)
with what a check needs besides: the store prepared in this process before the
start (tokens, an owner, rate limits raised for one loopback address, which the
table then says), loopback webhooks allowed, the server's output kept in a file
to read, the time each start took to ``/readyz``, and the worker's peak RSS.
"""

from __future__ import annotations

import http.client
import math
import re
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlencode

import orjson

from bench.api_setup import Server
from wom.store import Store, accounts, now_micros
from wom.store.settings import write_setting

__all__ = [
    "LIMITS_NOTE",
    "OWNER_EMAIL",
    "OWNER_PASSWORD",
    "SEED_LINK",
    "TRACEBACKS_KEPT",
    "Client",
    "Wom",
    "csrf_token",
    "percentile",
    "read_only",
]

OWNER_EMAIL = "owner@soak.example"
OWNER_PASSWORD = "soak owner passphrase"
# Every client of the soak comes from 127.0.0.1: the per-IP and per-token limits
# are raised, or the checks would measure the limiter.
RAISED = "1000000 per minute"
LIMITS_NOTE = "rate limits raised for loopback"
SEED_LINK = "k7m2xq9a"
#: Where every server traceback a check met is kept whole (ignored by git).
TRACEBACKS_KEPT = Path("soak-tracebacks.log")
_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: bytes) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html.decode("utf-8", "replace"))
    if found is None:
        raise RuntimeError("the page has no form with a CSRF token")
    return found[1]


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` from 0 to 1) of ``values``.

    >>> percentile([5, 1, 4, 2, 3], 0.5), percentile([5, 1, 4, 2, 3], 0.99)
    (3, 5)
    """
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to a database a server may be writing."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)


class Wom(Server):
    """wom under gunicorn on a fresh database in ``folder``."""

    def __init__(self, folder: Path, threads: int = 8):
        super().__init__(folder, threads)
        self.env["WOM_WEBHOOK_ALLOW_LOOPBACK"] = "1"
        self.path = folder / "wom.db"
        self.log_path = folder / "gunicorn.log"
        self.tokens: dict[str, str] = {}
        self.starts: list[float] = []

    def prepare(self, *, owner: bool = False, raise_limits: bool = True) -> None:
        """Migrate the store and make a token of each scope (``read``, ``write``,
        ``admin``) and the owner, in this process, before the server holds the
        file's lock."""
        store = Store(self.path)
        try:
            store.migrate()
            with store.write() as db:
                now = now_micros()
                for scope in accounts.SCOPES:
                    self.tokens[scope] = accounts.create_token(
                        db, f"soak-{scope}", scope=scope, now=now
                    )
                if raise_limits:
                    for key in ("signup_rate_limit", "api_rate_limit"):
                        write_setting(db, key, RAISED)
                if owner:
                    hashed = accounts.password_hash(OWNER_PASSWORD)
                    accounts.create_owner(db, OWNER_EMAIL, hashed, now)
        finally:
            store.close()

    def start(self) -> None:
        """Start gunicorn, its output appended to ``log_path``, and wait until
        /readyz says ready; the seconds that took are kept in ``starts``."""
        started = time.perf_counter()
        with open(self.log_path, "ab") as output:
            self.output = output
            super().start()
        self.starts.append(time.perf_counter() - started)

    def log_text(self) -> str:
        """Everything the server printed so far."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text("utf-8", "replace")

    def tracebacks(self) -> list[str]:
        """Each traceback the server printed, by its last line (the exception).

        Each is also appended whole, with the line before it, to
        ``TRACEBACKS_KEPT`` (the server's folder is temporary): the last line
        names a failure, the whole says where it came from.
        """
        found, whole = [], []
        lines = self.log_text().splitlines()
        for number, line in enumerate(lines):
            if line.startswith("Traceback (most recent call last)"):
                rest = lines[number + 1 :]
                end = next(
                    (
                        i
                        for i, x in enumerate(rest)
                        if x and not x.startswith((" ", "\t"))
                    ),
                    len(rest) - 1,
                )
                last = rest[end] if rest else "?"
                before = lines[number - 1] if number else ""
                if _socket_gone(before, last):
                    continue
                found.append(last.strip()[:200])
                whole.append("\n".join([before, line, *rest[: end + 1]]))
        if whole:
            with open(TRACEBACKS_KEPT, "a", encoding="utf-8") as kept:
                kept.write("\n\n".join(whole) + "\n\n")
        return found

    def worker_pid(self) -> int:
        """The gunicorn worker's process id."""
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text()
        return int(children.split()[0])

    def peak_rss_mib(self) -> float:
        """The worker's peak resident set so far (VmHWM), in MiB."""
        status = Path(f"/proc/{self.worker_pid()}/status").read_text()
        kib = int(re.search(r"VmHWM:\s+(\d+) kB", status)[1])
        return round(kib / 1024, 1)

    def size(self) -> str:
        """The database's size, as the table states it: events, people, MB."""
        with read_only(self.path) as db:
            events = db.execute("SELECT count(*) FROM events").fetchone()[0]
            people = db.execute("SELECT count(*) FROM people").fetchone()[0]
        megabytes = (
            sum(
                p.stat().st_size
                for p in self.path.parent.glob("wom.db*")
                if p.is_file()
            )
            / 1e6
        )
        return f"{events:,} events, {people:,} people, {megabytes:.1f} MB"

    def auth(self, scope: str = "write") -> dict:
        """The header that carries the token of ``scope``."""
        return {"Authorization": f"Bearer {self.tokens[scope]}"}

    def api(self, method: str, path: str, body=None, scope: str = "admin"):
        """One call of /api/v1 with the token of ``scope``, ``body`` sent as
        JSON; its answer decoded. A failure is the harness's: RuntimeError."""
        headers = self.auth(scope) | {"Content-Type": "application/json"}
        sent = None if body is None else orjson.dumps(body)
        status, answer = self.request(method, "/api/v1" + path, sent, headers)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {answer[:300]!r}")
        return orjson.loads(answer) if answer else None

    def seed(self, events: list[dict], receiver_url: str) -> tuple[str, dict]:
        """Post ``events`` (c-1001 signed up with c1001@gmail.com among them),
        give c-1001 the link ``SEED_LINK`` and sign c-1003 up through it with
        c-1001's own address again (a self-referral flag), and subscribe an
        endpoint at ``receiver_url`` to new customers: the flag's id and the
        endpoint as made (its secret with it)."""
        self.api("POST", "/events", {"events": events})
        self.api("POST", "/customers/c-1001/links", {"code": SEED_LINK})
        again = {"type": "signup", "customer": "c-1003", "link": SEED_LINK,
                 "at": events[0]["at"], "email": "c1001+again@gmail.com"}  # fmt: skip
        self.api("POST", "/events", again)
        flag = self.api("GET", "/flags")["items"][0]["id"]
        subscribe = {"url": receiver_url, "events": ["customer.created"]}
        return flag, self.api("POST", "/webhooks", subscribe)

    def client(self) -> Client:
        """A new keep-alive client of this server."""
        return Client(self.port)


class Client:
    """One keep-alive HTTP connection with a cookie jar, as one browser or one
    API client uses it; a connection that breaks is opened again next time."""

    def __init__(self, port: int, timeout: float = 60):
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._connection: http.client.HTTPConnection | None = None

    def _exchange(self, method: str, path: str, body, headers: dict):
        """Send one request on the open connection (opened if need be) and read
        the whole answer; the connection is closed when that fails."""
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=self.timeout
            )
        try:
            self._connection.request(method, path, body=body, headers=headers)
            response = self._connection.getresponse()
            return response, response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict | None = None,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request: (status, headers, body). Raises OSError (and
        http.client's errors) when the connection fails."""
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        reused = self._connection is not None
        try:
            response, answer = self._exchange(method, path, body, sent)
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            self.close()
            if not reused:
                raise
            # The server closed the idle keep-alive connection before or as the
            # request left (gunicorn's keepalive is 2 s): nothing was answered,
            # so a browser sends it again on a new connection, and so does this.
            response, answer = self._exchange(method, path, body, sent)
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "max-age=0" not in cookie.lower():
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        if response.will_close:
            self.close()
        return response.status, response.headers, answer

    def form(self, path: str, fields: dict) -> tuple:
        """POST ``fields`` as a form: (status, headers, body)."""
        body = urlencode(fields).encode()
        return self.call(
            "POST",
            path,
            body,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def log_in(self) -> None:
        """Log in as the soak's owner (the login form, with its CSRF token)."""
        _, _, page = self.call("GET", "/login")
        status, _, answer = self.form(
            "/login",
            {
                "csrf_token": csrf_token(page),
                "email": OWNER_EMAIL,
                "password": OWNER_PASSWORD,
            },
        )
        if status != 303:
            raise RuntimeError(f"the owner could not log in: {status} {answer[:200]}")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


# gunicorn's gthread worker logs a traceback when a keep-alive socket is gone
# under it (benoitc/gunicorn#3013): a client that hung up, not an error of
# wom's; what the client saw is counted by the checks' own error figures.
_SOCKET_GONE = ("Bad file descriptor", "Broken pipe", "Connection reset by peer")


def _socket_gone(before: str, exception: str) -> bool:
    """Whether a traceback is gunicorn's own about a client's vanished socket.

    >>> _socket_gone("[ERROR] Socket error processing request.",
    ...              "OSError: [Errno 9] Bad file descriptor")
    True
    >>> _socket_gone("[ERROR] Error handling request /r/x",
    ...              "OSError: [Errno 9] Bad file descriptor")
    False
    """
    return "Socket error processing request" in before and any(
        words in exception for words in _SOCKET_GONE
    )
