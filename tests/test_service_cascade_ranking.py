"""The cascade list kept in order as cascades change: after any changes, the best
cascades it gives are those a full ranking gives."""

from __future__ import annotations

import heapq

from hypothesis import given, settings
from hypothesis import strategies as st

from wom.service.cascade_ranking import RankedCascades

figures = st.fixed_dictionaries({"size": st.integers(1, 6), "depth": st.integers(0, 3)})
# Each step changes some cascades' figures, ends some and starts new ones.
steps = st.lists(
    st.dictionaries(st.integers(0, 40), st.none() | figures, max_size=6), max_size=8
)


def row(root: int, values: dict) -> dict:
    return {"root": root, "external_id": f"c{root:03}", **values}


@settings(max_examples=150, deadline=None)
@given(
    first=st.dictionaries(st.integers(0, 40), figures, max_size=30),
    steps=steps,
    field=st.sampled_from(["size", "depth"]),
    keep=st.integers(1, 8),
    limit=st.integers(1, 10),
)
def test_the_kept_order_is_a_full_rankings(first, steps, field, keep, limit):
    cascades = {root: row(root, values) for root, values in first.items()}
    ranked = RankedCascades(field, keep=keep)
    ranked.top(limit, cascades)
    for step in steps:
        for root, values in step.items():
            cascades.pop(root, None)
            if values is not None:
                cascades[root] = row(root, values)
        ranked.changed(set(step), cascades)
        full = heapq.nsmallest(limit, cascades.values(), key=ranked.order)
        assert ranked.top(limit, cascades) == full
