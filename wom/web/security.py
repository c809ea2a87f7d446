"""Security headers on every response (docs/reliability.md, Web security)."""

from __future__ import annotations

from flask import Flask, Response, current_app, request

__all__ = ["register", "CONTENT_SECURITY_POLICY", "STRICT_TRANSPORT_SECURITY"]

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


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # The URL of a referral page holds a code; never leak it to the next site.
    if request.path.startswith("/r/") or "ref" in request.args:
        response.headers["Referrer-Policy"] = "no-referrer"
    else:
        response.headers.setdefault(
            "Referrer-Policy", "strict-origin-when-cross-origin"
        )
    if request.path.startswith(_OWNERS_ONLY):
        response.headers["Cache-Control"] = "no-store"
    # WOM_HTTPS=1 sets SESSION_COOKIE_SECURE: the owner says wom is behind HTTPS.
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return response


def register(app: Flask) -> None:
    """Add the headers to every response of ``app``."""
    app.after_request(_headers)
