"""The bad-input corpus, kept as data in tests/data/bad_inputs/, and what it
must leave behind: nothing.

Each file holds cases, one request each, with the statuses it may get:

    {"name": "...", "method": "POST", "path": "/api/v1/events",
     "content_type": "application/json", "body": "{\\"events\\": [",
     "status": 400}

A body is ``body`` (text, sent as UTF-8), ``json`` (a value, sent as JSON),
``hex`` (raw bytes) or ``repeat`` (``{"text": ..., "times": n}``, with optional
``before`` and ``after``); ``token`` is the scope whose token it carries
(``admin`` by default under /api, ``none`` for none); ``owner`` sends the
owner's session. ``{customer}``, ``{code}``, ``{flag}`` and ``{endpoint}`` in a
path stand for ids the database holds. ``paths.json`` holds tricks instead:
each goes into every path parameter of the OpenAPI document and of the pages.

Every answer must have one of its statuses; under /api (and a page's .json
twin) an error is problem+json; no answer leaks (soak/leaks.py). A trick whose
path is longer than gunicorn's request line (``"front": true``) gets gunicorn's
own 414, before wom reads it. Afterwards the schema (sqlite_master's SQL) is
unchanged and every table holds what it held.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import select
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from secrets import token_hex
from urllib.parse import unquote

import orjson

from soak.leaks import leaks, problem_fault
from soak.servers import Client, Wom, read_only
from wom import create_app

__all__ = ["CORPUS", "Case", "Fingerprint", "Verdict", "cases", "fingerprint", "judge"]

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "data" / "bad_inputs"
_PARAMETER = re.compile(r"\{(\w+)\}")
_RULE_PARAMETER = re.compile(r"<(?:[^:<>]+:)?(\w+)>")
# A body this large is sent only if the server has not answered its head.
LARGE = 1 << 20


@dataclass
class Case:
    """One request of the corpus and the statuses it may get."""

    name: str
    method: str
    path: str
    body: bytes | None
    headers: dict
    statuses: tuple[int, ...]
    token: str | None
    owner: bool = False
    front: bool = False


def _fill(text: str, ids: dict[str, str]) -> str:
    """``text`` with each ``{name}`` of ``ids`` replaced by its id."""
    for name, value in ids.items():
        text = text.replace("{" + name + "}", value)
    return text


def _body(case: dict, ids: dict[str, str]) -> bytes | None:
    if "json" in case:
        return _fill(json.dumps(case["json"], ensure_ascii=False), ids).encode()
    if "body" in case:
        return _fill(case["body"], ids).encode("utf-8", "surrogatepass")
    if "hex" in case:
        return bytes.fromhex(case["hex"])
    if "repeat" in case:
        part = case["repeat"]
        text = part.get("before", "") + part["text"] * part["times"]
        return (text + part.get("after", "")).encode()
    return None


def _case(raw: dict, ids: dict[str, str], source: str) -> Case:
    path = _fill(raw["path"], ids)
    body = _body(raw, ids)
    headers = dict(raw.get("headers", {}))
    if body is not None:
        headers.setdefault("Content-Type", raw.get("content_type", "application/json"))
    statuses = raw["status"] if isinstance(raw["status"], list) else [raw["status"]]
    api = path.startswith("/api/")
    token = raw.get("token", "admin" if api else "none")
    return Case(
        f"{source}: {raw['name']}",
        raw.get("method", "GET"),
        path,
        body,
        headers,
        tuple(statuses),
        None if token == "none" else token,
        raw.get("owner", False),
    )


def _routes(document: dict) -> list[tuple[str, str, bool, bytes | None]]:
    """Every route with a path parameter: method, template, whether it is the
    owner's, and a body it would take (its documented example), so that only
    the path is wrong."""
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if "{" not in path:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            example = content.get("application/json", {}).get("example")
            body = None if example is None else json.dumps(example).encode()
            if body is None and method == "post":
                body = b"{}"
            found.append((method.upper(), "/api/v1" + path, False, body))
    return found + [(method, path, owner, None) for method, path, owner in pages()]


def pages() -> list[tuple[str, str, bool]]:
    """Every GET route outside the API with a path parameter (the static files
    among them), from the app's URL map: method, template, whether it is the
    owner's."""
    with tempfile.TemporaryDirectory(prefix="wom-soak-routes-") as folder:
        app = create_app(
            {
                "DATABASE": str(Path(folder) / "wom.db"),
                "SECRET_KEY": token_hex(32),
                "IP_HMAC_KEY": token_hex(32),
                "WEBHOOK_KEY": token_hex(32),
                "WOM_ANALYTICS_BACKGROUND": False,
            }
        )
        rules = [
            (_RULE_PARAMETER.sub(r"{\1}", rule.rule), rule.methods)
            for rule in app.url_map.iter_rules()
            if rule.arguments and not rule.rule.startswith("/api/")
        ]
    return [
        ("GET", template, template.startswith("/dashboard"))
        for template, methods in sorted(rules)
        if "GET" in methods
    ]


