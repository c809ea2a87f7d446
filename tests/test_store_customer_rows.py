"""wom.store.customer_rows: a search bounded by its limit, who an answer may
mean, and a person's touches bounded too."""

from __future__ import annotations

import pytest

from tests.dashboard_people import load_people
from wom.store.customer_rows import (
    answer_candidates,
    customer_rows,
    search_customers,
    touches_around,
)
from wom.store.shares import person_id_of


@pytest.fixture
def db(store):
    load_people(store)
    return store.reader()


def external_ids(db, pids) -> set[str]:
    return {row["id"] for row in customer_rows(db, pids).values()}


def test_a_search_says_when_more_match_than_it_returns(db):
    found, more = search_customers(db, "sam", limit=1)
    assert len(found) == 1
    assert more
    found, more = search_customers(db, "sam", limit=2)
    assert external_ids(db, found) == {"sam-1", "sam-2"}
    assert not more


def test_an_empty_search_finds_nobody(db):
    assert search_customers(db, "   ") == ([], False)


def test_exact_names_come_before_longer_ones(db, store):
    from wom.store import ingest

    ingest(
        store,
        [
            {
                "type": "signup",
                "customer": "sam-3",
                "name": "Sam Parker",
                "at": "2026-03-01T00:00:00Z",
            }
        ],
    )
    found = answer_candidates(db, "sam park")
    assert [c["id"] for c in found] == ["sam-1", "sam-2", "sam-3"]
    assert [c["id"] for c in answer_candidates(db, "sam park", limit=1)] == ["sam-1"]


def test_an_email_answer_means_its_owner(db):
    assert answer_candidates(db, "Sam.Two@example.org") == [
        {"id": "sam-2", "name": "Sam Park"}
    ]


def test_the_person_who_answered_is_not_a_candidate(db):
    fay = person_id_of(db, "fay")
    assert answer_candidates(db, "fay", exclude=fay) == []


def test_whom_someone_told_is_bounded_and_counted(db):
    told = touches_around(db, person_id_of(db, "ann"), limit=1)
    assert [t["id"] for t in told["told"]] == ["bob"]
    assert told["told_count"] == 2
    assert told["told"][0]["credited"] is True
