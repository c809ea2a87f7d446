"""Spread over time: wom share, k-factor, cycle time and the bucketed series."""

import math
import statistics
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import DAY, SPAN, START, assert_plain_data, word_of_mouth
from wom.analytics.buckets import (
    TooManyBuckets,
    bucket_count,
    bucket_edges,
)
from wom.analytics.influence import top_starters
from wom.analytics.spread import (
    K_WINDOW,
    conversations,
    cycle_time,
    k_factor,
    spread_series,
    wom_share,
)

FEW = settings(max_examples=40, deadline=None, derandomize=True)
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]
TIMES = st.one_of(
    st.floats(START - 5 * DAY, START + SPAN + 130 * DAY),
    # Right at, or a float's width short of, a UTC or Paris midnight.
    st.builds(
        lambda day, offset, nudge: START + day * DAY + offset - nudge,
        st.integers(-3, 40),
        st.sampled_from([0.0, -3600.0, -7200.0]),
        st.sampled_from([0.0, 2.4e-7, 1.0]),
    ),
)


@pytest.fixture
def graphs():
    """a (day 0) referred b (day 1, link) and c (day 100, mention); d is a root."""
    F = nx.DiGraph()
    F.add_edge("a", "b", kind="link")
    F.add_edge("a", "c", kind="mention")
    F.add_node("d")
    days = {"a": 0, "b": 1, "c": 100, "d": 1}
    nx.set_node_attributes(
        F, {u: START + d * DAY for u, d in days.items()}, "acquired_at"
    )
    G = nx.DiGraph()
    G.add_edges_from(F.edges, converted=True)
    G.add_edge("a", "x", converted=False)
    G.add_edge("a", "a", converted=True)  # a self-loop is no conversation
    return G, F


class TestFigures:
    def test_wom_share(self, graphs):
        G, F = graphs
        assert wom_share(F) == 0.5
        assert wom_share(F, START, START + 2 * DAY) == pytest.approx(1 / 3)
        assert wom_share(F, 0.0, 1.0) is None

    def test_k_factor_with_its_factors(self, graphs):
        G, F = graphs
        k = k_factor(F, G, START, START + DAY)  # a alone; c came after 90 days
        assert k == {
            "cohort_size": 1,
            "credited": 1,
            "k_factor": 1.0,
            "conversations_per_member": 3.0,
            "listener_conversion": 2 / 3,
            "partial": False,
        }

    def test_window_is_inclusive(self, graphs):
        G, F = graphs
        F.nodes["c"]["acquired_at"] = START + K_WINDOW
        assert k_factor(F, G, START, START + DAY)["credited"] == 2

    def test_young_cohort_is_partial(self, graphs):
        G, F = graphs
        assert k_factor(F, G, START, START + DAY, now=START + 89 * DAY)["partial"]
        assert not k_factor(F, G, START, START + DAY, now=START + 90 * DAY)["partial"]

    def test_empty_cohort(self, graphs):
        assert k_factor(*reversed(graphs), 0.0, 1.0) == {
            "cohort_size": 0,
            "credited": 0,
            "k_factor": None,
            "partial": False,
            "conversations_per_member": None,
            "listener_conversion": None,
        }

    def test_cycle_time_is_a_median(self, graphs):
        G, F = graphs
        assert cycle_time(F) == DAY  # a's first referee, b, came a day later
        F.add_edge("d", "e")
        F.nodes["e"]["acquired_at"] = START + 4 * DAY
        assert cycle_time(F) == 2 * DAY  # median of 1 and 3 days
        assert cycle_time(F, START + 50 * DAY) is None

    def test_credit_without_a_kind_trusts_the_customer_record(self, graphs):
        G, F = graphs
        del F.edges["a", "c"]["kind"]
        F.nodes["c"]["acquired_via"] = "mention"
        del F.edges["a", "b"]["kind"]
        rows = spread_series(F, G)
        assert sum(r["mention"] for r in rows) == sum(r["referred"] for r in rows) == 1

    def test_empty_forest(self):
        empty = nx.DiGraph()
        assert wom_share(empty) is None and cycle_time(empty) is None
        assert k_factor(empty, empty)["k_factor"] is None
        assert spread_series(empty, empty) == []


