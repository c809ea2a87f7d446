"""Review flags and decisions: every kind closes, a decision applies to the credits
its flag named, and survives the background reruns that raise the graph's flags."""

from __future__ import annotations

import pytest

from tests.test_webhooks_outbox import sent
from wom import actions
from wom.store import Conflict, now_micros, rebuild
from wom.store import webhooks as endpoints
from wom.store.flags import flags_naming, list_flags
from wom.store.queries import derived_snapshot
from wom.store.settings import write_setting

DAY0 = "2026-01-01T00:00:00Z"


def at(day: int, second: int = 0) -> str:
    return f"2026-01-{day:02}T10:00:{second:02}Z"


def credit(store, customer: str) -> tuple | None:
    row = (
        store.reader()
        .execute(
            "SELECT r.external_id, c.status FROM credits c "
            "JOIN people p ON p.id = c.customer_id "
            "JOIN people r ON r.id = c.referrer_id WHERE p.external_id = ?",
            [customer],
        )
        .fetchone()
    )
    return tuple(row) if row else None


def named(flag: dict) -> list[tuple]:
    return [(c["customer"], c["referrer"]) for c in flag["credits"]]


@pytest.fixture
def rerun(service):
    """Run the background figures (and their fraud checks) as the server does."""
    return service.refresh_background


@pytest.fixture
def burst(store, record, rerun):
    """rex refers b0, b1 and b2 within three seconds (a burst at threshold 2),
    and later one more, outside any window."""
    with store.write() as db:
        write_setting(db, "burst_threshold", 2)
    record(
        {"type": "signup", "customer": "rex", "at": DAY0},
        *(
            {"type": "referral", "from": "rex", "to": f"b{i}", "at": at(2, i)}
            for i in range(3)
        ),
        {"type": "referral", "from": "rex", "to": "later", "at": at(20)},
    )
    rerun()
    (flag,) = list_flags(store.reader(), kind="burst")
    return flag


@pytest.fixture
def world(store, record, rerun):
    """One flag of every kind: a ring, a reciprocal pair, a burst, a credit held
    for a shared cookie, and a self-referral by email."""
    with store.write() as db:
        write_setting(db, "burst_threshold", 2)
    record(
        {"type": "signup", "customer": "a", "at": DAY0},
        {"type": "referral", "from": "a", "to": "b", "at": at(2)},
        {"type": "referral", "from": "b", "to": "c", "at": at(3)},
        {"type": "referral", "from": "c", "to": "a", "at": at(4)},
        {"type": "signup", "customer": "x", "at": DAY0},
        {"type": "referral", "from": "x", "to": "y", "at": at(5)},
        {"type": "referral", "from": "y", "to": "x", "at": at(6)},
        {"type": "signup", "customer": "rex", "at": DAY0},
        *(
            {"type": "referral", "from": "rex", "to": f"b{i}", "at": at(7, i)}
            for i in range(3)
        ),
        {"type": "signup", "customer": "ann", "visitor": "v-1", "at": DAY0},
        {"type": "mention", "from": "ann", "to": "ben", "at": at(8)},
        {"type": "signup", "customer": "ben", "visitor": "v-1", "at": at(9)},
        {"type": "signup", "customer": "zoe", "email": "zoe@gmail.com", "at": DAY0},
        {"type": "mention", "from": "zoe", "to": "zo2", "at": at(10)},
        {"type": "signup", "customer": "zo2", "email": "z.oe@gmail.com", "at": at(11)},
    )
    rerun()
    found = list_flags(store.reader())
    assert len(found) == 5, found
    return {flag["kind"]: flag for flag in found}


def test_the_world_has_one_flag_of_every_kind(world):
    assert sorted(world) == ["burst", "held", "reciprocal", "ring", "self_referral"]
    assert named(world["ring"]) == [("b", "a"), ("c", "b")]
    assert named(world["reciprocal"]) == [("y", "x")]
    assert named(world["burst"]) == [("b0", "rex"), ("b1", "rex"), ("b2", "rex")]
    assert named(world["held"]) == [("ben", "ann")]
    assert named(world["self_referral"]) == [("zo2", "zoe")]


