"""A wom site for the abuse checks (browser abuse, auth, rate limits, privacy,
fraud): the real app, not in testing mode, on a fresh database in a temporary
folder, served on loopback by the browser tests' live server (werkzeug, a
thread per request), and the HTTP client the checks drive it with.

Everything a check sets up before the server starts goes through the store;
everything after goes over HTTP, as a stranger, the owner or an API client would.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import requests

from tests.browser.conftest import LiveServer
from wom import create_app
from wom.store import accounts, now_micros
from wom.store.settings import write_setting

__all__ = [
    "KEYS",
    "OWNER_EMAIL",
    "OWNER_PASSWORD",
    "Client",
    "Site",
    "csrf_token",
    "owner_hash",
    "serve",
]

KEYS = {
    "SECRET_KEY": "soak-abuse-secret-key-" + "s" * 32,
    "IP_HMAC_KEY": "soak-abuse-ip-key-" + "i" * 32,
    "WEBHOOK_KEY": "soak-abuse-webhook-key-" + "w" * 32,
}
OWNER_EMAIL = "owner@soak.example"
OWNER_PASSWORD = "soak owner passphrase"
# What a browser sends: the landing pages count scripts' clicks as bots'.
BROWSER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0"
_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


@cache
def owner_hash() -> str:
    """OWNER_PASSWORD hashed, once per process."""
    # scrypt at OWASP's cost takes a second: once per process.
    return accounts.password_hash(OWNER_PASSWORD)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    if found is None:
        raise AssertionError("the page holds no CSRF token")
    return found[1]


class Client:
    """One browser's worth of HTTP (its own cookies) against the site; redirects
    are never followed, so that every Location can be read."""

    def __init__(
        self,
        base: str,
        *,
        address: str | None = None,
        token=None,
        opened: list | None = None,
    ):
        self.base = base
        # Where the clients of one site are kept, for the site to close them.
        self.opened = opened if opened is not None else []
        self.opened.append(self)
        self.http = requests.Session()
        self.http.headers["User-Agent"] = BROWSER_AGENT
        if address is not None:
            # Read as the client's address behind the site's trusted proxy.
            self.http.headers["X-Forwarded-For"] = address
        if token is not None:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """One request; the response is read whole and closed."""
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 60)
        with self.http.request(method, self.base + path, **kwargs) as response:
            response.content  # noqa: B018 (read before the connection goes back)
            return response

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def form(self, page: str, action: str | None = None, **fields) -> requests.Response:
        """Open ``page``, then post its form (to ``action``, or back to the page)
        with ``fields`` and the page's CSRF token."""
        token = csrf_token(self.get(page).text)
        return self.post(action or page, data={"csrf_token": token, **fields})

    def log_in(self, email: str = OWNER_EMAIL, password: str = OWNER_PASSWORD):
        """Log in through the login form; the answer (a 303 when it worked)."""
        return self.form("/login", email=email, password=password)

    def sign_up(self, page: str, **fields) -> requests.Response:
        """Open a landing page and send its sign-up form: 303 to the share page."""
        html = self.get(page).text
        ref = re.search(r'name="ref" type="hidden" value="([^"]*)"', html)
        form = {"csrf_token": csrf_token(html), "ref": ref[1] if ref else ""}
        return self.post("/join", data=form | fields)

    def tab(self) -> Client:
        """Another client with this one's cookies and headers: a second tab."""
        other = Client(self.base, opened=self.opened)
        other.http.headers.update(self.http.headers)
        other.http.cookies.update(self.http.cookies)
        return other

    def close(self) -> None:
        self.http.close()


@dataclass
class Site:
    """A served app: its address, the app itself, its store and database file."""

    server: LiveServer
    folder: Path
    opened: list = field(default_factory=list)  # every client, closed at the end

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def app(self):
        return self.server.app

    @property
    def store(self):
        return self.server.store

    @property
    def db_path(self) -> Path:
        return Path(self.store.path)

    def client(self, *, address: str | None = None, token=None) -> Client:
        """A new browser (or API client, with ``token``)."""
        return Client(self.url, address=address, token=token, opened=self.opened)

    def token(self, scope: str = "write", name: str | None = None) -> str:
        """A new API token of ``scope``."""
        with self.store.write() as db:
            return accounts.create_token(
                db,
                name or f"soak-{scope}-{os.urandom(3).hex()}",
                scope=scope,
                now=now_micros(),
            )

    def make_owner(self) -> None:
        """The owner's account (OWNER_EMAIL, OWNER_PASSWORD), once."""
        with self.store.write() as db:
            if not accounts.has_owner(db):
                accounts.create_owner(db, OWNER_EMAIL, owner_hash(), now_micros())

    def owner(self, *, address: str | None = None) -> Client:
        """A browser logged in as the owner (made on first use)."""
        self.make_owner()
        client = self.client(address=address)
        answer = client.log_in()
        if answer.status_code != 303:
            raise AssertionError(f"the owner could not log in: {answer.status_code}")
        return client

    def settings(self, **values: str) -> None:
        """Write settings (the store tells the server's caches)."""
        with self.store.write() as db:
            for key, value in values.items():
                write_setting(db, key, value)


@contextmanager
def serve(
    *,
    extend: Callable | None = None,
    webhook_loopback: bool = False,
    **config,
) -> Iterator[Site]:
    """The real app on a fresh database in a temporary folder, served on a free
    loopback port until the block ends. ``config`` overrides the app's (say
    ``TRUSTED_PROXIES=1``); ``extend(app)`` may add to the app before it serves
    (a negative control's deliberately unsafe page); ``webhook_loopback`` lets
    webhooks go to plain http on loopback, as WOM_WEBHOOK_ALLOW_LOOPBACK=1 does."""
    with tempfile.TemporaryDirectory(prefix="wom-soak-") as folder:
        before = os.environ.get("WOM_WEBHOOK_ALLOW_LOOPBACK")
        if webhook_loopback:
            os.environ["WOM_WEBHOOK_ALLOW_LOOPBACK"] = "1"
        try:
            app = create_app(
                {
                    "DATABASE": str(Path(folder) / "wom.db"),
                    **KEYS,
                    "WEBHOOK_WORKER": False,
                    "WOM_ANALYTICS_BACKGROUND": False,
                    **config,
                }
            )
        finally:
            if before is None:
                os.environ.pop("WOM_WEBHOOK_ALLOW_LOOPBACK", None)
            else:
                os.environ["WOM_WEBHOOK_ALLOW_LOOPBACK"] = before
        if extend is not None:
            extend(app)
        # werkzeug logs every request: thousands of lines in a soak.
        requests_log = logging.getLogger("werkzeug")
        level = requests_log.level
        requests_log.setLevel(logging.WARNING)
        try:
            with LiveServer(app) as server:
                site = Site(server, Path(folder))
                try:
                    yield site
                finally:
                    for client in site.opened:
                        client.close()
        finally:
            requests_log.setLevel(level)
