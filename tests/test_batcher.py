"""Group commit: acknowledged means durable, every event exactly once, errors alone."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from wom.contract import EventRules, check_objects
from wom.store import InvalidInput, StoreLocked, ingest, now_micros
from wom.store.batcher import Batcher
from wom.store.derive import rebuild
from wom.store.queries import derived_snapshot

T0 = "2026-01-01T00:00:00Z"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0 Safari/537.36"


def check_events(raws: list) -> list:
    """Events checked by the contract, as a client's would be (in EUR)."""
    return check_objects(raws, EventRules(currency="EUR", floor=0, now=now_micros()))


@pytest.fixture
def codes(store):
    """Link codes of customers c0 to c2 (emails c0@example.org, visitors v-c0...)."""
    ingest(
        store,
        [
            {
                "type": "signup",
                "customer": f"c{n}",
                "email": f"c{n}@example.org",
                "visitor": f"v-c{n}",
                "at": T0,
            }
            for n in range(3)
        ],
        source="test",
    )
    return [
        row[0]
        for row in store.reader().execute("SELECT code FROM links ORDER BY owner_id")
    ]


@pytest.fixture
def batcher(store):
    return Batcher(store)


def click(code, visitor, agent=BROWSER):
    """One checked click event."""
    raw = {
        "type": "click",
        "link": code,
        "visitor": visitor,
        "at": "2026-02-01T00:00:00Z",
        "user_agent": agent,
    }
    return check_events([raw])


def in_file(store, sql, params=()):
    """Ask the file through a brand-new connection: what a crash would leave."""
    conn = sqlite3.connect(store.path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_an_acknowledged_click_is_in_the_file(store, batcher, codes):
    result = batcher.submit(click(codes[0], "v-1"))
    assert result.accepted == 1
    rows = in_file(
        store, "SELECT type, visitor FROM events WHERE seq = ?", [result.first_seq]
    )
    assert rows == [("click", "v-1")]


def test_derived_counts_are_committed_with_the_click(store, batcher, codes):
    batcher.submit(click(codes[0], "v-1"))
    batcher.submit(click(codes[0], "v-1"))
    batcher.submit(click(codes[0], "v-2", agent="Twitterbot/1.0"))
    rows = in_file(
        store, "SELECT clicks, bot_clicks FROM links WHERE code = ?", [codes[0]]
    )
    assert rows == [(1, 1)]


def test_concurrent_clicks_are_each_recorded_exactly_once(store, batcher, codes):
    threads, per_thread = 32, 20

    def clicker(n):
        return [
            batcher.submit(click(codes[i % 3], f"v-{n}-{i}")).first_seq
            for i in range(per_thread)
        ]

    with ThreadPoolExecutor(threads) as pool:
        seqs = [seq for chunk in pool.map(clicker, range(threads)) for seq in chunk]
    total = threads * per_thread
    assert len(set(seqs)) == total, "each submission got its own place in the log"
    visitors = in_file(store, "SELECT visitor FROM events WHERE type = 'click'")
    assert sorted(v for (v,) in visitors) == sorted(
        f"v-{n}-{i}" for n in range(threads) for i in range(per_thread)
    )
    clicks = in_file(store, "SELECT sum(clicks) FROM links")[0][0]
    assert clicks == total
    assert batcher.batches < total, "some commits carried several clicks"


def wait_until(condition, seconds=5.0):
    deadline = now_micros() + int(seconds * 1_000_000)
    while not condition():
        assert now_micros() < deadline, "timed out"
        threading.Event().wait(0.005)


def queue_behind_the_writer(store, batcher, jobs):
    """Run ``jobs`` (callables) while the writer is held: the first one leads a
    batch that waits for the writer, and all the others queue for the next."""
    threads = [threading.Thread(target=job) for job in jobs]
    with store.write():
        threads[0].start()
        wait_until(lambda: batcher.pending() == 0 and batcher._committing)
        for thread in threads[1:]:
            thread.start()
        wait_until(lambda: batcher.pending() == len(jobs) - 1)
    for thread in threads:
        thread.join()


def test_a_batch_commits_once_for_many_waiters(store, batcher, codes):
    queue_behind_the_writer(
        store,
        batcher,
        [lambda n=n: batcher.submit(click(codes[0], f"v-{n}")) for n in range(10)],
    )
    assert batcher.batches == 2, "the first one, then the nine that waited"
    assert batcher.largest_batch == 9
    assert in_file(store, "SELECT count(*) FROM events")[0][0] == 3 + 10


def test_clicks_appended_together_each_get_their_own_row(store, batcher, codes):
    results = {}

    def send(n):
        results[f"v-{n}"] = batcher.submit(click(codes[n % 3], f"v-{n}"))

    queue_behind_the_writer(store, batcher, [lambda n=n: send(n) for n in range(6)])
    assert batcher.largest_batch == 5
    for visitor, result in results.items():
        assert (result.accepted, result.first_seq) == (1, result.last_seq)
        rows = in_file(
            store, "SELECT visitor FROM events WHERE seq = ?", [result.first_seq]
        )
        assert rows == [(visitor,)]


def test_only_a_batch_of_clicks_alone_is_announced_as_clicks_only(store, codes):
    heard = []
    store.subscribe(lambda changes: heard.append(changes.clicks_only))
    batcher = Batcher(store)
    batcher.submit(click(codes[0], "v-1"))
    raw = {"type": "signup", "customer": "new", "visitor": "v-1", "at": T0}
    batcher.submit(check_events([raw]))
    assert heard == [True, False]


def test_a_bad_submission_fails_alone(store, batcher, codes):
    outcomes = {}
    unknown = click(codes[0], "v-x")
    unknown[0].link = "nosuchcd"

    def send(name, events):
        try:
            outcomes[name] = batcher.submit(events).accepted
        except InvalidInput as exc:
            outcomes[name] = exc

    queue_behind_the_writer(
        store,
        batcher,
        [
            lambda: send("first", click(codes[0], "v-0")),
            lambda: send("good", click(codes[1], "v-1")),
            lambda: send("bad", unknown),
            lambda: send("also good", click(codes[2], "v-2")),
        ],
    )
    assert batcher.largest_batch == 3, "the bad one shared a transaction"
    assert isinstance(outcomes.pop("bad"), InvalidInput)
    assert outcomes == {"first": 1, "good": 1, "also good": 1}
    assert in_file(store, "SELECT count(*) FROM events WHERE type = 'click'") == [(3,)]


def test_listeners_hear_of_each_batch_after_commit(store, batcher, codes):
    heard = []

    def listener(changes):
        committed = in_file(store, "SELECT count(*) FROM events WHERE type = 'click'")
        heard.append((changes.links, committed[0][0]))

    store.subscribe(listener)
    batcher.submit(click(codes[0], "v-1"))
    link_id = (
        store.reader()
        .execute("SELECT id FROM links WHERE code = ?", [codes[0]])
        .fetchone()[0]
    )
    wait_until(lambda: heard)
    assert heard == [({link_id}, 1)]


def test_batched_sign_ups_derive_what_a_rebuild_derives(store, batcher, codes):
    def signup(n):
        raw = {
            "type": "signup",
            "customer": f"new{n}",
            # new0 is c0 again by email (a self-referral through c0's link), and
            # new1, new16 share c1's cookie (held).
            "email": "C0@example.org" if n == 0 else f"new{n}@example.org",
            "link": codes[n % 3],
            "visitor": "v-c1" if n % 5 == 1 else f"v-{n}",
            "at": "2026-02-01T00:00:00Z",
        }
        return batcher.submit(check_events([raw]))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(signup, range(24)))
    incremental = derived_snapshot(store.reader())
    kinds = sorted(row[1] for row in incremental["flags"])
    assert kinds == ["held", "held", "self_referral"]
    with store.write() as db:
        rebuild(db)
    assert derived_snapshot(store.reader()) == incremental