class TestBuckets:
    def test_local_days_follow_daylight_saving(self):
        labels, edges = bucket_edges(
            START + 30 * DAY, START + 31 * DAY, "day", "Europe/Paris"
        )
        spans = dict(zip(labels, (edges[1:] - edges[:-1]).tolist(), strict=False))
        assert spans["2024-03-31"] == 23 * 3600

    def test_weeks_are_iso_weeks(self):
        labels, _ = bucket_edges(START, START + 20 * DAY, "week", "UTC")
        assert labels == ["2024-02-26", "2024-03-04", "2024-03-11", "2024-03-18"]

    def test_months_roll_over_the_year(self):
        labels, _ = bucket_edges(1733011200.0, 1738368000.0, "month", "UTC")
        assert labels == ["2024-12-01", "2025-01-01", "2025-02-01"]

    def test_an_instant_before_midnight_stays_in_its_day(self):
        before = 1725667199.9999998  # a float's width short of 2024-09-07
        labels, edges = bucket_edges(before, before, "day", "UTC")
        assert labels == ["2024-09-06"] and edges[0] <= before < edges[1]

    def test_clicks_that_are_not_times_are_ignored(self, graphs):
        G, F = graphs
        rows = spread_series(F, G, clicks=[START, float("nan"), float("inf")])
        assert sum(row["clicks"] for row in rows) == 1
        with pytest.raises(ValueError, match="finite"):
            spread_series(F, G, now=float("inf"))

    def test_unknown_bucket(self, graphs):
        with pytest.raises(ValueError, match="Unknown bucket 'year'"):
            spread_series(*reversed(graphs), bucket="year")


def _floor(ts, bucket, zone) -> date:
    # Whole seconds: datetime rounds 23:59:59.9999999 up to the next day.
    day = datetime.fromtimestamp(math.floor(ts), zone).date()
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if bucket == "month" else day


def _after(day, bucket) -> date:
    if bucket == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=7 if bucket == "week" else 1)


def _brute_series(G, F, bucket, tz, clicks, now, top):
    """The series by counting customer by customer, with datetime alone."""
    zone = ZoneInfo(tz)
    at = {u: F.nodes[u]["acquired_at"] for u in F}
    timed = [u for u in F if at[u] is not None]
    events = [at[u] for u in timed] + list(clicks)
    if not events:
        return []
    now = max(events) if now is None else now
    starters = [r["node"] for r in top_starters(G, F, limit=top)]
    label, last, rows = (
        _floor(min(events), bucket, zone),
        _floor(max(now, *events), bucket, zone),
        [],
    )
    while label <= last:
        members = [u for u in timed if _floor(at[u], bucket, zone) == label]
        kinds = [
            F.edges[next(iter(F.pred[u])), u]["kind"] for u in members if F.in_degree(u)
        ]
        n = len(members)
        credited = sum(
            1
            for u in members
            for c in F.successors(u)
            if at[c] is not None and at[c] - at[u] <= K_WINDOW
        )
        talks = [(u, v) for u in members if u in G for v in G.successors(u) if v != u]
        converted = sum(G.edges[e].get("converted", False) for e in talks)
        delays = [
            min(at[c] for c in F.successors(u) if at[c] is not None) - at[u]
            for u in members
            if any(at[c] is not None for c in F.successors(u))
        ]
        reach_each = [
            sum(
                1
                for w in nx.descendants(F, s)
                if at[w] is not None and _floor(at[w], bucket, zone) <= label
            )
            for s in starters
        ]
        rows.append(
            {
                "bucket": label.isoformat(),
                "start": datetime.combine(label, time(), zone).timestamp(),
                "end": datetime.combine(
                    _after(label, bucket), time(), zone
                ).timestamp(),
                "new_customers": n,
                "root": n - len(kinds),
                "referred": sum(k in ("link", "referral") for k in kinds),
                "mention": sum(k in ("mention", "heard_from") for k in kinds),
                "clicks": sum(_floor(c, bucket, zone) == label for c in clicks),
                "conversions": sum(
                    any(G.edges[v, u].get("converted") for v in G.pred[u] if v != u)
                    for u in members
                    if u in G
                ),
                "wom_share": len(kinds) / n if n else None,
                "k_factor": credited / n if n else None,
                "k_partial": bool(n) and now < max(at[u] for u in members) + K_WINDOW,
                "conversations_per_member": len(talks) / n if n else None,
                "listener_conversion": converted / len(talks) if talks else None,
                "cycle_time": statistics.median(delays) if delays else None,
                "top_reach_each": reach_each,
                "top_reach": sum(reach_each),
            }
        )
        label = _after(label, bucket)
    return rows


