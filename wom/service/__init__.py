"""The analytics service: owns ``G`` and ``F`` for the running app.

It builds both graphs once from the store, then follows every committed write
(``Store.subscribe``) and updates them incrementally: a new sign-up walks its
ancestor path, a moved credit moves a subtree. The home page, the API and the pages
read every figure from here. Figures that cost more than a linear pass are computed
in a separate process (``background.py``) and carry ``computed_at``.

No Flask and no SQL here: rows come from ``wom.store.queries``.
"""

from __future__ import annotations

import gc
import heapq
import logging
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime

import networkx as nx
import numpy as np

from ..analytics import cascades as cascade_figures
from ..analytics import influence, spread
from ..analytics.forest import forest_arrays, subtree_sum
from ..analytics.spread import spread_series
from ..graph import (
    build_graphs,
    forget_views,
    gc_paused,
    person_attrs,
    put_node,
    put_touches,
)
from ..store import Changes, Store, graph_rows, now_micros, queries
from ..store.flags import replace_analytics_flags
from ..store.settings import read_settings
from .forest_state import ForestState

__all__ = ["AnalyticsService", "RANKINGS", "CASCADE_SORTS"]

log = logging.getLogger(__name__)

# ?by= name -> (figure, tie-breaker); external id breaks the last tie. The METRICS.md
# rankings come from the pure reference (wom.analytics.influence.RANKINGS), and the
# service adds the two background figures it can also rank by.
RANKINGS = {
    **{by: tuple(pair) for by, pair in influence.RANKINGS.items()},
    "conversation_reach": ("conversation_reach", "reach"),
    "expected_spread": ("expected_spread", "reach"),
}
EMPTY_FOREST_FIGURES = {
    "direct_referrals": 0,
    "reach": 0,
    "generations": 0,
    "referred_value": 0.0,
}
CASCADE_SORTS = tuple(cascade_figures.CASCADE_SORTS)
BACKGROUND_FIGURES = ("influence", "conversation_reach", "expected_spread")


def iso(seconds: float | None) -> str | None:
    """POSIX seconds -> ISO 8601 UTC, for plain-data answers."""
    if seconds is None or seconds != seconds:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


