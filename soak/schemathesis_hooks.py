"""Schemathesis hooks for the soak's live run (loaded through SCHEMATHESIS_HOOKS).

- NDJSON bodies: the document gives ``application/x-ndjson`` as a string, sent
  as it is (anything else, in negative mode, as JSON text);
- cases whose request line would be over gunicorn's limit (4,094 bytes) are
  not sent: gunicorn refuses them itself, with its own 414 page, before wom
  reads them (docs/reliability.md); the bad-input corpus holds that front to
  its answer, and each case left out is counted;
- ``wom_error_is_a_problem_without_leaks``: every error answer is problem+json
  and carries no traceback, SQL, file path or secret (soak/leaks.py); every
  answer is also written, one JSON line each, to ``SOAK_ANSWERS`` so that the
  soak counts them itself.
"""

from __future__ import annotations

import json
import os
import threading
from urllib.parse import unquote, urlencode

import schemathesis

from soak.leaks import leaks, problem_fault

_SECRETS = json.loads(os.environ.get("SOAK_SECRETS", "[]"))
_ANSWERS = os.environ.get("SOAK_ANSWERS")
_lock = threading.Lock()


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


def _request_text(response) -> str:
    sent = response.request
    body = sent.body or b""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    headers = "\n".join(f"{k}: {v}" for k, v in sent.headers.items())
    return f"{sent.method} {unquote(sent.url)}\n{headers}\n{body}"


# gunicorn's limit_request_line, less room for the method, version and host.
LONGEST_LINE = 3_500


def _write(line: dict) -> None:
    if _ANSWERS:
        with _lock, open(_ANSWERS, "a") as answers:
            answers.write(json.dumps(line) + "\n")


@schemathesis.hook
def filter_case(context, case) -> bool:
    """Only what wom itself would read: a request line gunicorn accepts."""
    line = len(case.formatted_path) + len(urlencode(case.query or {}, doseq=True))
    if line < LONGEST_LINE:
        return True
    _write({"operation": f"{case.method} {case.path}", "front": True})
    return False


@schemathesis.check
def wom_error_is_a_problem_without_leaks(ctx, response, case):
    """An error answer is problem+json with no traceback, SQL, path or secret."""
    status = response.status_code
    # Schemathesis keeps headers by lower-case name, each a list of values.
    content_type = (response.headers.get("content-type") or [""])[0]
    fault = None
    found: list[str] = []
    if status >= 400:
        fault = problem_fault(status, content_type, response.content)
        found = leaks(
            response.content.decode("utf-8", "replace"),
            _request_text(response),
            _SECRETS,
        )
    _write(
        {
            "operation": f"{case.method} {case.path}",
            "status": status,
            "fault": fault,
            "leaks": found,
        }
    )
    if fault:
        raise AssertionError(f"an error answer that is not a problem: {fault}")
    if found:
        raise AssertionError(f"an error answer leaks: {', '.join(found)}")