# A series is asked for by bucket, time zone, clicks and now.
SERIES = (
    st.sampled_from(["day", "week", "month"]),
    st.sampled_from(ZONES),
    st.lists(TIMES, max_size=15),
    st.one_of(st.none(), TIMES),
)


@FEW
@given(word_of_mouth(), *SERIES, st.integers(0, 4))
def test_series_matches_counting_by_hand(graphs, bucket, tz, clicks, now, top):
    G, F = graphs
    asked = {"bucket": bucket, "tz": tz, "clicks": clicks, "now": now, "top": top}
    got = spread_series(F, G, **asked)
    want = _brute_series(G, F, bucket, tz, clicks, now, top)
    assert_plain_data(got)
    table = conversations(F, G)
    assert spread_series(F, G, **asked, conversations_table=table) == got
    assert len(got) == len(want)
    for row, expected in zip(got, want, strict=True):
        assert row.keys() == expected.keys()
        for key, value in expected.items():
            assert row[key] == (
                pytest.approx(value) if isinstance(value, float) else value
            ), (row["bucket"], key)


@FEW
@given(word_of_mouth(), *SERIES, TIMES, st.floats(0, 100 * DAY))
def test_a_range_keeps_the_rows_of_the_whole_series_that_meet_it(
    graphs, bucket, tz, clicks, now, start, length
):
    """Asking for [start, end) computes only its buckets, and they are the whole
    series' rows that meet the range: cumulative reach included."""
    G, F = graphs
    end = start + length
    asked = {"bucket": bucket, "tz": tz, "clicks": clicks, "now": now, "top": 3}
    whole = spread_series(F, G, **asked)
    met = [row for row in whole if row["end"] > start and row["start"] < end]
    assert spread_series(F, G, **asked, start=start, end=end) == met


class TestTheNumberOfBuckets:
    @pytest.fixture
    def year_one(self, graphs):
        """A customer dated the first day of the year 1, beside today's."""
        G, F = graphs
        F.add_node("ancient", acquired_at=-62135596800.0)
        return G, F

    def test_a_series_of_more_than_the_maximum_is_refused(self, year_one):
        G, F = year_one
        with pytest.raises(TooManyBuckets, match="coarser bucket .* narrower range"):
            spread_series(F, G, bucket="day")

    def test_a_range_within_the_maximum_is_answered(self, year_one):
        G, F = year_one
        start = START + 2 * DAY  # after b joined a's cascade, on day 1
        rows = spread_series(F, G, bucket="day", start=start, end=start + 30 * DAY)
        assert len(rows) == 30
        assert rows[0]["top_reach"] == 1  # b, acquired before the range, counts

    @pytest.mark.parametrize("bucket", ["day", "week", "month"])
    def test_the_count_is_that_of_the_buckets_made(self, bucket):
        first, last = START - 3 * DAY, START + 400 * DAY
        labels, _ = bucket_edges(first, last, bucket, "Europe/Paris")
        assert bucket_count(first, last, bucket, "Europe/Paris") == len(labels)


@FEW
@given(word_of_mouth(), TIMES, st.floats(0, 100 * DAY), TIMES)
def test_period_figures_match_counting_by_hand(graphs, start, length, now):
    G, F = graphs
    end = start + length
    at = {u: F.nodes[u]["acquired_at"] for u in F}
    members = [u for u in F if at[u] is not None and start <= at[u] < end]
    share = wom_share(F, start, end)
    k = k_factor(F, G, start, end, now=now)
    assert_plain_data(k)
    # Given the conversations table a caller made, the same figures.
    table = conversations(F, G)
    assert k_factor(F, G, start, end, now=now, conversations_table=table) == k
    assert k["cohort_size"] == len(members)
    if not members:
        assert share is None and k["k_factor"] is None
        return
    credited = [F.in_degree(u) > 0 for u in members]
    assert share == pytest.approx(sum(credited) / len(members))
    soon = sum(
        1
        for u in members
        for c in F.successors(u)
        if at[c] is not None and at[c] - at[u] <= K_WINDOW
    )
    assert k["k_factor"] == pytest.approx(soon / len(members))
    assert k["partial"] == (now < max(at[u] for u in members) + K_WINDOW)
    delays = [
        min(at[c] for c in F.successors(u) if at[c] is not None) - at[u]
        for u in members
        if any(at[c] is not None for c in F.successors(u))
    ]
    want = statistics.median(delays) if delays else None
    assert cycle_time(F, start, end) == (pytest.approx(want) if delays else None)
