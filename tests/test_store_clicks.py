"""Clicks kept as runs: the repeat rule in bounded work, a flood in bounded disk."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wom.store import Store, ingest, rebuild
from wom.store.clicks import CLICK_FLOOD_CLICKS, CLICK_REPEAT_US
from wom.store.graph_rows import click_seconds
from wom.store.queries import derived_snapshot

T0 = datetime(2025, 1, 1, tzinfo=UTC)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
MINUTE = 60_000_000


@pytest.fixture
def code(store):
    """The link of customer a."""
    ingest(store, [{"type": "signup", "customer": "a", "at": T0}], source="test")
    return store.reader().execute("SELECT code FROM links").fetchone()[0]


def clicks(code, minutes, visitor="v-1", agent=BROWSER):
    """Click events of one visitor at ``minutes`` after T0."""
    return [
        {
            "type": "click",
            "link": code,
            "visitor": visitor,
            "at": T0 + timedelta(minutes=m),
            "user_agent": agent,
        }
        for m in minutes
    ]


def one(store, sql, params=()):
    return store.reader().execute(sql, list(params)).fetchone()


def counted_by_hand(times_us):
    """Counted clicks of one visitor on one link: no click at most 30 minutes
    before it (the repeat rule read literally)."""
    ordered = sorted(times_us)
    return [
        t
        for i, t in enumerate(ordered)
        if i == 0 or t - ordered[i - 1] > CLICK_REPEAT_US
    ]


def test_a_flood_writes_one_log_row_and_keeps_every_click_in_its_run(store, code):
    for minute in range(500):
        ingest(store, clicks(code, [minute / 10]), source="test")
    assert one(store, "SELECT count(*) FROM events WHERE type = 'click'") == (1,)
    assert one(store, "SELECT count(*), sum(clicks) FROM click_runs") == (1, 500)
    assert one(store, "SELECT clicks FROM links") == (1,)


def test_bot_clicks_all_count_apart_yet_a_bot_flood_is_one_row(store, code):
    ingest(store, clicks(code, range(20), agent="Twitterbot/1.0"), source="test")
    assert one(store, "SELECT clicks, bot_clicks FROM links") == (0, 20)
    assert one(store, "SELECT count(*) FROM events WHERE type = 'click'") == (1,)


def test_a_click_with_an_event_id_is_always_logged_so_a_replay_is_known(store, code):
    first, again = clicks(code, [0, 1])
    again["event_id"] = "e-1"
    ingest(store, [first], source="api")
    ingest(store, [again], source="api")
    replay = ingest(store, [again], source="api")
    assert replay.replayed == 1
    assert one(store, "SELECT sum(clicks) FROM click_runs") == (2,)


@pytest.mark.parametrize(
    ("stored", "late", "counted"),
    [
        ([0, 40], 20, [0]),  # bridges two runs: the later stops counting
        ([30], 10, [10]),  # just before a run: the run starts earlier
        ([0], 100, [0, 100]),  # far after: a run of its own
        ([0, 20], 10, [0]),  # inside a run: a repeat
    ],
)
def test_a_late_click_moves_what_counts_as_the_rule_says(
    store, code, stored, late, counted
):
    ingest(store, clicks(code, stored), source="test")
    result = ingest(store, clicks(code, [late]), source="test")
    assert sorted(click_seconds(store.reader())) == seconds(counted)
    assert one(store, "SELECT clicks FROM links") == (len(counted),)
    # The service is told which counted times came and went: no re-read.
    before = set(seconds(stored)) & set(seconds(counted_minutes(stored)))
    assert set(result.changes.clicks) == set(seconds(counted)) - before
    assert set(result.changes.clicks_removed) == before - set(seconds(counted))


def seconds(minutes):
    """POSIX seconds of ``minutes`` after T0, sorted."""
    return sorted(at_us(m) / 1e6 for m in minutes)


def at_us(minutes) -> int:
    moment = T0 + timedelta(minutes=minutes)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def counted_minutes(minutes):
    """The minutes among ``minutes`` whose click counts."""
    kept = set(counted_by_hand([at_us(m) for m in minutes]))
    return [m for m in minutes if at_us(m) in kept]


def test_each_click_reads_the_runs_beside_it_through_the_key(store, code):
    # A long history of one visitor on one link: a run a day for a year.
    ingest(store, clicks(code, [24 * 60 * day for day in range(365)]), source="t")
    statements = []
    store.writer.conn.set_trace_callback(statements.append)
    ingest(store, clicks(code, [24 * 60 * 200 + 5]), source="test")
    store.writer.conn.set_trace_callback(None)
    read = next(s for s in statements if "FROM json_each" in s and "click_runs r" in s)
    plan = " ".join(
        row[3] for row in store.writer.execute(f"EXPLAIN QUERY PLAN {read}")
    )
    assert "SCAN r" not in plan and "SCAN p" not in plan
    assert "SEARCH r USING PRIMARY KEY" in plan
    assert one(store, "SELECT clicks FROM links") == (365,)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["v-1", "v-2"]),
            st.integers(0, 300),  # minutes after T0
            st.booleans(),  # a bot
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 6),
    st.randoms(use_true_random=False),
)
def test_runs_count_as_the_rule_whatever_the_order_and_batches(
    tmp_path_factory, shuffled, batches, rng
):
    store = Store(tmp_path_factory.mktemp("runs") / "wom.db")
    store.migrate()
    ingest(store, [{"type": "signup", "customer": "a", "at": T0}], source="t")
    code = store.reader().execute("SELECT code FROM links").fetchone()[0]
    events = [
        clicks(code, [m], visitor, "Twitterbot/1.0" if bot else BROWSER)[0]
        for visitor, m, bot in shuffled
    ]
    cuts = sorted(rng.sample(range(len(events) + 1), min(batches, len(events) + 1)))
    for lo, hi in zip([0, *cuts], [*cuts, len(events)], strict=True):
        if events[lo:hi]:
            ingest(store, events[lo:hi], source="t")
    expected = []
    for visitor in ("v-1", "v-2"):
        times = [at_us(m) for v, m, bot in shuffled if v == visitor and not bot]
        expected += counted_by_hand(times)
    bots = sum(bot for _, _, bot in shuffled)
    assert one(store, "SELECT clicks, bot_clicks FROM links") == (len(expected), bots)
    assert sorted(click_seconds(store.reader())) == sorted(t / 1e6 for t in expected)
    assert one(store, "SELECT sum(clicks) FROM click_runs") == (len(events),)
    incremental = derived_snapshot(store.reader())
    with store.write() as db:
        rebuild(db)
    assert derived_snapshot(store.reader()) == incremental
    store.close()


def test_a_flood_is_flagged_once_and_the_owner_can_close_it(api, app):
    store = app.extensions["wom.store"]
    ingest(store, [{"type": "signup", "customer": "a", "at": T0}], source="test")
    code = store.reader().execute("SELECT code FROM links").fetchone()[0]
    flood = clicks(code, [n / 100 for n in range(CLICK_FLOOD_CLICKS + 5)])
    ingest(store, flood[:CLICK_FLOOD_CLICKS], source="test")
    assert api.get("/flags?kind=click_flood").json["items"] == []
    ingest(store, flood[CLICK_FLOOD_CLICKS:], source="test")
    (flag,) = api.get("/flags?kind=click_flood").json["items"]
    assert flag["referrer"] == "a" and flag["status"] == "open"
    assert code in flag["reason"]
    decided = api.post(f"/flags/{flag['id']}", json={"decision": "approve"})
    assert (decided.status, decided.json["status"]) == (200, "approved")
    assert api.get("/flags?kind=click_flood&status=open").json["items"] == []
    # Closing it moves no count: the run counted once.
    assert one(store, "SELECT clicks FROM links") == (1,)


def test_a_random_flood_of_many_visitors_keeps_the_counts(store, code):
    rng = random.Random(0)
    minutes = [(f"v-{rng.randrange(5)}", rng.uniform(0, 600)) for _ in range(300)]
    for start in range(0, len(minutes), 37):
        batch = [
            clicks(code, [m], visitor)[0] for visitor, m in minutes[start : start + 37]
        ]
        ingest(store, batch, source="test")
    expected = 0
    for visitor in {v for v, _ in minutes}:
        times = [at_us(m) for v, m in minutes if v == visitor]
        expected += len(counted_by_hand(times))
    assert one(store, "SELECT clicks FROM links") == (expected,)