class AnalyticsService:
    """Every word-of-mouth figure of one store, kept current as events arrive."""

    def __init__(
        self, store: Store, *, background: bool = True, interval: float = 900.0
    ):
        self.store = store
        self._lock = threading.RLock()
        self._loaded = False
        self.version = 0
        self._cache: dict = {}
        self._dirty_roots: set = set()
        self._cascades: dict = {}
        self._arrays: tuple = (-1, None)
        self.background = None
        if background:
            from .background import BackgroundFigures

            self.background = BackgroundFigures(store.path, interval=interval)
        self.results: dict = {}
        self._pending: list[Changes] = []
        self._pending_lock = threading.Lock()
        store.subscribe(self.apply)

    # -- building --------------------------------------------------------------

    def load(self) -> None:
        """Build G, F and the forest figures from the store (a cold start)."""
        started = time.perf_counter()
        db = self.store.reader()
        settings = read_settings(db)
        with gc_paused():
            G, F = build_graphs(
                graph_rows.people_table(db),
                graph_rows.touch_table(db),
                graph_rows.credit_table(db),
            )
            arrays = forest_arrays(F)
            state = ForestState(F, decay=settings["value_decay"], arrays=arrays)
            every = cascade_figures.cascades(arrays)
            clicks = graph_rows.click_seconds(db)
        # A million nodes' dicts are long-lived: move them out of the collector's
        # sight, so later collections (unpickling background results, requests) do
        # not walk the whole graph again and again.
        gc.freeze()
        with self._lock:
            self.G, self.F, self.state = G, F, state
            self._arrays = (self.version + 1, arrays)
            self.clicks = clicks
            self.settings = settings
            self._cascades = {row["root"]: row for row in every}
            self._dirty_roots = set()
            self._cache = {}
            self.version += 1
            self._loaded = True
        log.info(
            "analytics loaded %d people, %d conversations in %.2fs",
            G.number_of_nodes(),
            G.number_of_edges(),
            time.perf_counter() - started,
        )

    def ensure_loaded(self) -> None:
        """Load on first use (lazily, in the worker process, never before a fork)."""
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self.load()
                    if self.background is not None:
                        self.background.start(self)

    # -- following writes ------------------------------------------------------

    def apply(self, changes: Changes) -> None:
        """Follow one committed batch: people, edges, credits and purchases.

        Batches committed while another is being followed wait, and are then
        followed together in one pass: each pass reads the store as it is now, so
        one pass over the union ends where one pass per batch would.
        """
        if not self._loaded:
            return
        with self._pending_lock:
            self._pending.append(changes)
        with self._lock:
            with self._pending_lock:
                waiting, self._pending = self._pending, []
            if waiting:
                self._follow(_merged(waiting))

    def _follow(self, changes: Changes) -> None:
        if not (changes.people or changes.pairs or changes.credits) and not (
            changes.purchasers
        ):
            if changes.links:
                self._follow_clicks(changes)
            return
        db = self.store.reader()
        with self._lock:
            G, F, state = self.G, self.F, self.state
            # Read again only the people whose attributes can have changed; the
            # others that a pair names need only exist as nodes. A moved credit
            # changes a followed customer's attributes only with their acquisition
            # (then they are among changes.people).
            nodes = G._node
            people = (
                changes.people
                | changes.purchasers
                | {node for node in changes.credits if node not in state}
                | {node for pair in changes.pairs for node in pair if node not in nodes}
            )
            # Whose cascade figures can change: conversions, credits, new customers.
            moved = changes.people | changes.credits
            for (
                node,
                external_id,
                status,
                acquired_at,
                via,
                value,
            ) in graph_rows.people_of(db, people):
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
            put_touches(G, graph_rows.touches_of(db, changes.pairs))
            forget_views(G, F)
            credited = {
                row[0]: row for row in graph_rows.credits_of(db, changes.credits)
            }
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
                self._dirty_roots.add(state.root(customer))
                self._dirty_roots.add(customer)
            for customer in moving:
                state.set_parent(customer, None)
            for customer in moving:
                if referrer[customer] is not None:
                    state.set_parent(customer, referrer[customer])
                    self._dirty_roots.add(state.root(customer))
            for customer, (_, by, kind, at) in credited.items():
                if customer in referrer:
                    F._succ[by][customer].update(kind=kind, at=at)
            for node in moved:
                if node in state:
                    self._dirty_roots.add(state.root(node))
            if changes.clicks is not None:
                self.clicks.extend(changes.clicks)
            elif changes.links:
                self.clicks = queries.click_times(db)
            self.version += 1
            self._cache = {}

    def _follow_clicks(self, changes: Changes) -> None:
        """Follow a batch that moved link counts alone: only the spread series
        (which counts clicks) can change; the forest and the other cached
        figures stand."""
        with self._lock:
            if changes.clicks is not None:
                self.clicks.extend(changes.clicks)
            else:
                self.clicks = queries.click_times(self.store.reader())
            self._cache = {
                key: value for key, value in self._cache.items() if key[0] != "spread"
            }

    # -- reading ---------------------------------------------------------------

    def person(self, node) -> dict | None:
        """Every figure that concerns one person (None if unknown)."""
        self.ensure_loaded()
        with self._lock:
            if node not in self.G:
                return None
            figures = self.state.figures(node) or {
                "direct_referrals": 0,
                "reach": 0,
                "generations": 0,
                "referred_value": 0.0,
            }
            out = {"conversations_started": self._talks(node), **figures}
            referrer = self.state.referrer(node) if node in self.state else None
            out["credited_referrer"] = (
                None if referrer is None else self.G.nodes[referrer]["external_id"]
            )
            out["cascade_root"] = (
                self.G.nodes[self.state.root(node)]["external_id"]
                if node in self.state
                else None
            )
            for name in BACKGROUND_FIGURES:
                out[name] = self._background_value(name, node)
            out["computed_at"] = self.results.get("computed_at")
            return out

    def starters(
        self, by: str = "reach", limit: int = 10, *, include_prospects: bool = False
    ) -> dict:
        """The top conversation starters by ``by`` (METRICS.md tie rules)."""
        if by not in RANKINGS:
            raise ValueError(
                f"Unknown ranking {by!r}; use one of {', '.join(RANKINGS)}."
            )
        self.ensure_loaded()
        key = ("starters", by, limit, include_prospects)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = self._rank(by, limit, include_prospects)
            return self._cache[key]

    def cascades(self, by: str = "size", limit: int = 10) -> list[dict]:
        """The largest cascades by size, depth or virality."""
        if by not in CASCADE_SORTS:
            raise ValueError(
                f"Unknown sort {by!r}; use one of {', '.join(CASCADE_SORTS)}."
            )
        self.ensure_loaded()
        with self._lock:
            self._refresh_cascades()
            field = cascade_figures.CASCADE_SORTS[by]

            def order(row):
                figure = row[field]
                return (
                    -(figure if figure is not None else -1),
                    -row["size"],
                    row["external_id"],
                )

            key = ("cascades", by, limit)
            if key not in self._cache:
                rows = heapq.nsmallest(limit, self._cascades.values(), key=order)
                self._cache[key] = [self._dated(row) for row in rows]
            return [dict(row) for row in self._cache[key]]

    def cascade(self, root, max_depth: int | None = None) -> dict | None:
        """One cascade's figures and its tree (nested), from its root."""
        self.ensure_loaded()
        with self._lock:
            if root not in self.state or self.state.referrer(root) is not None:
                return None
            self._refresh_cascades()
            figures = self._dated(self._cascades[root])
            figures["tree"] = cascade_figures.cascade_tree(self.F, root, max_depth)
            return figures

    def spread(
        self, bucket: str = "week", start: float | None = None, end: float | None = None
    ) -> dict:
        """The spread series, and wom_share, k_factor and cycle_time over the range."""
        self.ensure_loaded()
        key = ("spread", bucket, start, end)
        with self._lock:
            if key not in self._cache:
                arrays = self._forest_arrays()
                series = spread_series(
                    arrays,
                    self.G,
                    bucket=bucket,
                    tz=self.settings["time_zone"],
                    clicks=self.clicks,
                    # The service's own ranking equals top_starters' (a property
                    # test holds them together), and costs milliseconds, not a pass.
                    starters=[
                        row["node"] for row in self.starters("reach", 10)["items"]
                    ],
                )
                self._cache[key] = {
                    "bucket": bucket,
                    "time_zone": self.settings["time_zone"],
                    "wom_share": spread.wom_share(arrays, start, end),
                    "k_factor": spread.k_factor(arrays, self.G, start, end),
                    "cycle_time": spread.cycle_time(arrays, start, end),
                    "series": [
                        row
                        for row in series
                        if (start is None or row["end"] > start)
                        and (end is None or row["start"] < end)
                    ],
                }
            return self._cache[key]

    def background_result(self, name: str) -> dict | None:
        """A figure computed in the background, with its ``computed_at``."""
        self.ensure_loaded()
        return self.results.get(name)

    def refresh_background(self, wait: bool = False) -> None:
        """Recompute the background figures now (in the other process)."""
        self.ensure_loaded()
        if self.background is not None:
            self.background.submit(self, wait=wait)
        else:
            from .background import compute

            self.accept_background(compute(str(self.store.path)))

    def accept_background(self, results: dict) -> None:
        """Take a finished background run's results; store its fraud flags."""
        with self.store.write() as db:
            replace_analytics_flags(db, results.get("flags", []), now_micros())
        with self._lock:
            self.results = results
            self._cache = {}

    def starters_since(
        self, figure: str, limit: int, since: float, *, include_prospects: bool = False
    ) -> list[dict]:
        """Top starters counting only what happened since ``since`` (POSIX seconds).

        ``figure`` is ``reach`` (referees acquired since), ``direct_referrals`` or
        ``conversations_started`` (conversations begun since); ties go to reach,
        then to conversations started, then to the external id.
        """
        with self.graphs() as (G, _, arrays):
            fresh = (arrays.acquired_at >= since).astype(np.int64)
            reach = subtree_sum(arrays, fresh) - fresh
            has_parent = arrays.parent >= 0
            direct = np.bincount(
                arrays.parent[has_parent],
                weights=fresh[has_parent],
                minlength=len(arrays),
            ).astype(np.int64)
            position = arrays.index
            rows = []
            for node, attrs in G.nodes(data=True):
                if not include_prospects and attrs.get("status") != "customer":
                    continue
                i = position.get(node)
                talks = sum(
                    1
                    for listener, edge in G._succ[node].items()
                    if listener != node and edge["first_at"] >= since
                )
                rows.append(
                    {
                        "id": attrs["external_id"],
                        "status": attrs["status"],
                        "conversations_started": talks,
                        "reach": 0 if i is None else int(reach[i]),
                        "direct_referrals": 0 if i is None else int(direct[i]),
                    }
                )
        rows.sort(
            key=lambda row: (
                -row[figure],
                -row["reach"],
                -row["conversations_started"],
                row["id"],
            )
        )
        return rows[:limit]

    @contextmanager
    def graphs(self):
        """``(G, F, forest arrays)`` held still: no batch is applied meanwhile.

        For readers that walk the whole graphs (exports, filtered rankings);
        they must not keep references after the block.
        """
        self.ensure_loaded()
        with self._lock:
            yield self.G, self.F, self._forest_arrays()

    # -- helpers ---------------------------------------------------------------

    def _forest_arrays(self):
        """Arrays of F for the whole-forest passes, rebuilt once per version."""
        version, arrays = self._arrays
        if version != self.version:
            arrays = forest_arrays(self.F)
            self._arrays = (self.version, arrays)
        return arrays

    def _talks(self, node) -> int:
        succ = self.G._succ[node]
        return len(succ) - (node in succ)

    def _background_value(self, name, node):
        scores = self.results.get(name, {}).get("scores")
        if scores is None:
            return None
        return scores.get(node, 0)

    def _refresh_cascades(self) -> None:
        """Recompute the cascades that changed, and only those."""
        if not self._dirty_roots:
            return
        for root in self._dirty_roots:
            self._cascades.pop(root, None)
            if root in self.state and self.state.referrer(root) is None:
                self._cascades[root] = cascade_figures.cascade(self.F, root)
        self._dirty_roots = set()

    def _dated(self, row: dict) -> dict:
        row = dict(row)
        row["root_acquired_at"] = iso(self.F.nodes[row["root"]].get("acquired_at"))
        return row

    def _rank(self, by: str, limit: int, include_prospects: bool) -> dict:
        first, second = RANKINGS[by]
        G, state = self.G, self.state
        if include_prospects:
            people = list(G)
        else:
            # The forest's positions are exactly the customers.
            people = state.nodes
        primary = self._column(first, people)
        if primary is None:
            return {
                "by": by,
                "items": [],
                "computed_at": None,
                "note": f"{by} is computed in the background and is not ready yet",
            }
        if 0 < limit < len(people):
            cut = np.partition(primary, len(people) - limit)[len(people) - limit]
            candidates = np.flatnonzero(primary >= cut).tolist()
        else:
            candidates = list(range(len(people)))
        # Tie-breakers are needed for the candidates only.
        chosen = [people[i] for i in candidates]
        tie = self._column(second, chosen)
        if tie is None:  # a background tie-breaker not computed yet
            tie = np.zeros(len(chosen))
        nodes = G._node
        order = sorted(
            range(len(chosen)),
            key=lambda k: (
                -primary[candidates[k]],
                -tie[k],
                nodes[chosen[k]]["external_id"],
            ),
        )[:limit]
        items = []
        for k in order:
            node = chosen[k]
            row = {
                "node": node,
                "external_id": nodes[node]["external_id"],
                "status": nodes[node]["status"],
                "conversations_started": self._talks(node),
            }
            row.update(state.figures(node) or dict(EMPTY_FOREST_FIGURES))
            for name in BACKGROUND_FIGURES:
                row[name] = self._background_value(name, node)
            items.append(row)
        computed = (
            self.results.get("computed_at")
            if {first, second} & set(BACKGROUND_FIGURES)
            else None
        )
        return {"by": by, "items": items, "computed_at": computed}

    def _column(self, name: str, people: list) -> np.ndarray | None:
        """One figure for each of ``people``, as floats (None: not computed yet)."""
        if name == "conversations_started":
            return np.fromiter(map(self._talks, people), np.float64, len(people))
        if name in BACKGROUND_FIGURES:
            scores = self.results.get(name, {}).get("scores")
            if scores is None:
                return None
            return np.fromiter(
                (scores.get(u, 0) for u in people), np.float64, len(people)
            )
        array = {
            "reach": self.state.reach,
            "direct_referrals": self.state.direct,
            "referred_value": self.state.rv,
            "generations": self.state.height,
        }[name]
        if people is self.state.nodes:
            return array[: len(people)].astype(np.float64)
        pos = self.state.pos
        return np.fromiter(
            (array[pos[u]] if u in pos else 0 for u in people), np.float64, len(people)
        )


def _merged(batches: list[Changes]) -> Changes:
    """One Changes for several batches."""
    if len(batches) == 1:
        return batches[0]
    merged = Changes()
    for changes in batches:
        merged.people |= changes.people
        merged.credits |= changes.credits
        merged.pairs |= changes.pairs
        merged.purchasers |= changes.purchasers
        merged.links |= changes.links
    # A batch without link changes brought no clicks, whatever it says.
    clicks = [c.clicks if c.links else [] for c in batches]
    if all(found is not None for found in clicks):
        merged.clicks = [at for found in clicks for at in found]
    return merged


def graphs_equal_for_tests(a: AnalyticsService, b: AnalyticsService) -> bool:
    """Whether two services hold the same graphs (used by property tests)."""
    return nx.utils.graphs_equal(a.G, b.G) and nx.utils.graphs_equal(a.F, b.F)
