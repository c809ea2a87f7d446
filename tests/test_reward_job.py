"""The scheduled job that approves rewards when their hold ends, on a clock the
tests turn by hand (it never sleeps here)."""

from __future__ import annotations

import threading

import pytest

from tests.rewards_helpers import day, hold_end, ledger, send, set_reward_rules
from wom.actions.reward_job import RewardApprover


class Clock:
    """A clock that stands still until moved, and says when it was read."""

    def __init__(self, now: int):
        self.now = now
        self.read = threading.Event()

    def __call__(self) -> int:
        self.read.set()
        return self.now


@pytest.fixture
def earned(store):
    """Ann referred Bob on day 1 under a 14-day hold: two pending rewards."""
    send(store, {"type": "signup", "customer": "ann", "at": day(0)})
    set_reward_rules(
        store, {"side": "both", "trigger": "signup", "amount": "5", "hold_days": 14}
    )
    send(store, {"type": "referral", "from": "ann", "to": "bob", "at": day(1)})
    return store


def test_a_run_before_the_hold_ends_approves_nothing(earned):
    job = RewardApprover(earned, clock=Clock(hold_end(1, 14) - 1))
    assert job.run_once() == 0
    assert {r["state"] for r in ledger(earned).values()} == {"pending"}


def test_a_run_once_the_hold_ends_approves_and_logs_it(earned):
    clock = Clock(hold_end(1, 14))
    assert RewardApprover(earned, clock=clock).run_once() == 2
    entries = earned.reader().execute(
        "SELECT kind, at, by FROM reward_log WHERE reward_id IS NOT NULL"
    )
    assert sorted(entries) == [("approved", clock.now, "job")] * 2
    assert {r["state"] for r in ledger(earned).values()} == {"approved"}


def test_a_second_run_finds_nothing_more(earned):
    job = RewardApprover(earned, clock=Clock(hold_end(1, 30)))
    job.run_once()
    assert job.run_once() == 0


def test_the_thread_runs_at_start_and_stops_when_asked(earned):
    clock = Clock(hold_end(1, 14))
    job = RewardApprover(earned, clock=clock, interval=3600)
    job.start()
    job.start()  # once only
    assert clock.read.wait(10)
    job.stop()
    assert job.runs == 1
    assert {r["state"] for r in ledger(earned).values()} == {"approved"}


def test_the_app_leaves_a_test_app_s_job_to_the_test(app):
    job = app.extensions["wom.reward_approver"]
    with app.test_client().get("/healthz") as reply:
        assert reply.status_code == 200
    assert job._thread is None
