"""Spread over time as the service serves it: "now" is the wall clock, so cohorts
turn whole as days pass and cached answers do not outlive their day."""

import time as clock
from datetime import UTC, datetime

from tests.strategies import DAY, START


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


class TestServedAsOfToday:
    def test_a_cohort_from_2020_is_whole_today(self, service, record):
        record(
            {"type": "signup", "customer": "a", "at": "2020-01-10T00:00:00Z"},
            {"type": "referral", "from": "a", "to": "b", "at": "2020-01-20T00:00:00Z"},
        )
        found = service.spread("month")
        assert found["k_factor"]["partial"] is False
        assert [row["k_partial"] for row in found["series"]] == [False] * len(
            found["series"]
        )

    def test_the_series_runs_up_to_today(self, service, record):
        record({"type": "signup", "customer": "a", "at": "2020-01-10T00:00:00Z"})
        last = service.spread("month")["series"][-1]
        assert last["start"] <= clock.time() < last["end"]

    def test_a_cohort_of_last_week_is_partial(self, service, record):
        week_ago = clock.time() - 7 * DAY
        record(
            {"type": "signup", "customer": "old", "at": "2020-01-10T00:00:00Z"},
            {"type": "signup", "customer": "new", "at": _iso(week_ago)},
        )
        assert service.spread("day", start=week_ago - DAY)["k_factor"]["partial"]
        whole = service.spread("day", start=None, end=week_ago - DAY)
        assert whole["k_factor"]["partial"] is False
        partial = {
            row["bucket"] for row in service.spread("day")["series"] if row["k_partial"]
        }
        assert partial == {datetime.fromtimestamp(week_ago, UTC).date().isoformat()}

    def test_a_cached_answer_does_not_outlive_its_day(self, service, record):
        joined = START + 10 * DAY
        record({"type": "signup", "customer": "a", "at": _iso(joined)})
        assert service.spread("week", now=joined + 89 * DAY)["k_factor"]["partial"]
        later = service.spread("week", now=joined + 90 * DAY)
        assert later["k_factor"]["partial"] is False
