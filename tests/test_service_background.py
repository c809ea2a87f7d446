"""The service's background figures: run in another process, carried with
computed_at, feeding the flags; a killed worker replaced, a stop at once, and
readers told to come back while the service warms up."""

from __future__ import annotations

import threading
import time

import pytest

from wom.service import AnalyticsService, NotReady
from wom.store import graph_rows


@pytest.fixture
def chatty(record):
    """A small history with a reciprocal referral pair and a chain."""
    record(
        {"type": "signup", "customer": "a", "at": "2026-01-01T00:00:00Z"},
        {"type": "referral", "from": "a", "to": "b", "at": "2026-01-02T00:00:00Z"},
        {"type": "referral", "from": "b", "to": "c", "at": "2026-01-03T00:00:00Z"},
        {"type": "referral", "from": "b", "to": "a", "at": "2026-01-04T00:00:00Z"},
        {"type": "mention", "from": "c", "to": "d", "at": "2026-01-05T00:00:00Z"},
    )


def test_background_figures_carry_computed_at_and_feed_the_flags(
    service, chatty, store
):
    assert service.person(1)["influence"] is None
    service.refresh_background()
    a = service.person(1)
    assert a["computed_at"].endswith("Z")
    assert a["conversation_reach"] == 3  # b, c and d
    assert 0 < a["influence"] < 1
    ranked = service.starters("influence", limit=2)
    assert ranked["computed_at"] == a["computed_at"]
    kinds = {row[0] for row in store.reader().execute("SELECT kind FROM flags")}
    assert "reciprocal" in kinds
    for name in ("communities", "bridges", "seeds"):
        assert service.background_result(name)


def test_background_figures_run_in_another_process(store, chatty):
    service = AnalyticsService(store, background=True, interval=0)
    service.ensure_loaded()
    service.refresh_background(wait=True)
    result = service.background_result("influence")
    service.background.stop()
    assert result is not None and set(result["scores"]) == {1, 2, 3, 4}


def test_a_killed_background_worker_is_replaced_at_the_next_run(store, chatty):
    service = AnalyticsService(store, background=True, interval=0)
    service.ensure_loaded()
    service.refresh_background(wait=True)
    for process in list(service.background._executor._processes.values()):
        process.kill()  # as the out-of-memory killer would
        process.join(10)
    service.refresh_background(wait=True)
    assert service.background_result("influence") is not None
    assert service.background._executor._processes, "a new worker"
    service.background.stop()


def _ends_within(process, *, seconds: float) -> bool:
    """Whether ``process`` has ended within ``seconds``.

    The executor's own thread reaps the worker too, and whichever thread loses
    that race sees the process as alive until the winner records its exit code,
    so this asks again rather than trusting one ``join``.
    """
    deadline = time.monotonic() + seconds
    while process.is_alive():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_stopping_ends_the_worker_at_once_even_mid_run(store, chatty):
    service = AnalyticsService(store, background=True, interval=0)
    service.ensure_loaded()  # the first run starts now
    workers = list(service.background._executor._processes.values())
    assert workers
    service.background.stop()
    for process in workers:
        assert _ends_within(process, seconds=5)
    service.refresh_background()  # stopped: nothing starts again
    assert service.background._executor is None


def test_a_stop_leaves_nothing_for_the_exit_hook_to_write_to(store, chatty):
    """At exit, concurrent.futures wakes each executor's thread through a pipe,
    without the lock that thread takes to close it: a stop that returned with
    the thread still closing left a write racing a close (EBADF as a server
    stopped, once in CI)."""
    service = AnalyticsService(store, background=True, interval=0)
    service.ensure_loaded()  # the first run starts now
    executor = service.background._executor
    manager = executor._executor_manager_thread
    wakeup = executor._executor_manager_thread_wakeup
    service.background.stop()
    assert not manager.is_alive()
    assert wakeup._closed
    wakeup.wakeup()  # what the exit hook does: nothing, once closed


def test_while_it_warms_up_readers_are_told_to_come_back(store, chatty, monkeypatch):
    loading, done = threading.Event(), threading.Event()
    read_people = graph_rows.people_table

    def slow_people(db):
        loading.set()
        done.wait(10)
        return read_people(db)

    monkeypatch.setattr(graph_rows, "people_table", slow_people)
    service = AnalyticsService(store, background=False)
    service.warm_up()
    assert loading.wait(10)
    with pytest.raises(NotReady):
        service.starters("reach")  # at once, not after the load
    assert not service.ready
    done.set()
    service._warmer.join(10)
    assert service.ready and service.starters("reach")["items"]
