"""DELETE /customers/{id} is erasure (docs/reliability.md): identity and free text go,
the node keeps its place under a random pseudonym, the bytes leave the file and
its WAL, and every aggregate figure stays the same."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from tests.api_client import ApiClient
from wom.store import erasure, now_micros
from wom.store.answers import record_answer
from wom.store.people import person_id

EMAIL = "zoe.erasable@example.org"
NAME = "Zoë Erasable-Person"
ID = "crm-zoe-7c1e"


@pytest.fixture
def api(app):
    api = ApiClient.for_app(app)
    api.post(
        "/customers",
        json={
            "id": ID,
            "name": NAME,
            "email": EMAIL,
            "acquired_at": "2026-01-01T00:00:00Z",
        },
        headers={"Idempotency-Key": "zoe"},
    )
    api.events(
        {"type": "referral", "from": ID, "to": "bob", "at": "2026-01-02T00:00:00Z"},
        {"type": "mention", "from": "bob", "to": ID, "at": "2026-01-03T00:00:00Z"},
        {"type": "referral", "from": "bob", "to": "cat", "at": "2026-01-04T00:00:00Z"},
        {
            "type": "purchase",
            "customer": "cat",
            "value": 30,
            "at": "2026-01-05T00:00:00Z",
        },
        {"type": "mention", "from": ID, "to": "dan", "at": "2026-01-06T00:00:00Z"},
    )
    return api


def aggregates(api) -> dict:
    """Figures that must not change, with people's names left out."""
    home = api.get("/customers?limit=1000").json["items"]
    starters = api.get("/starters?by=reach&limit=10&include=prospects").json["items"]
    cascades = api.get("/cascades?limit=100").json["items"]
    return {
        "customers": len(home),
        "via": sorted(row["acquired_via"] for row in home),
        "reach": [
            (row["reach"], row["conversations_started"], row["referred_value"])
            for row in starters
        ],
        "cascades": [
            {key: value for key, value in row.items() if key != "root"}
            for row in cascades
        ],
    }


def database_bytes(db_path: Path) -> bytes:
    return b"".join(
        path.read_bytes()
        for path in db_path.parent.iterdir()
        if path.name.startswith(db_path.name)
    )


def test_erasure_answers_204_and_forgets_the_id(api):
    assert api.delete(f"/customers/{ID}").status == 204
    assert api.get(f"/customers/{ID}").status == 404
    assert api.delete(f"/customers/{ID}").status == 404


def test_the_node_keeps_its_place_under_a_pseudonym(api):
    api.delete(f"/customers/{ID}")
    bob = api.get("/customers/bob").json
    pseudonym = bob["credited_referrer"]["id"]
    assert pseudonym.startswith("erased-")
    erased = api.get(f"/customers/{pseudonym}").json
    assert (erased["name"], erased["email"]) == (None, None)
    assert erased["figures"]["reach"] == 2
    assert {(t["from"], t["to"]) for t in erased["touches"]} == {
        (pseudonym, "bob"),
        ("bob", pseudonym),
        (pseudonym, "dan"),
    }


def test_aggregate_figures_stay_the_same(api):
    before = aggregates(api)
    api.delete(f"/customers/{ID}")
    assert aggregates(api) == before


def test_the_bytes_are_gone_from_the_file_and_the_wal(api, db_path):
    on_disk = database_bytes(db_path)
    assert EMAIL.encode() in on_disk  # the scan finds what is there
    api.delete(f"/customers/{ID}")
    on_disk = database_bytes(db_path)
    for secret in (EMAIL, NAME, ID):
        assert secret.encode() not in on_disk, secret


def test_the_graph_export_names_the_pseudonym(api):
    api.delete(f"/customers/{ID}")
    exported = api.get("/graph?format=gexf").body.decode()
    assert ID not in exported
    assert "erased-" in exported


def test_a_reader_holding_old_frames_delays_the_scrub_only(api, db_path, monkeypatch):
    monkeypatch.setattr(erasure, "CHECKPOINT_WAIT_MS", 50)
    monkeypatch.setattr(erasure, "SCRUB_RETRY_SECONDS", 0.05)
    reader = sqlite3.connect(db_path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM identities").fetchone()
    assert api.delete(f"/customers/{ID}").status == 204
    assert api.get(f"/customers/{ID}").status == 404
    reader.rollback()
    reader.close()
    deadline = time.monotonic() + 10
    while EMAIL.encode() in database_bytes(db_path):
        assert time.monotonic() < deadline, "the scrub never finished"
        time.sleep(0.05)


def test_answers_that_name_the_person_unresolved_are_blanked_too(app, api, db_path):
    store = app.extensions["wom.store"]
    # Typed by bob before, or without, a match: by email, by full name, by neither.
    with store.write() as db:
        bob = person_id(db, "bob")
        for text in (f" {EMAIL.upper()} ", NAME.upper(), "a podcast"):
            record_answer(db, bob, text, None, now_micros())
    api.delete(f"/customers/{ID}")
    texts = store.reader().execute("SELECT text FROM answers ORDER BY id").fetchall()
    assert texts == [("",), ("",), ("a podcast",)]
    on_disk = database_bytes(db_path)
    for secret in (EMAIL.upper(), NAME.upper()):
        assert secret.encode() not in on_disk, secret
