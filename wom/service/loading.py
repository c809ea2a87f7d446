"""The cold start: every graph and forest figure of a store, built in one snapshot."""

from __future__ import annotations

import gc
from dataclasses import dataclass

import networkx as nx

from ..analytics import cascades as cascade_figures
from ..analytics.forest import ForestArrays, forest_arrays
from ..graph import build_graphs, gc_paused
from ..store import Store, graph_rows
from ..store.settings import read_settings
from .forest_state import ForestState

__all__ = ["Loaded", "load_figures"]


@dataclass
class Loaded:
    """What a cold start read and built, as of one snapshot of the store."""

    G: nx.DiGraph
    F: nx.DiGraph
    state: ForestState
    arrays: ForestArrays
    clicks: list[float]
    settings: dict
    cascades: dict


def load_figures(store: Store) -> Loaded:
    """Read the people, touches, credits and clicks in one snapshot; build G, F,
    the forest figures and every cascade's figures."""
    # One pause for the whole build: the collector, switched back on in between,
    # would walk every object made so far (3 s at a million).
    with gc_paused():
        with store.snapshot() as db:
            settings = read_settings(db)
            G, F = build_graphs(
                graph_rows.people_table(db),
                graph_rows.touch_table(db),
                graph_rows.credit_table(db),
            )
            clicks = graph_rows.click_seconds(db)
        arrays = forest_arrays(F)
        state = ForestState(F, decay=settings["value_decay"], arrays=arrays)
        every = cascade_figures.cascades(arrays)
        # A million nodes' dicts are long-lived: move them out of the collector's
        # sight before it runs again, so later collections (unpickling background
        # results, requests) do not walk the whole graph again and again.
        gc.freeze()
    return Loaded(
        G, F, state, arrays, clicks, settings, {row["root"]: row for row in every}
    )
