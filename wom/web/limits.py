"""Rate limits, read from the business's settings and counted by ``limits``.

The server runs one process with threads (docs/reliability.md), so one in-memory
moving-window storage per app holds each limit for every thread of the server.
Only what is limited pays for it: a view's own decorator (``limited``) or its
blueprint's hook (``limit_blueprint``) counts the request. No app-wide hook does,
so that a click on a landing page or a health probe passes no limiter at all
(Flask-Limiter's hooks, run on every request, cost more than a bare Flask
request).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Collection
from functools import lru_cache, wraps

from flask import (
    Blueprint,
    Flask,
    Response,
    after_this_request,
    current_app,
    g,
    request,
)
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from ..errors import http_error
from . import link_cache

__all__ = [
    "LockedMemoryStorage",
    "RateLimited",
    "client_address",
    "limit_blueprint",
    "limited",
    "register",
    "retry_after",
]


class RateLimited(TooManyRequests):
    """Over a rate limit: a 429 that says when to try again."""

    def __init__(self, limit: RateLimitItem, retry_after: int):
        super().__init__(
            f"Too many requests: the limit is {limit}. "
            f"Try again in {retry_after} seconds."
        )
        self.retry_after = retry_after


class LockedMemoryStorage(MemoryStorage):
    """``limits``' in-memory storage, its expiry timer started under a lock.

    limits (5.8) checks and replaces its timer unguarded: two request threads
    can both find it stopped and start the same new Timer twice, which fails in
    one of them (a KeyError in threading's start-up, or a RuntimeError raised in
    a request: alisaifee/limits#26; met by ``make soak LONG=1``).
    """

    def __init__(self, *args, **kwargs):
        self._timer_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    # The name limits' own methods call (``self.__schedule_expiry()``).
    def _MemoryStorage__schedule_expiry(self) -> None:
        with self._timer_lock:
            if not self.timer.is_alive():
                self.timer = threading.Timer(0.01, self._MemoryStorage__expire_events)
                self.timer.start()


def client_address() -> str:
    """The client's address (the proxy's forwarded one behind a trusted proxy)."""
    return request.remote_addr or "127.0.0.1"


@lru_cache(maxsize=64)
def _items(text: str) -> tuple[RateLimitItem, ...]:
    # The settings check the text when it is set (store/settings.py).
    return tuple(parse_many(text))


def check(setting: str, key: str) -> None:
    """Count this request against the limits of ``setting`` for ``key``; raise
    RateLimited when one of them is used up. The reply says how much is left
    (``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset``, of the tightest)."""
    window: MovingWindowRateLimiter = current_app.extensions["wom.rate_limits"]
    tightest = None
    for item in _items(link_cache().settings()[setting]):
        allowed = window.hit(item, setting, key)
        stats = window.get_window_stats(item, setting, key)
        if tightest is None or stats.remaining < tightest[1].remaining:
            tightest = (item, stats)
        if not allowed:
            g.wom_retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            _tell(item, stats)
            raise RateLimited(item, g.wom_retry_after)
    if tightest is not None:
        _tell(*tightest)


def _tell(item: RateLimitItem, stats) -> None:
    headers = {
        "X-RateLimit-Limit": str(item.amount),
        "X-RateLimit-Remaining": str(stats.remaining),
        "X-RateLimit-Reset": str(int(stats.reset_time)),
    }

    @after_this_request
    def told(response: Response) -> Response:
        response.headers.update(headers)
        return response


def limited(
    setting: str,
    key: Callable[[], str] = client_address,
    *,
    methods: Collection[str] | None = None,
):
    """Decorate a view: each request (of ``methods``, or any) counts against
    ``setting``'s limits, per ``key()``, before the view reads anything."""

    def decorate(view):
        @wraps(view)
        def counted(*args, **kwargs):
            if methods is None or request.method in methods:
                check(setting, key())
            return view(*args, **kwargs)

        return counted

    return decorate


def limit_blueprint(
    blueprint: Blueprint, setting: str, key: Callable[[], str] = client_address
) -> None:
    """Count every request of ``blueprint`` against ``setting``'s limits, per
    ``key()``, before its other hooks (register this one first)."""
    blueprint.before_request(lambda: check(setting, key()))


def retry_after() -> int:
    """Whole seconds until the breached limit lets a request in."""
    return g.get("wom_retry_after", 60)


def _refused(exc: RateLimited):
    # Retry-After on the 429 alone: a client that obeys it elsewhere would wait
    # for nothing (RFC 9110 gives it meaning on 503 and 3xx, RFC 6585 on 429).
    return http_error(exc, {"Retry-After": str(exc.retry_after)})


def register(app: Flask) -> None:
    """Give ``app`` its limits' storage; a 429 says when to try again."""
    app.extensions["wom.rate_limits"] = MovingWindowRateLimiter(LockedMemoryStorage())
    app.register_error_handler(RateLimited, _refused)