def _trick_cases(tricks: list[dict], document: dict, ids: dict) -> list[Case]:
    """Every trick in every path parameter, the others filled with real ids."""
    found = []
    for method, template, owner, body in _routes(document):
        for parameter in _PARAMETER.findall(template):
            for trick in tricks:
                value = trick["value"]
                if isinstance(value, dict):
                    value = value["repeat"] * value["times"]
                path = _fill(template.replace("{" + parameter + "}", value), ids)
                found.append(
                    Case(
                        f"paths: {trick['name']} as {parameter} in {method} {template}",
                        method,
                        path,
                        body,
                        {"Content-Type": "application/json"} if body else {},
                        tuple(trick["status"]),
                        "admin" if template.startswith("/api/") else None,
                        owner,
                        trick.get("front", False),
                    )
                )
    return found


def cases(document: dict, ids: dict[str, str], folder: Path = CORPUS) -> list[Case]:
    """Every case of the corpus, the tricks spread over every path parameter."""
    every: list[Case] = []
    for file in sorted(folder.glob("*.json")):
        data = json.loads(file.read_text(encoding="utf-8"))
        if file.name == "paths.json":
            every += _trick_cases(data["tricks"], document, ids)
        else:
            every += [_case(raw, ids, file.stem) for raw in data["cases"]]
    return every


@dataclass
class Verdict:
    """What one answer got wrong (empty when nothing)."""

    case: Case
    status: int
    problems: list[str]


def judge(
    case: Case, status: int, content_type: str, body: bytes, secrets: list[str]
) -> Verdict:
    """Hold one answer to its case: status, shape, no leak."""
    problems = []
    if status not in case.statuses:
        problems.append(f"status {status}, not {'/'.join(map(str, case.statuses))}")
    path = case.path.split("?")[0]
    # The API, and the dashboard pages' JSON twins, answer in problem+json.
    wants_problem = path.startswith("/api/") or (
        path.startswith("/dashboard") and path.endswith(".json")
    )
    front = case.front and status == 414
    if status >= 400 and wants_problem and not front:
        fault = problem_fault(status, content_type, body)
        if fault:
            problems.append(f"not a problem: {fault}")
    sent = f"{case.method} {case.path}\n{case.body or b''!r}"
    found = leaks(body.decode("utf-8", "replace"), unquote(sent) + sent, secrets)
    if found:
        problems.append(f"leaks {', '.join(found)}")
    return Verdict(case, status, problems)


def send(server: Wom, owner: Client, case: Case) -> tuple[int, str, bytes]:
    """Send one case on a connection of its own (the owner's cookies if asked);
    its status, content type and body."""
    headers = dict(case.headers)
    if case.token:
        headers |= server.auth(case.token)
    if case.owner:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in owner.cookies.items())
    if case.body is not None and len(case.body) > LARGE:
        return _send_large(server.port, case, headers)
    client = server.client()
    try:
        status, answer_headers, body = client.call(
            case.method, case.path, case.body, headers
        )
    finally:
        client.close()
    return status, answer_headers.get("Content-Type", ""), body


def _send_large(port: int, case: Case, headers: dict) -> tuple[int, str, bytes]:
    """Send the head, and the body only if no answer comes first: a server
    refuses an oversize body from its Content-Length (413) without reading it,
    and closes the connection under a client still writing."""
    head = [f"{case.method} {case.path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head += [f"Content-Length: {len(case.body)}", "Connection: close", "", ""]
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall("\r\n".join(head).encode("latin-1"))
        # poll, not select: select() refuses a descriptor numbered over 1023,
        # which a long test process reaches.
        waiting = select.poll()
        waiting.register(sock, select.POLLIN)
        if not waiting.poll(1000):
            try:
                sock.sendall(case.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the answer says why
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.getheader("Content-Type", ""), response.read()


@dataclass(frozen=True)
class Fingerprint:
    """The schema's hash and each table's rows, as a refused request must leave
    them (the tokens' last use aside: a refused request still used its token)."""

    schema: str
    tables: dict

    def changed(self, other: Fingerprint) -> list[str]:
        """What differs from ``other``: the schema, or the tables whose rows do."""
        changes = ["the schema"] if self.schema != other.schema else []
        changes += sorted(
            name
            for name in set(self.tables) | set(other.tables)
            if self.tables.get(name) != other.tables.get(name)
        )
        return changes


def fingerprint(path: Path) -> Fingerprint:
    """The schema hash and every table's rows (count and hash) of the file."""
    with read_only(path) as db:
        schema = hashlib.sha256(
            orjson.dumps(
                db.execute(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
                ).fetchall()
            )
        ).hexdigest()
        tables = {}
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        for name in names:
            columns = [
                row[1]
                for row in db.execute(f'PRAGMA table_info("{name}")')
                if not (name == "tokens" and row[1].startswith("last_used"))
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            order = ", ".join(str(i + 1) for i in range(len(columns)))
            digest = hashlib.sha256()
            count = 0
            for row in db.execute(f'SELECT {listed} FROM "{name}" ORDER BY {order}'):
                digest.update(repr(row).encode())
                count += 1
            tables[name] = (count, digest.hexdigest())
    return Fingerprint(schema, tables)
