"""Open redirects: where a browser goes when told ``Location: ...``, and a sweep
of addresses whose every parameter tries to send it to another site.

A browser reads a Location more loosely than Python's ``urljoin``: it drops
tabs and newlines anywhere, reads a backslash as a slash, and takes ``https:x``
on an http page as ``https://x/``. The judge reads it as a browser would, and
errs towards "off the site".
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

__all__ = ["Sweep", "lands_off_site", "sweep_site", "with_parameter"]

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", re.S)
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_AUTHORITY_END = re.compile(r"[/?#]")


def lands_off_site(location: str, base: str) -> bool:
    """Whether a browser on ``base`` told to go to ``location`` leaves the site:
    another origin, or a scheme that is not http(s) (``javascript:``...).

    >>> site = "http://127.0.0.1:5000/login"
    >>> [lands_off_site(x, site) for x in ("/dashboard", "share/x", "?a=1")]
    [False, False, False]
    >>> [lands_off_site(x, site) for x in ("//evil.example", "/\\\\evil.example",
    ...                                    "/\\t/evil.example", "https:evil.example")]
    [True, True, True, True]
    >>> lands_off_site("http://127.0.0.1:5000/dashboard", site)
    False
    >>> lands_off_site(" JavaScript:alert(1)", site)
    True
    >>> lands_off_site("%2F%2Fevil.example", site)  # a path on this site
    False
    """
    own = urlsplit(base)
    # What the URL parser does before anything else.
    text = _TAB_OR_NEWLINE.sub(
        "",
        location.strip(
            "\x00\x01\x02\x03\x04\x05\x06"
            "\x07\x08\x0b\x0c\x0e\x0f"
            "\x10\x11\x12\x13\x14\x15"
            "\x16\x17\x18\x19\x1a\x1b"
            "\x1c\x1d\x1e\x1f \t\n\r"
        ),
    )
    scheme = None
    found = _SCHEME.fullmatch(text)
    if found:
        scheme, text = found[1].lower(), found[2]
        if scheme not in ("http", "https"):
            return True
    if scheme in ("http", "https"):
        # A special scheme: backslashes are slashes.
        text = text.replace("\\", "/")
        if scheme != own.scheme:
            return True  # another scheme is another origin
        if not text.startswith("//"):
            return False  # "http:path" on an http page: a relative path
    else:
        text = text.replace("\\", "/")
        if not text.startswith("//"):
            return False
    authority = _AUTHORITY_END.split(text.lstrip("/"), maxsplit=1)[0]
    host = authority.rpartition("@")[2].lower()
    return host != own.netloc.lower()


def with_parameter(path: str, name: str, value: str) -> str:
    """``path`` with the query parameter ``name=value`` added, percent-encoded.

    >>> with_parameter("/login", "next", "//evil.example")
    '/login?next=%2F%2Fevil.example'
    """
    joiner = "&" if "?" in path else "?"
    return f"{path}{joiner}{name}={quote(value, safe='')}"


@dataclass
class Sweep:
    """Tries addresses with a client and judges every redirect it is given,
    following those that stay on the site (at most ``hops`` of them)."""

    base: str
    hops: int = 3
    tried: int = 0
    redirects: int = 0
    off_site: list = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def attempt(self, client, method: str, path: str, **kwargs) -> None:
        """One request, and the redirects after it while they stay here."""
        with self._lock:
            self.tried += 1
        for _ in range(self.hops + 1):
            answer = client.request(method, path, **kwargs)
            location = answer.headers.get("Location")
            if answer.status_code not in (301, 302, 303, 307, 308) or not location:
                return
            with self._lock:
                self.redirects += 1
            if lands_off_site(location, self.base + path):
                self.off_site.append((f"{method} {path}", location))
                return
            method, kwargs = "GET", {}
            if location.startswith(self.base):
                path = location[len(self.base) :] or "/"
            elif location.startswith("/"):
                path = location
            else:
                return  # a path relative to this one: none of wom's

    def each(self, clients: list, addresses: Iterable[tuple[str, str, dict]]) -> None:
        """``attempt`` every ``(method, path, kwargs)``, one thread per client
        (clients that carry the same cookies: one visitor, several tabs)."""
        lock = threading.Lock()
        work = iter(addresses)
        failures: list[BaseException] = []

        def drain(client) -> None:
            try:
                while not failures:
                    with lock:
                        address = next(work, None)
                    if address is None:
                        return
                    method, path, kwargs = address
                    self.attempt(client, method, path, **kwargs)
            except BaseException as failure:  # re-raised below: a sweep cut short
                failures.append(failure)

        threads = [threading.Thread(target=drain, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]


def _known_values(planted) -> dict:
    """A real value for each path parameter of the app's routes."""
    return {
        "code": planted.codes[0],
        "secret": planted.shares[0].rsplit("/", 1)[1],
        "external_id": planted.referrers[0],
        "root_id": planted.referrers[0],
        "flag_id": "self_referral:1:2:",
        "endpoint_id": planted.endpoint,
        "delivery": "1",
        "kind": "gexf",
    }