@pytest.mark.parametrize("kind", ["ring", "reciprocal", "burst", "held"])
@pytest.mark.parametrize("decision", ["approve", "void"])
def test_every_kind_of_flag_can_be_closed(store, world, kind, decision):
    outcome = actions.decide_flag(store, world[kind]["id"], decision, now=now_micros())
    assert outcome["status"] == actions.flags.DECISIONS[decision]
    assert outcome["credits"] == world[kind]["credits"]
    (flag,) = [f for f in list_flags(store.reader()) if f["id"] == world[kind]["id"]]
    assert flag["status"] == outcome["status"] and flag["decided_at"] is not None


def test_a_self_referral_closes_void_and_never_approved(store, world):
    key = world["self_referral"]["id"]
    with pytest.raises(Conflict):
        actions.decide_flag(store, key, "approve", now=now_micros())
    assert actions.decide_flag(store, key, "void", now=now_micros())["status"] == (
        "voided"
    )


def test_voiding_a_burst_voids_exactly_the_credits_it_named(store, burst):
    assert named(burst) == [("b0", "rex"), ("b1", "rex"), ("b2", "rex")]
    actions.decide_flag(store, burst["id"], "void", now=now_micros())
    assert [credit(store, f"b{i}") for i in range(3)] == [None] * 3
    assert credit(store, "later") == ("rex", "credited")


def test_voiding_a_ring_leaves_the_credit_it_did_not_name(store, world):
    actions.decide_flag(store, world["ring"]["id"], "void", now=now_micros())
    assert credit(store, "b") is None and credit(store, "c") is None
    assert credit(store, "y") == ("x", "credited")  # the pair's, not the ring's


def test_approving_keeps_the_named_credits_and_a_held_one_counts(store, world):
    actions.decide_flag(store, world["burst"]["id"], "approve", now=now_micros())
    assert credit(store, "b0") == ("rex", "credited")
    actions.decide_flag(store, world["held"]["id"], "approve", now=now_micros())
    assert credit(store, "ben") == ("ann", "credited")


def test_a_decision_survives_a_rerun_whose_members_changed(store, record, rerun, burst):
    actions.decide_flag(store, burst["id"], "approve", now=now_micros())
    record({"type": "referral", "from": "rex", "to": "b3", "at": at(2, 3)})
    rerun()
    kept = [f for f in list_flags(store.reader()) if f["id"] == burst["id"]]
    assert [(f["status"], named(f)) for f in kept] == [("approved", named(burst))]


def test_a_new_member_raises_a_new_flag_for_the_new_credit_only(
    store, record, rerun, burst
):
    actions.decide_flag(store, burst["id"], "approve", now=now_micros())
    record({"type": "referral", "from": "rex", "to": "b3", "at": at(2, 3)})
    rerun()
    (new,) = list_flags(store.reader(), kind="burst", status="open")
    assert new["id"] != burst["id"]
    assert named(new) == [("b3", "rex")]


def test_a_rerun_that_sees_the_same_finding_raises_nothing(store, rerun, burst):
    rerun()
    rerun()
    assert list_flags(store.reader(), kind="burst") == [burst]


def test_a_voided_finding_gone_from_the_graph_keeps_its_flag(store, rerun, burst):
    # Voiding the burst moves its credits away: the next run no longer sees it.
    actions.decide_flag(store, burst["id"], "void", now=now_micros())
    rerun()
    (kept,) = list_flags(store.reader(), kind="burst")
    assert (kept["id"], kept["status"]) == (burst["id"], "voided")


def test_an_open_flag_whose_finding_is_gone_is_dropped(store, rerun, burst):
    with store.write() as db:
        write_setting(db, "burst_threshold", 10)
    rerun()
    assert list_flags(store.reader(), kind="burst") == []


