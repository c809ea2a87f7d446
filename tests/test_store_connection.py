"""The store's connection: migrations, writer pragmas, one writer, the lock file."""

from __future__ import annotations

import logging
import multiprocessing
import sqlite3
import threading

import pytest

from wom import create_app
from wom.store import Store, StoreLocked, ingest
from wom.store.credits import rederive_credits
from wom.store.graph_rows import click_seconds
from wom.store.schema import migrations

T0, T1, T2 = (f"2026-01-0{day}T00:00:00Z" for day in (1, 2, 3))


def test_migrations_are_named_and_applied_in_order(store):
    applied = [m.name for m in migrations.applied(store.reader())]
    assert applied == [m.name for m in migrations._migrations]
    assert applied[0] == "0001_people_links_events"
    assert migrations.pending(store.reader()) == []


def test_start_up_applies_pending_migrations(db_path):
    partial = Store(db_path)
    with partial.write() as db:
        migrations.apply(db, stop_before="0002_settings_owners_tokens")
    assert "settings" not in partial.reader().table_names()
    partial.close()
    app = create_app({"TESTING": True, "DATABASE": str(db_path)})
    store = app.extensions["wom.store"]
    assert {"settings", "owners", "tokens"} <= set(store.reader().table_names())
    store.close()


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [
        ("journal_mode", "wal"),
        ("synchronous", 2),  # FULL
        ("foreign_keys", 1),
    ],
)
def test_writer_pragmas(store, pragma, expected):
    assert store.writer.execute(f"PRAGMA {pragma}").fetchone()[0] == expected


def test_busy_timeout_is_at_least_five_seconds(store):
    assert store.writer.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert store.reader().execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_write_takes_an_immediate_lock(store, db_path):
    """Inside write(), the RESERVED lock is held at once: nobody else may begin."""
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    with store.write():
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()


def test_a_failed_write_leaves_nothing(store):
    with pytest.raises(RuntimeError):
        with store.write() as db:
            db.execute("INSERT INTO settings VALUES ('business_name', '\"x\"')")
            raise RuntimeError("boom")
    assert store.reader().execute("SELECT count(*) FROM settings").fetchone()[0] == 0


def test_a_failed_commit_is_rolled_back_so_the_next_write_commits(store, db_path):
    with store.write() as db:
        db.execute(
            "CREATE TABLE notes (person_id INTEGER REFERENCES people(id) "
            "DEFERRABLE INITIALLY DEFERRED)"
        )
    # A deferred foreign key fails at COMMIT, not at the INSERT.
    with pytest.raises(sqlite3.IntegrityError), store.write() as db:
        db.execute("INSERT INTO notes VALUES (404)")
    with store.write() as db:
        db.execute("INSERT INTO notes VALUES (NULL)")
    # Durable: another connection sees the second write, and only it.
    other = sqlite3.connect(db_path)
    try:
        assert other.execute("SELECT person_id FROM notes").fetchall() == [(None,)]
    finally:
        other.close()


def test_foreign_keys_are_enforced(store):
    with pytest.raises(sqlite3.IntegrityError):
        with store.write() as db:
            db.execute(
                "INSERT INTO links(code, owner_id, created_at) VALUES ('x', 99, 0)"
            )


