"""Fresh background figures: a run after every write that moved the graphs, at
most once a minute, never two at once, and whenever the owner asks.

Time, timers and the worker process are stood in for: a clock the test moves,
timers that fire when it passes their time, and runs the test ends by hand
with the real ``compute`` of the store.
"""

from __future__ import annotations

from concurrent.futures import Future

import pytest

from wom.service import AnalyticsService
from wom.service.background import compute
from wom.service.schedule import BackgroundFigures

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


class Clock:
    """Seconds that pass only when the test says."""

    def __init__(self):
        self.now = 1_000.0
        self.timers: list[Timer] = []

    def __call__(self) -> float:
        return self.now

    def timer(self, delay, function, args):
        made = Timer(self.now + delay, function, args)
        self.timers.append(made)
        return made

    def advance(self, seconds: float) -> None:
        """Move on, firing each started timer whose time has come, in order."""
        self.now += seconds
        while due := sorted(
            (t for t in self.timers if t.live and t.at <= self.now), key=lambda t: t.at
        ):
            due[0].live = False
            due[0].function(*due[0].args)

    def armed(self) -> list[float]:
        """In how many seconds each live timer fires."""
        return [t.at - self.now for t in self.timers if t.live]


class Timer:
    def __init__(self, at, function, args):
        self.at, self.function, self.args = at, function, args
        self.daemon, self.live = False, False

    def start(self):
        self.live = True

    def cancel(self):
        self.live = False


class Runs:
    """Runs that stay under way until ``finish`` ends them."""

    def __init__(self, db_path):
        self.db_path = str(db_path)
        self.started: list[Future] = []

    def __call__(self) -> Future:
        future = Future()
        future.set_running_or_notify_cancel()
        self.started.append(future)
        return future

    def finish(self) -> None:
        """The latest run ends with the store's figures as they are now."""
        self.started[-1].set_result(compute(self.db_path))

    def under_way(self) -> int:
        return sum(not f.done() for f in self.started)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def runs(store):
    return Runs(store.path)


@pytest.fixture
def service(store, record, clock, runs):
    """A loaded service whose first run is under way, with a customer 'a'."""
    record({"type": "signup", "customer": "a", "at": "2026-01-01T00:00:00Z"})
    service = AnalyticsService(store, background=False)
    service.background = BackgroundFigures(
        store.path, min_gap=60.0, retry=900.0, clock=clock, timer=clock.timer, run=runs
    )
    service.ensure_loaded()
    yield service
    service.background.stop()


def referral(to: str, day: int = 2) -> dict:
    at = f"2026-01-{day:02}T00:00:00Z"
    return {"type": "referral", "from": "a", "to": to, "at": at}


def clicks(store, count: int) -> list[dict]:
    code = store.reader().execute("SELECT code FROM links").fetchone()[0]
    return [
        {
            "type": "click",
            "link": code,
            "visitor": f"v{n}",
            "at": "2026-01-02T10:00:00Z",
            "user_agent": BROWSER,
        }
        for n in range(count)
    ]


def test_the_first_run_starts_as_the_service_loads(service, runs):
    assert len(runs.started) == 1
    assert service.background.status() == {
        "running": True,
        "stale": False,
        "started_ago": 0.0,
    }


def test_a_graph_write_reruns_the_figures_once_the_minute_is_over(
    service, runs, clock, record
):
    runs.finish()
    before = service.results["computed_at"]
    clock.advance(10)
    record(referral("b"))
    assert clock.armed() == [50.0], "due a minute after the last run started"
    clock.advance(49.9)
    assert len(runs.started) == 1
    clock.advance(0.1)
    assert len(runs.started) == 2
    runs.finish()
    ids = dict(service.store.reader().execute("SELECT external_id, id FROM people"))
    assert set(service.background_result("influence")["scores"]) == {
        ids["a"],
        ids["b"],
    }
    assert service.results["computed_at"] >= before


def test_clicks_alone_never_rerun_the_figures(service, runs, clock, record, store):
    runs.finish()
    record(*clicks(store, 3))
    clock.advance(3_600)
    assert len(runs.started) == 1
    assert clock.armed() == []
    assert service.background.status() == {
        "running": False,
        "stale": False,
        "started_ago": 3_600.0,
    }


def test_writes_within_the_minute_make_one_run(service, runs, clock, record):
    runs.finish()
    for n, person in enumerate("bcd"):
        clock.advance(10)
        record(referral(person, day=2 + n))
    clock.advance(60)
    assert len(runs.started) == 2
    runs.finish()
    clock.advance(3_600)
    assert len(runs.started) == 2, "nothing was written since the second run began"


def test_two_runs_never_overlap(service, runs, clock, record):
    record(referral("b"))
    clock.advance(600)
    assert runs.under_way() == 1 and len(runs.started) == 1
    runs.finish()
    clock.advance(0)  # the gap is long over: the write's run starts at once
    assert len(runs.started) == 2 and runs.under_way() == 1


def test_a_write_during_a_run_waits_out_the_minute_after_its_start(
    service, runs, clock, record
):
    clock.advance(20)
    record(referral("b"))
    runs.finish()
    assert clock.armed() == [40.0]
    clock.advance(40)
    assert len(runs.started) == 2


def test_the_owner_starts_a_run_at_once_unless_one_is_under_way(service, runs, clock):
    assert service.refresh_background() is False, "the first run is under way"
    assert len(runs.started) == 1
    runs.finish()
    clock.advance(1)
    assert service.refresh_background() is True, "the minute is for writes only"
    assert len(runs.started) == 2


def test_a_failed_run_is_tried_again_later(service, runs, clock):
    runs.started[-1].set_exception(RuntimeError("the disk is full"))
    assert clock.armed() == [900.0]
    clock.advance(900)
    assert len(runs.started) == 2


def test_writes_before_the_start_wait_for_the_first_run(store, record, clock, runs):
    background = BackgroundFigures(store.path, clock=clock, timer=clock.timer, run=runs)
    background.changed(service := AnalyticsService(store, background=False))
    clock.advance(3_600)
    assert runs.started == [] and clock.armed() == []
    service.background = background
    service.ensure_loaded()
    assert len(runs.started) == 1
    background.stop()


def test_a_stopped_schedule_starts_nothing(service, runs, clock, record):
    runs.finish()
    record(referral("b"))
    service.background.stop()
    clock.advance(3_600)
    assert len(runs.started) == 1
    assert service.refresh_background() is False
