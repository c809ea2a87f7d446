"""``Idempotency-Key`` on API writes (docs/reliability.md; Stripe and the IETF draft).

The same key and body replays the stored response; the same key with another body
gets 422; the same key while its first request still runs gets 409; the same key
and body after the person its response names was erased gets 410. Keys belong to
the token and are kept 24 hours. The response is stored in the write's own
transaction (``keep``), so a write and its stored response commit together. The
in-flight marker lives in memory: after a crash the retry goes through, and finds
the stored response if the write had committed.
"""

from __future__ import annotations

import hashlib
import threading
from functools import partial, wraps

import orjson
from flask import Response, g, request

from ...errors import problem
from ...store import idempotency, now_micros
from ...store.idempotency import StoredResponse
from .. import store
from .auth import current_token

__all__ = ["idempotent", "keep", "keeper", "HEADER"]

HEADER = "Idempotency-Key"
_running: set[tuple[int, str]] = set()
_running_lock = threading.Lock()


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.full_path, request.mimetype):
        digest.update(part.encode() + b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(stored: StoredResponse) -> Response:
    response = Response(
        stored.body or None, status=stored.status, mimetype="application/json"
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _key_problem(status: int, title: str, detail: str) -> Response:
    return problem(
        status,
        title,
        detail,
        errors=[{"index": None, "field": HEADER, "message": detail}],
    )


def idempotent(view):
    """Honour ``Idempotency-Key`` on a write view."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            g.idempotency = None
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
            return _key_problem(
                400, "Bad Request", "give a key of 1 to 255 printable ASCII characters"
            )
        token_id = current_token()["id"]
        fingerprint = _fingerprint()
        marker = (token_id, key)
        with _running_lock:
            if marker in _running:
                return _key_problem(
                    409,
                    "Conflict",
                    "a request with this key is still running; retry when it is done",
                )
            _running.add(marker)
        try:
            stored = idempotency.find(store().reader(), token_id, key, now_micros())
            if stored is not None:
                if stored.request_sha256 != fingerprint:
                    return _key_problem(
                        422,
                        "Unprocessable Content",
                        "this key was used with another request; use a new key",
                    )
                if stored.erased:
                    # Its answer named a person since erased: neither replayed
                    # (it no longer says who) nor run again (it would bring them
                    # back).
                    return _key_problem(
                        410,
                        "Gone",
                        "this request was about a person who has since been "
                        "erased; nothing was written again",
                    )
                return _replay(stored)
            g.idempotency = (token_id, key, fingerprint)
            return view(*args, **kwargs)
        finally:
            with _running_lock:
                _running.discard(marker)

    return wrapper


def keep(db, status: int, body) -> bytes:
    """Serialise ``body``; store it for replay when the request carries a key.

    Call inside the write transaction, just before it commits.
    """
    return keeper()(db, status, body)


def keeper():
    """``keep`` bound to this request's key: for a transaction that another
    thread commits (a group commit), where this request's ``g`` is not seen."""
    return partial(_keep, g.get("idempotency"))


def _keep(found, db, status: int, body) -> bytes:
    payload = b"" if body is None else orjson.dumps(body)
    if found is not None:
        token_id, key, fingerprint = found
        idempotency.remember(
            db, token_id, key, fingerprint, status, payload, now_micros()
        )
    return payload