def test_event_log_is_append_only(store, record):
    record({"type": "signup", "customer": "a", "at": "2026-01-01T00:00:00Z"})
    for statement in ("UPDATE events SET at = 0", "DELETE FROM events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            with store.write() as db:
                db.execute(statement)


def _try_lock(path, answer):
    try:
        Store(path).hold_lock()
        answer.put("locked")
    except StoreLocked as exc:
        answer.put(str(exc))


def test_a_second_process_cannot_take_the_lock(store, db_path):
    store.hold_lock()
    answer = multiprocessing.get_context("spawn").Queue()
    process = multiprocessing.get_context("spawn").Process(
        target=_try_lock, args=(db_path, answer)
    )
    process.start()
    process.join(60)
    message = answer.get(timeout=5)
    assert "holds" in message and str(db_path) in message


def test_lock_is_released_on_close(db_path):
    first = Store(db_path)
    first.hold_lock()
    first.close()
    second = Store(db_path)
    second.hold_lock()
    second.close()


def test_a_new_server_waits_for_the_old_one_to_let_go(db_path):
    old = Store(db_path)
    old.hold_lock()
    new = Store(db_path)
    with pytest.raises(StoreLocked):
        new.hold_lock()  # no wait: refused at once
    # A graceful reload: the old worker finishes, then lets go.
    threading.Timer(0.3, old.close).start()
    new.hold_lock(wait=10)
    assert new.holds_lock
    new.close()


def test_start_up_logs_the_sqlite_version(db_path, caplog):
    with caplog.at_level(logging.INFO, logger="wom"):
        app = create_app({"TESTING": True, "DATABASE": str(db_path)})
    assert sqlite3.sqlite_version in caplog.text
    app.extensions["wom.store"].close()


def test_the_name_index_migration_fills_existing_identities(db_path):
    partial = Store(db_path)
    with partial.write() as db:
        migrations.apply(db, stop_before="0005_identity_name_index")
        db.execute("INSERT INTO people(external_id, created_at) VALUES ('z', 0)")
        db.execute(
            "INSERT INTO identities(person_id, name) VALUES (1, '  Zoë  DUPONT')"
        )
    partial.migrate()
    row = (
        partial.reader()
        .execute("SELECT name, name_normalised FROM identities")
        .fetchone()
    )
    partial.close()
    assert tuple(row) == ("  Zoë  DUPONT", "zoë dupont")


def test_the_leaner_index_migration_keeps_the_log_and_its_uniqueness(db_path):
    partial = Store(db_path)
    with partial.write() as db:
        migrations.apply(db, stop_before="0006_leaner_event_indexes")
        db.execute("INSERT INTO people(external_id, created_at) VALUES ('z', 0)")
        db.conn.executemany(
            "INSERT INTO events(type, at, listener_id, source, event_id, "
            "received_at) VALUES ('signup', ?, 1, 'api', ?, 0)",
            [(1, "e1"), (2, None), (3, None)],
        )
    partial.migrate()
    db = partial.reader()
    rows = db.execute("SELECT seq, at, event_id FROM events ORDER BY seq").fetchall()
    assert [tuple(row) for row in rows] == [(1, 1, "e1"), (2, 2, None), (3, 3, None)]
    with pytest.raises(sqlite3.IntegrityError):
        with partial.write() as writer:
            writer.execute(
                "INSERT INTO events(type, at, listener_id, source, event_id, "
                "received_at) VALUES ('signup', 4, 1, 'api', 'e1', 0)"
            )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with partial.write() as writer:
            writer.execute("DELETE FROM events")
    with partial.write() as writer:
        # The sequence goes on from where the old table left it.
        added = writer.execute(
            "INSERT INTO events(type, at, listener_id, source, received_at) "
            "VALUES ('signup', 5, 1, 'api', 0)"
        )
        assert added.lastrowid == 4
    partial.close()


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (
            "SELECT seq FROM events WHERE source = 'api' "
            "AND event_id IN (SELECT value FROM json_each('[\"a\"]'))",
            "INDEX events_event_id",
        ),
        (
            "SELECT seq FROM events WHERE listener_id = 1 AND talker_id = 2",
            "INDEX events_touches",
        ),
    ],
)
def test_the_log_is_searched_through_its_lean_indexes(store, query, index):
    plan = " ".join(
        row[3] for row in store.reader().execute(f"EXPLAIN QUERY PLAN {query}")
    )
    assert index in plan


def test_counted_clicks_are_read_from_the_human_runs_alone(store):
    # The cold start's read of every click that counts: the human runs, no sort.
    reader = store.reader()
    statements = []
    reader.conn.set_trace_callback(statements.append)
    click_seconds(reader)
    reader.conn.set_trace_callback(None)
    plan = " ".join(
        row[3] for row in reader.execute(f"EXPLAIN QUERY PLAN {statements[-1]}")
    )
    assert "SEARCH click_runs USING PRIMARY KEY (ua_class=?)" in plan
    assert "TEMP B-TREE" not in plan


