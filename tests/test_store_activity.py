"""The overview's readers of the store: the latest activity, and the touches
and purchases read past the last row seen."""

from __future__ import annotations

from wom.store import activity, erasure, links, parse_time


def quarter(at: str) -> int:
    return parse_time(at) // activity.QUARTER_HOUR_US


def test_a_sign_up_through_a_link_is_a_touch_on_the_links_channel(store, record):
    record({"type": "signup", "customer": "a", "at": "2026-02-01T12:00:00Z"})
    with store.write() as db:
        pid = db.execute("SELECT id FROM people WHERE external_id = 'a'").fetchone()[0]
        made = links.create_link(db, pid, code="a-insta", channel="instagram", now=1)
    record(
        {
            "type": "signup",
            "customer": "b",
            "link": made["code"],
            "at": "2026-03-02T12:00:00Z",
        },
        {"type": "mention", "from": "b", "to": "c", "at": "2026-03-02T12:10:00Z"},
        {"type": "mention", "from": "a", "to": "c", "at": "2026-03-02T12:14:59Z"},
    )
    rows = sorted(activity.touch_counts_after(store.reader(), 0), key=lambda r: r[2])
    noon = quarter("2026-03-02T12:00:00Z")
    assert [row[1:] for row in rows] == [
        (noon, "link", "instagram", 1),
        (noon, "mention", None, 2),
    ]
    last = max(row[0] for row in rows)
    assert list(activity.touch_counts_after(store.reader(), last)) == []


def test_purchases_are_counted_past_the_last_seq_seen(store, record):
    record(
        {"type": "signup", "customer": "a", "at": "2026-02-01T12:00:00Z"},
        {"type": "purchase", "customer": "a", "value": 5, "at": "2026-02-02T12:00:00Z"},
    )
    db = store.reader()
    ((first, *counted),) = activity.purchase_counts_after(db, 0)
    assert counted == [quarter("2026-02-02T12:00:00Z"), 1, 500]
    record(
        {"type": "purchase", "customer": "a", "value": 7, "at": "2026-02-02T12:05:00Z"}
    )
    ((second, *counted),) = activity.purchase_counts_after(db, first)
    assert second > first and counted == [quarter("2026-02-02T12:00:00Z"), 1, 700]
    assert activity.latest_acquisition(db) == parse_time("2026-02-01T12:00:00Z")


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