def _addresses(app, planted, targets: list[str], *, owner: bool):
    """``(method, path, kwargs)``: every GET route with each target as ``next``
    and ``ref`` and in each path parameter. The owner's sweep leaves out the
    API (no session reaches it) and ``ref`` (a click, never a redirect)."""
    known = _known_values(planted)
    for rule in app.url_map.iter_rules():
        api = rule.rule.startswith("/api/")
        if "GET" not in rule.methods or rule.endpoint == "static" or (owner and api):
            continue
        for target in targets:
            unknown = rule.arguments - known.keys()
            if unknown:
                raise LookupError(f"no value for {sorted(unknown)} of {rule.rule}")
            values = {name: known[name] for name in rule.arguments}
            plain = rule.build(values, append_unknown=False)[1]
            for name in ("next",) if owner else ("next", "ref"):
                yield "GET", with_parameter(plain, name, target), {}
            for argument in rule.arguments - {"delivery"}:
                if api and owner:
                    continue
                try:
                    path = rule.build(values | {argument: target})[1]
                except ValueError:
                    continue  # a converter that allows only its own words
                yield "GET", path, {}


def sweep_site(site, planted, targets: list[str], *, logins: int) -> Sweep:
    """Every GET route logged out and as the owner, then the forms: the login
    (for the first ``logins`` targets: each costs a password check), a logout
    and the sign-up, each with the target as ``next`` and the sign-up's ``ref``."""
    from soak.abuse_site import OWNER_EMAIL, OWNER_PASSWORD, csrf_token

    sweep = Sweep(site.url)
    stranger, owner = site.client(), site.owner()
    for client, is_owner in ((stranger, False), (owner, True)):
        tabs = [client.tab() for _ in range(3)]
        sweep.each(tabs, _addresses(site.app, planted, targets, owner=is_owner))
        for tab in tabs:
            tab.close()
    for n, target in enumerate(targets):
        if n < logins:
            login = site.client()
            form = {
                "csrf_token": csrf_token(login.get("/login").text),
                "email": OWNER_EMAIL,
                "password": OWNER_PASSWORD,
            }
            sweep.attempt(
                login, "POST", with_parameter("/login", "next", target), data=form
            )
            login.close()
        token = csrf_token(stranger.get("/join").text)
        ended = with_parameter("/logout", "next", target)
        sweep.attempt(stranger, "POST", ended, data={"csrf_token": token})
        form = {
            "csrf_token": token,
            "ref": target,
            "name": "Redirected",
            "email": f"redirect{n}@example.org",
        }
        sweep.attempt(
            stranger, "POST", with_parameter("/join", "next", target), data=form
        )
    stranger.close()
    owner.close()
    return sweep
