"""The analytics service: owns ``G`` and ``F`` for the running app, builds them
once from the store, then follows every committed write (``Store.subscribe``)
incrementally. Every page and the API read their figures here; those that cost
more than a linear pass come from a separate process (``background.py``) with
``computed_at``. One batch's effect is ``following.py``, the rankings
``rankings.py``. No Flask and no SQL here: rows come from ``wom.store.graph_rows``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

from ..analytics import cascades as cascade_figures
from ..analytics.forest import forest_arrays
from ..store import Changes, Store, graph_rows, now_micros
from ..store.findings import record_findings
from ..store.settings import read_settings
from . import rankings
from .cascade_ranking import CascadeBook
from .dates import iso
from .derived import Derivations
from .following import follow_batch
from .forest_state import ForestState
from .loading import load_figures
from .memo import Memo
from .rankings import RANKINGS
from .schedule import moves_background
from .series import SpreadSeries

__all__ = ["AnalyticsService", "NotReady", "RANKINGS", "CASCADE_SORTS"]

log = logging.getLogger(__name__)
T = TypeVar("T")

CASCADE_SORTS = tuple(cascade_figures.CASCADE_SORTS)


class NotReady(Exception):
    """The figures are still loading; ask again in a few seconds."""


class AnalyticsService:
    """Every word-of-mouth figure of one store, kept current as events arrive."""

    def __init__(
        self, store: Store, *, background: bool = True, interval: float = 900.0
    ):
        self.store = store
        self._lock = threading.RLock()
        self._loaded = False
        self.version = 0
        self._cache = Memo()
        self._book = CascadeBook()
        self._arrays: tuple = (-1, None)
        # The spread figures' version of the graphs, rebuilt in the background.
        self.derivations = Derivations(self)
        self.background = None
        if background:
            from .schedule import BackgroundFigures

            # interval: how long after a failed run to try it again.
            self.background = BackgroundFigures(store.path, retry=interval)
        self.results: dict = {}
        self._pending: list[Changes] = []
        self._pending_lock = threading.Lock()
        self._loading = False
        self._warmer: threading.Thread | None = None
        store.subscribe(self.apply)

    # -- building --------------------------------------------------------------

    def load(self) -> None:
        """Build G, F and the forest figures from the store (a cold start).

        The tables are read in one snapshot. Batches committed while it loads
        are queued by ``apply`` and followed as soon as the new graphs are in
        place, so none is lost (following one the snapshot already holds reads
        its rows again; the click times are read again whole).
        """
        started = time.perf_counter()
        with self._pending_lock:
            self._loading = True
        try:
            loaded = load_figures(self.store)
        except BaseException:
            with self._pending_lock:
                # The next load reads everything these batches wrote.
                self._loading, self._pending = False, []
            raise
        with self._lock:
            self.G, self.F, self.state = loaded.G, loaded.F, loaded.state
            self._arrays = (self.version + 1, loaded.arrays)
            self.series = SpreadSeries(loaded.clicks)
            self.settings = loaded.settings
            self._book = CascadeBook(loaded.cascades)
            self.derivations.reset()
            self._cache.clear()
            self.version += 1
            with self._pending_lock:
                self._loaded, self._loading = True, False
                waiting, self._pending = self._pending, []
            if waiting:
                merged = Changes.combined(waiting)
                # The snapshot may already hold some of these batches: nodes and
                # edges are read again harmlessly, but clicks would be added
                # twice, so they are read again whole.
                merged.clicks = None
                self._follow(merged)
        log.info(
            "analytics loaded %d people, %d conversations in %.2fs",
            loaded.G.number_of_nodes(),
            loaded.G.number_of_edges(),
            time.perf_counter() - started,
        )

    def warm_up(self) -> None:
        """Load in a thread of its own now (a server's start), so that no request
        pays for the cold start; meanwhile readers get ``NotReady`` rather than
        wait, and every thread of the server stays free. Nothing happens when
        the figures are loaded or a load is under way."""
        with self._pending_lock:
            if self._loaded or (self._warmer is not None and self._warmer.is_alive()):
                return
            self._warmer = threading.Thread(
                target=self.ensure_loaded, name="wom-analytics-load", daemon=True
            )
            self._warmer.start()

    @property
    def ready(self) -> bool:
        """Whether the figures can be read without waiting for a load."""
        return self._loaded

    def ensure_loaded(self) -> None:
        """Load on first use (lazily, in the worker process, never before a fork),
        and catch up with every batch committed since.

        While ``warm_up`` loads, other threads get ``NotReady`` at once.
        """
        if not self._loaded:
            warmer = self._warmer
            if warmer is not None and warmer.is_alive():
                if threading.current_thread() is not warmer:
                    raise NotReady(
                        "The figures are loading after a start; try again in a "
                        "few seconds."
                    )
            with self._lock:
                if not self._loaded:
                    self.load()
                    if self.background is not None:
                        self.background.start(self)
        if self._pending:
            self.catch_up()

    # -- following writes ------------------------------------------------------

    def apply(self, changes: Changes):
        """Take one committed batch (people, edges, credits, purchases, clicks);
        return ``catch_up``, which follows it.

        Every read catches up first, so whoever runs ``catch_up`` (the store,
        right away, or the group committer once its callers are on their way),
        a read after the write sees it. Batches taken meanwhile are followed
        together in one pass: each pass reads the store as it is now, so one
        pass over the union ends where one pass per batch would.
        """
        with self._pending_lock:
            if not (self._loaded or self._loading):
                return None  # the first load will read what it wrote
            self._pending.append(changes)
            if self._loading:
                return None  # followed once the load is in place
        return self.catch_up

    def catch_up(self) -> None:
        """Follow every batch taken and not followed yet."""
        if not self._loaded:
            return
        with self._lock:
            with self._pending_lock:
                waiting, self._pending = self._pending, []
            if waiting:
                self._follow(Changes.combined(waiting))

    def _follow(self, changes: Changes) -> None:
        if changes.graphs:
            self._follow_graphs(changes)
        elif changes.links:
            self._follow_clicks(changes)
        if changes.settings:
            self._follow_settings()
        if self.background is not None and moves_background(changes):
            self.background.changed(self)

    def _follow_graphs(self, changes: Changes) -> None:
        db = self.store.reader()
        with self._lock:
            self._book.touched(follow_batch(self.G, self.F, self.state, db, changes))
            self._take_clicks(db, changes)
            self._changed()

    def _follow_settings(self) -> None:
        """Take the settings as they are now: a new value decay recomputes the
        forest's values, and every cached figure goes (a new time zone moves
        the series' buckets)."""
        settings = read_settings(self.store.reader())
        with self._lock:
            if settings["value_decay"] != self.settings["value_decay"]:
                self.state = ForestState(
                    self.F, decay=settings["value_decay"], arrays=self._forest_arrays()
                )
            self.settings = settings
            self.series.forget_series()
            self._changed()

    def _follow_clicks(self, changes: Changes) -> None:
        """Follow a batch that moved link counts alone: only the spread series'
        click counts can change; the forest and every other figure stand."""
        with self._lock:
            self._take_clicks(self.store.reader(), changes)

    def _take_clicks(self, db, changes: Changes) -> None:
        """The batch's click times into the series (all of them read again
        when the batch cannot say which moved)."""
        if changes.clicks is None:
            self.series.read_clicks_again(graph_rows.click_seconds(db))
        else:
            self.series.add_clicks(changes.clicks, changes.clicks_removed)

    # -- reading ---------------------------------------------------------------

    def person(self, node) -> dict | None:
        """Every figure that concerns one person (None if unknown)."""
        self.ensure_loaded()
        with self._lock:
            if node not in self.G:
                return None
            return rankings.person_figures(self.G, self.state, self.results, node)

    def starters(
        self, by: str = "reach", limit: int = 10, *, include_prospects: bool = False
    ) -> dict:
        """The top conversation starters by ``by`` (docs/metrics.md tie rules)."""
        if by not in RANKINGS:
            raise ValueError(
                f"Unknown ranking {by!r}; use one of {', '.join(RANKINGS)}."
            )
        self.ensure_loaded()
        return self.remembered(
            ("starters", by, limit, include_prospects),
            lambda: rankings.rank(
                self.G, self.state, self.results, by, limit, include_prospects
            ),
        )

    def remembered(self, key: tuple, compute: Callable[[], T]) -> T:
        """``compute()`` under the service's lock, kept for ``key`` (whose first
        item names its kind) until the graphs, the settings or the background
        figures move. It reads the figures as they stand: a reader that must see
        every write calls ``ensure_loaded`` (or ``held``) first."""
        with self._lock:
            return self._cache.get(key, compute)

    def cascades(self, by: str = "size", limit: int = 10) -> list[dict]:
        """The largest cascades by size, depth or virality."""
        if by not in CASCADE_SORTS:
            raise ValueError(
                f"Unknown sort {by!r}; use one of {', '.join(CASCADE_SORTS)}."
            )
        self.ensure_loaded()
        with self._lock:
            self._book.refresh(self.F, self.state)
            rows = self._cache.get(
                ("cascades", by, limit),
                lambda: [self._dated(row) for row in self._book.top(by, limit)],
            )
            return [dict(row) for row in rows]

    def cascade(self, root, max_depth: int | None = None) -> dict | None:
        """One cascade's figures and its tree (nested), from its root."""
        self.ensure_loaded()
        with self._lock:
            if root not in self.state or self.state.referrer(root) is not None:
                return None
            self._book.refresh(self.F, self.state)
            figures = self._dated(self._book.cascades[root])
            figures["tree"] = cascade_figures.cascade_tree(self.F, root, max_depth)
            return figures

    def spread(
        self,
        bucket: str = "week",
        start: float | None = None,
        end: float | None = None,
        *,
        now: float | None = None,
    ) -> dict:
        """The spread series, and wom_share, k_factor and cycle_time over the range.

        As of ``now`` (POSIX seconds, by default the wall clock): the series runs
        up to it, and a cohort younger than 90 days then is partial. The answer
        is cached per UTC day of ``now``, so it never outlives the day it was
        computed on.
        """
        self.ensure_loaded()
        now = time.time() if now is None else now
        with self._lock:
            return self.series.spread(
                self.derivations.current(),
                bucket=bucket,
                start=start,
                end=end,
                now=now,
                time_zone=self.settings["time_zone"],
            )

    def background_result(self, name: str) -> dict | None:
        """A figure computed in the background, with its ``computed_at``."""
        self.ensure_loaded()
        return self.results.get(name)

    def refresh_background(self, wait: bool = False) -> bool:
        """Recompute the background figures now (in the other process) unless
        a run is under way; True if this call started one."""
        self.ensure_loaded()
        if self.background is not None:
            return self.background.submit(self, wait=wait)
        from .background import compute

        self.accept_background(compute(str(self.store.path)))
        return True

    def accept_background(self, results: dict) -> None:
        """Take a finished background run's results; store its fraud flags."""
        with self.store.write() as db:
            record_findings(db, results.get("flags", []), now_micros())
        with self._lock:
            self.results = results
            self._cache.clear()

    def starters_since(
        self, figure: str, limit: int, since: float, *, include_prospects: bool = False
    ) -> list[dict]:
        """Top starters counting only what happened since ``since`` (POSIX
        seconds), as ``rankings.starters_since`` ranks them."""
        with self.graphs() as (G, _, arrays):
            return rankings.starters_since(
                G, arrays, figure, limit, since, include_prospects=include_prospects
            )

    @contextmanager
    def graphs(self):
        """``(G, F, forest arrays)`` held still: no batch is applied meanwhile.

        For readers that walk the whole graphs (exports, filtered rankings);
        they must not keep references after the block.
        """
        self.ensure_loaded()
        with self._lock:
            yield self.G, self.F, self._forest_arrays()

    @contextmanager
    def held(self):
        """``(G, F, forest state)`` held still, for bounded reads (a page, a
        person, a chunk of an export) that need no arrays rebuilt."""
        self.ensure_loaded()
        with self._lock:
            yield self.G, self.F, self.state

    def _changed(self) -> None:
        """The graphs or settings moved: every cached figure goes, and the
        spread figures' version is rebuilt."""
        self.version += 1
        self._cache.clear()
        self.derivations.changed()

    def _forest_arrays(self):
        """Arrays of F for the whole-forest passes, rebuilt once per version."""
        version, arrays = self._arrays
        if version != self.version:
            arrays = forest_arrays(self.F)
            self._arrays = (self.version, arrays)
        return arrays

    def _dated(self, row: dict) -> dict:
        row = dict(row)
        row["root_acquired_at"] = iso(self.F.nodes[row["root"]].get("acquired_at"))
        return row