def test_no_thread_of_its_own(store, batcher, codes):
    before = threading.active_count()
    batcher.submit(click(codes[0], "v-1"))
    assert threading.active_count() == before


def test_a_caller_that_waits_too_long_is_told_and_never_written(store, codes):
    batcher = Batcher(store, timeout=0.2)
    outcome = {}

    def first():
        outcome["first"] = batcher.submit(click(codes[0], "v-1")).accepted

    with store.write():
        leader = threading.Thread(target=first)
        leader.start()
        wait_until(lambda: batcher._committing)
        with pytest.raises(StoreLocked, match="did not commit"):
            batcher.submit(click(codes[0], "v-late"))
    leader.join()
    assert outcome == {"first": 1}
    visitors = in_file(store, "SELECT visitor FROM events WHERE type = 'click'")
    assert visitors == [("v-1",)], "the caller gave up before its batch began"


def test_within_runs_in_each_submissions_transaction_and_fails_it_alone(
    store, batcher, codes
):
    outcomes = {}

    def keep(name):
        def within(db, result):
            if name == "refused":
                raise InvalidInput([{"index": None, "field": "x", "message": "no"}])
            db.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?)",
                [f"kept-{name}", str(result.first_seq)],
            )

        return within

    def send(name, visitor):
        try:
            result = batcher.submit(click(codes[0], visitor), within=keep(name))
            outcomes[name] = result.first_seq
        except InvalidInput:
            outcomes[name] = "refused"

    queue_behind_the_writer(
        store,
        batcher,
        [
            lambda: send("first", "v-0"),
            lambda: send("a", "v-1"),
            lambda: send("refused", "v-2"),
            lambda: send("b", "v-3"),
        ],
    )
    assert batcher.largest_batch == 3, "the three shared one transaction"
    assert outcomes["refused"] == "refused"
    kept = dict(
        in_file(store, "SELECT key, value FROM settings WHERE key LIKE 'kept-%'")
    )
    # Each saw its own result, and what it wrote committed with its events.
    assert kept == {f"kept-{name}": str(outcomes[name]) for name in ("first", "a", "b")}
    visitors = in_file(store, "SELECT visitor FROM events WHERE type = 'click'")
    assert sorted(v for (v,) in visitors) == ["v-0", "v-1", "v-3"]
