"""Rebuilding the derived tables from the log gives exactly the incremental rows."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wom.store import Store, ingest, rebuild
from wom.store.queries import derived_snapshot

PEOPLE = ["ann", "bob", "cat", "dan", "eve", "fay"]
EMAILS = ["ann@gmail.com", "a.nn@gmail.com", "bob@x.org", "cat@x.org", None]
START = datetime(2026, 1, 1, tzinfo=UTC)

person = st.sampled_from(PEOPLE)
moment = st.integers(0, 400).map(lambda h: (START + timedelta(hours=h * 7)).isoformat())
pair = st.tuples(person, person).filter(lambda p: p[0] != p[1])


@st.composite
def events(draw):
    kind = draw(
        st.sampled_from(
            [
                "signup",
                "signup",
                "purchase",
                "mention",
                "heard_from",
                "referral",
                "click",
            ]
        )
    )
    at = draw(moment)
    if kind in ("mention", "heard_from", "referral"):
        talker, listener = draw(pair)
        return {"type": kind, "from": talker, "to": listener, "at": at}
    if kind == "purchase":
        return {
            "type": "purchase",
            "customer": draw(person),
            "at": at,
            "value": draw(st.sampled_from([0, 5, 12.5])),
        }
    if kind == "click":
        return {
            "type": "click",
            "link_of": draw(person),
            "at": at,
            "visitor": draw(st.sampled_from(["v1", "v2"])),
            "user_agent": draw(st.sampled_from(["Mozilla/5.0", "Slackbot 1.0"])),
        }
    event = {"type": "signup", "customer": draw(person), "at": at}
    if draw(st.booleans()):
        event["link_of"] = draw(person)
    if (email := draw(st.sampled_from(EMAILS))) is not None:
        event["email"] = email
    if draw(st.booleans()):
        event["visitor"] = draw(st.sampled_from(["v1", "v2", "v3"]))
    return event


def resolve_links(store, batch):
    """Turn `link_of` into a real link code, dropping events whose owner has none."""
    codes = dict(
        store.reader().execute(
            "SELECT p.external_id, l.code FROM links l "
            "JOIN people p ON p.id = l.owner_id"
        )
    )
    resolved = []
    for event in batch:
        event = dict(event)
        owner = event.pop("link_of", None)
        if owner is not None:
            if owner not in codes:
                if event["type"] == "click":
                    continue
            else:
                event["link"] = codes[owner]
        resolved.append(event)
    return resolved


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(events(), min_size=1, max_size=6), min_size=1, max_size=6),
    st.sampled_from(["first", "last"]),
)
def test_incremental_equals_rebuild(batches, rule):
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "wom.db")
        store.migrate()
        with store.write() as db:
            db.execute(
                "INSERT INTO settings VALUES ('attribution_rule', ?)", [f'"{rule}"']
            )
        for batch in batches:
            ingest(store, resolve_links(store, batch), source="test")
        incremental = derived_snapshot(store.reader())
        with store.write() as db:
            rebuild(db)
        assert derived_snapshot(store.reader()) == incremental
        assert_forest(store)
        store.close()


def assert_forest(store):
    """Credits form a forest, and every referrer converted before their referee."""
    db = store.reader()
    F = nx.DiGraph(
        db.execute("SELECT referrer_id, customer_id FROM credits").fetchall()
    )
    assert nx.is_directed_acyclic_graph(F)
    assert all(degree <= 1 for _, degree in F.in_degree())
    late = db.execute(
        """SELECT count(*) FROM credits c JOIN people r ON r.id = c.referrer_id
        JOIN people p ON p.id = c.customer_id
        WHERE (r.acquired_at, r.acquired_order) >= (p.acquired_at, p.acquired_order)
           OR r.status != 'customer' OR p.status != 'customer'"""
    ).fetchone()[0]
    assert late == 0
