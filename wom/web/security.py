"""Security headers on every response (docs/reliability.md, Web security).

They are added where the response leaves the app, as WSGI headers: every reply
passes through here (errors and static files too), and a list append costs a
fraction of Werkzeug's ``Headers`` operations, which an ``after_request`` hook
would run on every request, a landing click's included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl

from flask import Flask

__all__ = [
    "register",
    "CONTENT_SECURITY_POLICY",
    "STRICT_TRANSPORT_SECURITY",
    "SecurityHeaders",
]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

#: Behind HTTPS, browsers keep to HTTPS for two years (ASVS asks for at least one).
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"

# Pages that show the owner's data or forms: never kept by a browser or a proxy.
_OWNERS_ONLY = ("/dashboard", "/login", "/setup", "/logout")


def _has_ref(query: str) -> bool:
    """Whether the query string carries ``ref`` (as ``request.args`` reads it).

    >>> _has_ref("a=1&ref="), _has_ref("preference=1"), _has_ref("")
    (True, False, False)
    """
    return "ref" in query and any(
        key == "ref" for key, _ in parse_qsl(query, keep_blank_values=True)
    )


class SecurityHeaders:
    """WSGI middleware: the headers every reply of wom carries.

    A view's own ``Content-Security-Policy`` (the API docs') and
    ``Referrer-Policy`` stand, except on pages whose address holds a referral
    code (``/r/...`` or ``?ref=``), which never send a referrer. Behind HTTPS
    (``SESSION_COOKIE_SECURE``, which WOM_HTTPS=1 sets) every reply carries
    Strict-Transport-Security.
    """

    def __init__(self, wsgi_app: Callable, app: Flask):
        self.wsgi_app = wsgi_app
        self.config = app.config

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        # The URL of a referral page holds a code; never leak it to the next site.
        private = path.startswith("/r/") or _has_ref(environ.get("QUERY_STRING", ""))
        owners = path.startswith(_OWNERS_ONLY)
        https = self.config["SESSION_COOKIE_SECURE"]

        def start(status: str, headers: list, exc_info=None):
            names = {name.lower() for name, _ in headers}
            replaced = {"x-content-type-options"}
            if private:
                replaced.add("referrer-policy")
            if owners:
                replaced.add("cache-control")
            if https:
                replaced.add("strict-transport-security")
            if names & replaced:
                headers = [h for h in headers if h[0].lower() not in replaced]
            else:
                headers = list(headers)
            if "content-security-policy" not in names:
                headers.append(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
            headers.append(("X-Content-Type-Options", "nosniff"))
            if private:
                headers.append(("Referrer-Policy", "no-referrer"))
            elif "referrer-policy" not in names:
                headers.append(("Referrer-Policy", "strict-origin-when-cross-origin"))
            if owners:
                headers.append(("Cache-Control", "no-store"))
            if https:
                headers.append(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def register(app: Flask) -> None:
    """Add the headers to every response of ``app``."""
    app.wsgi_app = SecurityHeaders(app.wsgi_app, app)