def test_the_click_migrations_keep_the_clicks_that_count(db_path):
    partial = Store(db_path)
    with partial.write() as db:
        migrations.apply(db, stop_before="0007_human_click_index")
        db.execute("INSERT INTO people(external_id, created_at) VALUES ('z', 0)")
        db.execute("INSERT INTO links(code, owner_id, created_at) VALUES ('c', 1, 0)")
        db.conn.executemany(
            "INSERT INTO events(type, at, link_id, visitor, ua_class, source, "
            "received_at) VALUES ('click', ?, 1, 'v', ?, 'web', 0)",
            [(0, "human"), (60_000_000, "human"), (1, "bot"), (4e9, "human")],
        )
    partial.migrate()
    # The repeat a minute later does not count, nor does the bot; both others do.
    assert click_seconds(partial.reader()) == [0.0, 4000.0]
    # Each run keeps every click it holds.
    runs = partial.reader().execute(
        "SELECT ua_class, start_at, end_at, clicks FROM click_runs "
        "ORDER BY ua_class, start_at"
    )
    assert runs.fetchall() == [
        ("bot", 1, 1, 1),
        ("human", 0, 60_000_000, 2),
        ("human", 4_000_000_000, 4_000_000_000, 1),
    ]
    partial.close()


@pytest.fixture
def before(db_path):
    """A store migrated up to, and not including, a named migration."""
    stores = []

    def before(migration: str) -> Store:
        stores.append(Store(db_path))
        with stores[-1].write() as db:
            migrations.apply(db, stop_before=migration)
        return stores[-1]

    yield before
    for store in stores:
        store.close()


def test_the_email_alias_migration_voids_a_self_referral_made_before_it(before):
    partial = before("0011_email_provider_aliases")
    ingest(
        partial,
        [
            {"type": "signup", "customer": "al", "email": "al@outlook.com", "at": T0},
            {"type": "referral", "from": "al", "to": "a2", "at": T1},
            {"type": "signup", "customer": "a2", "email": "al+2@outlook.com", "at": T2},
        ],
    )
    with partial.write() as db:
        # As the normal form was before: the alias looked like another mailbox.
        db.execute("UPDATE identities SET email_normalised = lower(email)")
        rederive_credits(db)
        assert db.execute("SELECT count(*) FROM credits").fetchone()[0] == 1
    partial.migrate()
    db = partial.reader()
    assert db.execute("SELECT count(*) FROM credits").fetchone()[0] == 0
    assert db.execute(
        "SELECT email_normalised FROM identities ORDER BY person_id"
    ).fetchall() == [("al@outlook.com",), ("al@outlook.com",)]
    assert (
        db.execute(
            "SELECT count(*) FROM flags WHERE kind = 'self_referral'"
        ).fetchone()[0]
        == 1
    )


def test_the_idempotency_people_migration_links_the_responses_stored_before_it(
    before,
):
    partial = before("0012_idempotency_people")
    with partial.write() as db:
        db.execute("INSERT INTO people(external_id, created_at) VALUES ('1', 0)")
        db.execute(
            "INSERT INTO tokens(name, token_sha256, created_at) VALUES ('t', 'h', 0)"
        )
        db.conn.executemany(
            "INSERT INTO idempotency_keys(token_id, key, request_sha256, status, "
            "response, created_at) VALUES (1, ?, 'sha', 200, ?, 0)",
            [("names", '{"id":"1","name":"One"}'), ("counts", '{"received":1}')],
        )
    partial.migrate()
    linked = (
        partial.reader()
        .execute("SELECT key, person_id FROM idempotency_people")
        .fetchall()
    )
    assert linked == [("names", 1)]


def test_a_subscribers_rest_runs_at_once_unless_the_writer_defers_it(store):
    ran = []
    store.subscribe(lambda changes: lambda: ran.append("rest"))
    with store.write():
        pass
    assert ran == ["rest"], "before write returns"
    with store.deferring() as later:
        with store.write():
            pass
    assert ran == ["rest"] and len(later) == 1, "collected, not run"
    store.run_later(later)
    assert ran == ["rest", "rest"]
