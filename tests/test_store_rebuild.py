"""Rebuilding the derived tables from the log gives exactly the incremental rows."""

from __future__ import annotations

import tempfile
from pathlib import Path

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.wom_events import events, resolve_links
from wom.store import Store, ingest, rebuild
from wom.store.queries import derived_snapshot


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