def test_the_members_of_a_burst_carry_its_flag(store, burst):
    db = store.reader()
    b0 = db.execute("SELECT id FROM people WHERE external_id = 'b0'").fetchone()[0]
    rex = db.execute("SELECT id FROM people WHERE external_id = 'rex'").fetchone()[0]
    assert [f["id"] for f in flags_naming(db, b0)] == [burst["id"]]
    assert [f["id"] for f in flags_naming(db, rex)] == [burst["id"]]


def test_a_rebuild_keeps_decided_flags_and_equals_the_incremental_store(store, world):
    actions.decide_flag(store, world["self_referral"]["id"], "void", now=now_micros())
    actions.decide_flag(store, world["held"]["id"], "approve", now=now_micros())
    incremental = derived_snapshot(store.reader())
    with store.write() as db:
        rebuild(db)
    assert derived_snapshot(store.reader()) == incremental
    statuses = {f["id"]: f["status"] for f in list_flags(store.reader())}
    assert statuses[world["self_referral"]["id"]] == "voided"
    assert statuses[world["held"]["id"]] == "approved"
    assert credit(store, "ben") == ("ann", "credited")


def test_the_migrations_keep_every_decision_and_drop_undecided_findings(db_path):
    from wom.store import Store
    from wom.store.schema import migrations

    partial = Store(db_path)
    with partial.write() as db:
        migrations.apply(db, stop_before="0010b_flags_name_credits")
        db.executescript(
            """
            INSERT INTO people(id, external_id, created_at) VALUES
                (1, 'ann', 0), (2, 'ben', 0), (3, 'cy', 0);
            INSERT INTO flags(key, kind, customer_id, referrer_id, members, reason,
                              raised_at) VALUES
                ('self_referral:2:1', 'self_referral', 2, 1, NULL, 'same email', 1),
                ('ring:3:2:1-2-3', 'ring', 3, 2, '[1, 2, 3]', 'a ring', 1),
                ('burst::1:2-3', 'burst', NULL, 1, '[2, 3]', 'a burst', 1);
            INSERT INTO reviews VALUES (2, 1, 'voided', 7), (3, 2, 'approved', 8);
            """
        )
    with partial.write() as db:
        migrations.apply(db, stop_before="0015_flag_decisions_on_flags")
        db.executescript(
            """
            INSERT INTO flags(key, kind, customer_id, referrer_id, members, reason,
                              raised_at)
            VALUES ('click_flood::1:4-5', 'click_flood', NULL, 1, '[]', 'flood', 1);
            INSERT INTO flag_reviews VALUES ('click_flood::1:4-5', 'approved', 9);
            """
        )
    partial.migrate()
    found = {f["id"]: f for f in list_flags(partial.reader())}
    partial.close()
    assert {key: (f["status"], f["decided_at"]) for key, f in found.items()} == {
        "self_referral:2:1": ("voided", 7),
        "ring:3:2:1-2-3": ("approved", 8),
        "click_flood::1:4-5": ("approved", 9),
    }
    assert named(found["ring:3:2:1-2-3"]) == [("cy", "ben")]
    assert found["click_flood::1:4-5"]["credits"] == []


def test_a_finding_opens_its_flag_once_for_webhooks(store, record, rerun):
    with store.write() as db:
        endpoints.create_endpoint(
            db,
            endpoints.new_endpoint_id(),
            "https://hooks.example/",
            ["flag.opened"],
            b"x",
            now_micros(),
        )
        write_setting(db, "burst_threshold", 2)
    record(
        {"type": "signup", "customer": "rex", "at": DAY0},
        *(
            {"type": "referral", "from": "rex", "to": f"b{i}", "at": at(2, i)}
            for i in range(3)
        ),
    )
    rerun()
    rerun()
    (opened,) = sent(store, "flag.opened")
    assert opened["data"]["kind"] == "burst"
    assert [c["customer"] for c in opened["data"]["credits"]] == ["b0", "b1", "b2"]
