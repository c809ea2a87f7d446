"""Following one committed batch: what it changed, applied to G, F and the forest.

The store says what a batch touched (``Changes``); the rows are read again as
they are now (``graph_rows``), so following the union of several batches in one
pass ends where following each would.
"""

from __future__ import annotations

import networkx as nx
from sqlite_utils import Database

from ..graph import (
    forget_views,
    nodes_dict,
    person_attrs,
    put_node,
    put_touches,
    successors_dict,
)
from ..store import Changes, graph_rows
from .forest_state import ForestState

__all__ = ["follow_batch"]


def follow_batch(
    G: nx.DiGraph, F: nx.DiGraph, state: ForestState, db: Database, changes: Changes
) -> set:
    """Apply ``changes`` to ``G``, ``F`` and ``state``; return the cascade roots
    whose figures may have changed."""
    dirty: set = set()
    # Read again only the people whose attributes can have changed; the
    # others that a pair names need only exist as nodes. A moved credit
    # changes a followed customer's attributes only with their acquisition
    # (then they are among changes.people).
    nodes = nodes_dict(G)
    people = (
        changes.people
        | {node for node in changes.credits if node not in state}
        | {node for pair in changes.pairs for node in pair if node not in nodes}
    )
    # A purchase by someone already followed (not among changes.people) moves
    # their purchase total alone: only that is read again.
    people |= {node for node in changes.purchasers if node not in nodes}
    totals = changes.purchasers - people
    # Whose cascade figures can change: conversions, credits, new customers.
    moved = changes.people | changes.credits
    for node, external_id, status, acquired_at, via, value in graph_rows.people_of(
        db, people
    ):
        attrs = put_node(
            G, node, person_attrs(external_id, status, acquired_at, via, value)
        )
        if status == "customer":
            # F shares G's attribute dict, as a fresh load has it.
            put_node(F, node, attrs)
            if node not in state:
                state.add(node)
                moved.add(node)
            state.set_value(node, value)
    for node, value in graph_rows.values_of(db, totals):
        nodes[node]["value"] = value  # F shares the dict
        if node in state:
            state.set_value(node, value)
    put_touches(G, graph_rows.touches_of(db, changes.pairs))
    forget_views(G, F)
    credited = {row[0]: row for row in graph_rows.credits_of(db, changes.credits)}
    # Detach every moved credit first, then attach the new ones: applied
    # one by one, a batch that swaps two credits would pass through a cycle.
    # A credit that keeps its referrer (a new kind or time) stays put.
    referrer = {}
    for customer in changes.credits:
        if customer in state:
            row = credited.get(customer)
            referrer[customer] = row[1] if row else None
    moving = [c for c, r in referrer.items() if state.referrer(c) != r]
    for customer in moving:
        # Its old cascade, and the customer itself: a root may stop being one.
        dirty.add(state.root(customer))
        dirty.add(customer)
    for customer in moving:
        state.set_parent(customer, None)
    for customer in moving:
        if referrer[customer] is not None:
            state.set_parent(customer, referrer[customer])
            dirty.add(state.root(customer))
    for customer, (_, by, kind, at) in credited.items():
        if customer in referrer:
            successors_dict(F)[by][customer].update(kind=kind, at=at)
    for node in moved:
        if node in state:
            dirty.add(state.root(node))
    return dirty
