"""What an error answer must never carry, and the shape it must have.

docs/reliability.md: under /api every error is RFC 9457 problem+json (``type``,
``title``, ``status``, ``detail``), and no answer shows a traceback, SQL, a file
path or a secret. Text the request itself sent is not a leak when it comes back
(a refused value is named in the problem), so only what the request did not
carry counts.
"""

from __future__ import annotations

import json
import re

__all__ = ["LEAKS", "leaks", "problem_fault"]

LEAKS = {
    "traceback": re.compile(
        r"Traceback \(most recent call last\)|File \"[^\"]+\", line"
    ),
    "SQL": re.compile(
        r"\bSELECT\b[^\n]{0,200}\bFROM\b|\bINSERT INTO\b|\bCREATE TABLE\b|"
        r"\bsqlite3\b|OperationalError|IntegrityError|ProgrammingError",
        re.IGNORECASE,
    ),
    "file path": re.compile(
        r"(?:/(?:work|home|root|usr|tmp|var|etc|opt)/[\w.@+-]+)|site-packages|"
        r"\b\w+\.py\b"
    ),
    "secret": re.compile(r"whsec_[A-Za-z0-9+/=]{8,}|wom_[A-Za-z0-9_-]{20,}"),
}


def leaks(body: str, request: str, secrets: list[str] = ()) -> list[str]:
    """The kinds of leak in ``body`` that ``request`` (its line, headers and
    body, as text) did not bring itself; ``secrets`` must never appear.

    >>> leaks('{"detail": "Traceback (most recent call last): ..."}', "GET /")
    ['traceback']
    >>> leaks('{"detail": "no customer \\'x.py\\'"}', "GET /api/v1/customers/x.py")
    []
    >>> leaks('{"detail": "the key is kkkkkkkk"}', "GET /", ["kkkkkkkk"])
    ['secret']
    """
    found = [
        kind
        for kind, pattern in LEAKS.items()
        if any(m.group(0) not in request for m in pattern.finditer(body))
    ]
    if "secret" not in found and any(s and s in body for s in secrets):
        found.append("secret")
    return found


def problem_fault(status: int, content_type: str, body: bytes) -> str | None:
    """What keeps an error answer under /api from being a problem document, or
    None when it is one.

    >>> problem_fault(404, "application/problem+json",
    ...     b'{"type": "t", "title": "Not Found", "status": 404, "detail": "d"}')
    >>> problem_fault(404, "text/html; charset=utf-8", b"<h1>Not Found</h1>")
    'content type text/html; charset=utf-8'
    """
    if not content_type.startswith("application/problem+json"):
        return f"content type {content_type or 'none'}"
    try:
        document = json.loads(body)
    except ValueError:
        return "a body that is not JSON"
    if not isinstance(document, dict):
        return "a body that is not an object"
    missing = [k for k in ("type", "title", "status", "detail") if k not in document]
    if missing:
        return f"no {', '.join(missing)}"
    if document["status"] != status:
        return f"status {document['status']} in a {status} answer"
    return None
