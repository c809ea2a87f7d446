"""What a view may ask of the request beyond Flask's own: where it came from."""

from __future__ import annotations

from flask import current_app, request

__all__ = ["from_this_machine"]

_THIS_MACHINE = frozenset({"127.0.0.1", "::1"})


def from_this_machine() -> bool:
    """Whether the request comes from the machine wom runs on.

    A request forwarded by a proxy that wom was not told to trust only looks
    local (it carries X-Forwarded-For): it counts as remote.
    """
    return request.remote_addr in _THIS_MACHINE and (
        "X-Forwarded-For" not in request.headers
        or current_app.config["TRUSTED_PROXIES"] > 0
    )
