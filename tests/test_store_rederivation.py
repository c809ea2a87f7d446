"""A switch of the attribution rule or window, re-derived in chunks: each chunk its
own write transaction, other writes between them, and the end equal to a rebuild."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from wom import actions
from wom.actions.switching import finish_switch
from wom.store import InvalidInput, now_micros, rebuild
from wom.store.queries import derived_snapshot
from wom.store.rederivation import begin_switch, rederive_chunk, switch_progress
from wom.store.settings import write_setting

START = datetime(2026, 1, 1, tzinfo=UTC)
TOUCHES = ("mention", "heard_from")  # a referral would convert its listener


def day(n: float) -> str:
    return (START + timedelta(days=n)).isoformat()


def told_then_joined(rng: random.Random, people: list[str], joined: list[str]):
    """Each of ``people`` is told by two to four of ``joined`` (customers already)
    within the month before signing up, a week apart: first and last touch
    differ for most of them. Events come shuffled, so some arrive late."""
    events = []
    for n, person in enumerate(people):
        signup = 40 + n + rng.random()
        talkers = rng.sample(joined, rng.randint(2, min(4, len(joined))))
        for k, talker in enumerate(talkers):
            kind = rng.choice(TOUCHES)
            at = day(signup - 30 + 7 * k + rng.random())
            events.append({"type": kind, "from": talker, "to": person, "at": at})
        events.append({"type": "signup", "customer": person, "at": day(signup)})
        joined = [*joined, person]
    rng.shuffle(events)
    return events


@pytest.fixture
def rng():
    return random.Random(7)


@pytest.fixture
def talkative(record, rng):
    """Eight customers from the start, and forty more whom they and the ones
    before told."""
    roots = [f"r{i}" for i in range(8)]
    record(*({"type": "signup", "customer": p, "at": day(0)} for p in roots))
    record(*told_then_joined(rng, [f"p{i:02}" for i in range(40)], roots))


def credits(store) -> dict[str, str]:
    return dict(
        store.reader().execute(
            "SELECT c.external_id, r.external_id FROM credits x "
            "JOIN people c ON c.id = x.customer_id "
            "JOIN people r ON r.id = x.referrer_id"
        )
    )


def rebuilt(store) -> dict:
    """What a rebuild from the log gives (the store is left rebuilt)."""
    with store.write() as db:
        rebuild(db)
    return derived_snapshot(store.reader())


def begin(store, key: str, value) -> None:
    with store.write() as db:
        write_setting(db, key, value)
        begin_switch(db, now_micros())


def chunk(store, size: int) -> dict:
    with store.write() as db:
        return rederive_chunk(db, now_micros(), size)


def test_the_rules_differ_on_this_world(store, talkative):
    first = credits(store)
    actions.change_setting(store, "attribution_rule", "last")
    assert sum(first[c] != r for c, r in credits(store).items()) >= 30


@pytest.mark.parametrize(
    ("key", "value"), [("attribution_rule", "last"), ("attribution_window_days", 7)]
)
def test_a_switch_ends_equal_to_a_rebuild(store, talkative, key, value):
    actions.change_setting(store, key, str(value))
    switched = derived_snapshot(store.reader())
    assert switched == rebuilt(store)
    progress = switch_progress(store.reader())
    assert progress["finished_at"] is not None
    assert progress["done"] == progress["total"] == len(customer_ids(store))


def customer_ids(store) -> list:
    return (
        store.reader()
        .execute("SELECT id FROM people WHERE status = 'customer'")
        .fetchall()
    )


def chatter(rng: random.Random, n: int) -> list[dict]:
    """Writes during a switch: a newcomer told by two customers, and a touch
    dated before an existing customer's sign-up (a late arrival)."""
    old = [f"p{i:02}" for i in range(40)]
    talkers = rng.sample(old[:20], 2)
    late = rng.choice(old[20:])
    return [
        *(
            {"type": "mention", "from": t, "to": f"n{n}", "at": day(80 + k)}
            for k, t in enumerate(talkers)
        ),
        {"type": "signup", "customer": f"n{n}", "at": day(85)},
        {"type": "referral", "from": rng.choice(old[:10]), "to": late, "at": day(30)},
    ]


def test_writes_between_chunks_end_equal_to_a_rebuild(store, record, talkative, rng):
    begin(store, "attribution_rule", "last")
    chunks = 0
    while chunk(store, 4)["finished_at"] is None:
        chunks += 1
        # Sign-ups, touches and clicks while the switch runs, to customers the
        # walk has passed and to those it has not reached yet.
        record(*chatter(rng, chunks))
        code = store.reader().execute("SELECT code FROM links LIMIT 1").fetchone()[0]
        record({"type": "click", "link": code, "visitor": f"v{chunks}", "at": day(9)})
    assert chunks >= 5
    switched = derived_snapshot(store.reader())
    assert switched == rebuilt(store)


def test_a_second_switch_midway_starts_the_walk_over(store, record, talkative, rng):
    begin(store, "attribution_rule", "last")
    chunk(store, 10)
    begin(store, "attribution_window_days", 10)
    assert switch_progress(store.reader())["cursor"] == 0
    record(*chatter(rng, 0))
    while chunk(store, 10)["finished_at"] is None:
        pass
    assert derived_snapshot(store.reader()) == rebuilt(store)


def test_midway_the_walked_customers_follow_the_new_rule_and_the_rest_the_old(
    store, talkative
):
    first = credits(store)
    actions.change_setting(store, "attribution_rule", "last")
    last = credits(store)
    actions.change_setting(store, "attribution_rule", "first")
    begin(store, "attribution_rule", "last")
    cursor = chunk(store, 15)["cursor"]
    walked = {
        row[0]
        for row in store.reader().execute(
            "SELECT external_id FROM people WHERE id <= ? AND status = 'customer'",
            [cursor],
        )
    }
    now, rest = credits(store), set(first) - walked
    assert len(walked) == 15 and len(rest) > 15
    assert {c: now.get(c) for c in walked} == {c: last.get(c) for c in walked}
    assert {c: now.get(c) for c in rest} == {c: first.get(c) for c in rest}


def test_a_switch_runs_in_a_thread_of_its_own(store, talkative):
    actions.change_setting(store, "attribution_rule", "last", background=True)
    progress = finish_switch(store)
    assert progress["finished_at"] is not None and progress["rule"] == "last"
    assert derived_snapshot(store.reader()) == rebuilt(store)


def test_the_same_value_again_begins_no_switch(store, talkative):
    actions.change_setting(store, "attribution_rule", "first")
    assert switch_progress(store.reader()) is None


def test_an_unknown_rule_is_refused_and_nothing_moves(store, talkative):
    before = derived_snapshot(store.reader())
    with pytest.raises(InvalidInput):
        actions.change_setting(store, "attribution_rule", "middle")
    assert derived_snapshot(store.reader()) == before
    assert switch_progress(store.reader()) is None
