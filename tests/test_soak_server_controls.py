"""Negative controls of the bad-input check: it fails when wom does wrong; and
what its corpus reaches.

A server whose route answers 500, a corpus case that stores what it sends, an
error page that is not problem+json, an answer that leaks a secret: each must
turn a figure that has to hold into a failure.
"""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from soak.bad_input import CORPUS, Case, cases, fingerprint, judge
from soak.check_bad_input import measure
from soak.servers import read_only
from wom.store import Store
from wom.web.api.openapi import document

GOOD_EVENT = {
    "type": "signup",
    "customer": "c-slipped-through",
    "at": "2026-01-02T00:00:00Z",
}


def _drop_the_endpoints(server):
    """The webhook routes' table gone under the running server: every route
    that reads it answers 500."""
    with read_only(server.path) as db:
        assert db.execute("SELECT count(*) FROM webhook_endpoints").fetchone()[0]
    # wom's lock keeps out another wom, not SQLite: a plain connection writes.
    db = sqlite3.connect(server.path, timeout=30)
    try:
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("DROP TABLE webhook_deliveries")
        db.execute("DROP TABLE webhook_endpoints")
        db.commit()
    finally:
        db.close()


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """The check run against a server broken on purpose, with a corpus of one
    good event that claims to be refused and one path trick."""
    corpus = tmp_path_factory.mktemp("corpus")
    case = {
        "name": "a good event",
        "method": "POST",
        "path": "/api/v1/events",
        "json": GOOD_EVENT,
        "status": 400,
    }
    (corpus / "events.json").write_text(json.dumps({"cases": [case]}))
    trick = {"name": "SQL", "value": "x'%20OR%20'1'='1", "status": [404]}
    (corpus / "paths.json").write_text(json.dumps({"tricks": [trick]}))
    figures = measure(tmp_path_factory.mktemp("server"), corpus, _drop_the_endpoints)
    return {f.name: f for f in figures}


@pytest.mark.slow
@pytest.mark.parametrize(
    "figure",
    ["5xx answers", "server tracebacks logged", "answers unlike their case"],
)
def test_a_route_made_to_answer_500_fails_the_check(broken, figure):
    assert broken[figure].failed


@pytest.mark.slow
def test_a_case_that_stores_what_it_sends_fails_the_check(broken):
    changed = broken["tables whose rows changed"]
    assert changed.failed
    assert "events" in changed.note and "people" in changed.note


def test_a_new_row_changes_the_fingerprint(tmp_path):
    store = Store(tmp_path / "wom.db")
    store.migrate()
    store.close()
    before = fingerprint(tmp_path / "wom.db")
    store = Store(tmp_path / "wom.db")
    with store.write() as db:
        db.execute("CREATE TABLE planted (x)")
    store.close()
    assert before.changed(fingerprint(tmp_path / "wom.db")) == ["the schema", "planted"]


def _case(path: str, statuses=(404,)) -> Case:
    return Case("control", "GET", path, None, {}, statuses, "admin")


def test_an_api_error_that_is_not_problem_json_is_named():
    verdict = judge(_case("/api/v1/customers/x"), 404, "text/html", b"<h1>No</h1>", [])
    assert [p.split(":")[0] for p in verdict.problems] == ["not a problem"]


def test_an_answer_that_echoes_a_secret_is_named():
    secret = "s3cr3t-" + "k" * 32
    body = json.dumps({"title": "Not found", "detail": secret}).encode()
    verdict = judge(
        _case("/api/v1/customers/x"), 404, "application/problem+json", body, [secret]
    )
    assert any(p.startswith("leaks") for p in verdict.problems)


def test_a_status_outside_the_case_is_named():
    verdict = judge(_case("/r/x"), 500, "text/html", b"", [])
    assert verdict.problems == ["status 500, not 404"]


def test_every_trick_reaches_every_path_parameter_of_the_api_and_the_pages():
    tricks = json.loads((CORPUS / "paths.json").read_text())["tricks"]
    every = [c for c in cases(document(), {}) if c.name.startswith("paths:")]
    reached = {c.name.split(" as ", 1)[1] for c in every}
    api = {
        f"{parameter} in {method.upper()} /api/v1{path}"
        for path, methods in document()["paths"].items()
        for method in methods
        for parameter in re.findall(r"\{(\w+)\}", path)
    }
    assert api <= reached
    assert {"filename in GET /static/{filename}", "code in GET /r/{code}"} <= reached
    assert len(every) == len(reached) * len(tricks)
