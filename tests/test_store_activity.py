"""The overview's readers of the store: the latest activity, a period's
channels, buyers and purchases."""

from __future__ import annotations

from wom.store import activity, erasure, links, now_micros, parse_time

MARCH = (parse_time("2026-03-01T00:00:00Z"), parse_time("2026-04-01T00:00:00Z"))


def test_a_sign_up_through_a_named_link_counts_under_the_links_channel(store, record):
    record({"type": "signup", "customer": "a", "at": "2026-02-01T12:00:00Z"})
    with store.write() as db:
        pid = db.execute("SELECT id FROM people WHERE external_id = 'a'").fetchone()[0]
        code = links.create_link(
            db, pid, code="a-insta", channel="instagram", now=now_micros()
        )["code"]
    record(
        {"type": "signup", "customer": "b", "link": code, "at": "2026-03-02T12:00:00Z"}
    )
    db = store.reader()
    assert activity.channels_between(db, *MARCH) == [
        {"kind": "link", "channel": "instagram", "customers": 1}
    ]
    assert activity.channels_between(db, None, MARCH[0]) == []


def test_open_bounds_take_every_customer(store, record):
    record(
        {"type": "signup", "customer": "a", "at": "2026-02-01T12:00:00Z"},
        {"type": "purchase", "customer": "a", "value": 5, "at": "2026-02-02T12:00:00Z"},
        {"type": "referral", "from": "a", "to": "b", "at": "2026-03-02T12:00:00Z"},
        {"type": "purchase", "customer": "b", "value": 7, "at": "2026-03-03T12:00:00Z"},
    )
    db = store.reader()
    assert activity.buyers_between(db, None, None) == 2
    assert activity.buyers_between(db, *MARCH) == 1
    assert activity.purchases_between(db, None, None) == {"count": 2, "value": 1200}
    assert activity.purchases_between(db, MARCH[0], None) == {"count": 1, "value": 700}
    assert activity.latest_acquisition(db) == parse_time("2026-03-02T12:00:00Z")


def test_an_erased_person_shows_in_the_activity_without_a_name(store, record):
    record(
        {"type": "signup", "customer": "a", "name": "Ann", "at": "2026-02-01T12:00:00Z"}
    )
    pseudonym = erasure.erase(store, "a")
    (row,) = activity.recent_activity(store.reader())
    assert row["who"] == {"id": pseudonym, "name": None}


def test_the_latest_activity_breaks_ties_by_arrival(store, record):
    record(
        {"type": "signup", "customer": "a", "at": "2026-02-01T12:00:00Z"},
        {"type": "signup", "customer": "b", "at": "2026-02-01T12:00:00Z"},
    )
    rows = activity.recent_activity(store.reader(), limit=1)
    assert [row["who"]["id"] for row in rows] == ["b"]
