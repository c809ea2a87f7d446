"""What every period's and series' figures need of one version of the graphs,
rebuilt in the background after a write (stale while revalidating).

A version of the graphs gives three whole-graph passes that every spread figure
reads: the forest arrays, their customers' acquisition times, values and
credited kinds, and the pass over G's conversations. At a million customers they
take seconds, and a write that changes the graphs makes them stale.

``Derivations`` keeps the last built version (``Derived``) and, once a write
changes the graphs, builds the next in a thread of its own: readers get the last
built version, with the time it was built, until the next is published. One
build runs at a time; writes during a build make one more build after it. The
figures asked of the version before (a period's, a series) are computed again
on the new one before it is published, so that a page watched while referrals
arrive finds them ready. Below ``inline_below`` customers a build costs
milliseconds, and a reader builds a stale version itself at once (always fresh).
"""

from __future__ import annotations

import copy
import itertools
import logging
import threading
import time
from dataclasses import dataclass, field

from ..analytics import spread
from ..analytics.forest import ForestArrays, listed
from . import rankings
from .forest_state import ForestState

__all__ = ["Derivations", "Derived", "INLINE_BELOW"]

log = logging.getLogger(__name__)

#: What a whole pass raises when a write moves the graphs under it: a dict that
#: changed size, a person gone from a mapping, or arrays of the version before
#: beside the graphs' new length (a person appended mid-pass).
_MOVED_MID_PASS = (RuntimeError, KeyError, ValueError, IndexError)

#: Customers below which a reader rebuilds a stale version itself.
INLINE_BELOW = 50_000
#: The ranking whose top starters the series' reach lines follow.
_STARTERS = ("reach", 10)


@dataclass
class Derived:
    """One version's arrays and conversation pass, and the top starters by
    reach then (whom the series' reach lines follow)."""

    version: int
    arrays: ForestArrays
    table: dict
    starters: dict
    built_at: float
    #: Figures computed on it before it was published: (ranges, series).
    warmed: tuple = field(default=({}, {}))


def _still(state: ForestState, n: int) -> ForestState:
    """A copy of ``state``'s first ``n`` people that later changes leave as it
    is, for reading only. Taken without the service's lock: each array is
    copied in one step, and a write between two steps makes another build,
    which reads it (people are only ever appended, so the prefix stands and the
    map of positions is shared)."""
    still = copy.copy(state)
    still.nodes = listed(itertools.islice(state.nodes, n))
    for name in ("parent", "reach", "height", "direct", "rv"):
        setattr(still, name, getattr(state, name)[:n].copy())
    return still


def read_attributes(arrays: ForestArrays) -> None:
    """Read the customers' attributes that the spread figures use, once."""
    arrays.acquired_at, arrays.values, arrays.credited_kind  # noqa: B018


def _whole_passes(G, state: ForestState, results: dict, arrays: ForestArrays):
    """The top starters by reach, and the pass over G's conversations."""
    starters = rankings.rank(G, state, results, *_STARTERS, False)
    read_attributes(arrays)
    return starters, spread.conversations(arrays, G)


class Derivations:
    """The service's last built ``Derived`` and the thread that builds the next.

    The service calls ``current`` and ``changed`` under its own lock.
    """

    def __init__(self, service, *, inline_below: int = INLINE_BELOW):
        self.service = service
        self.inline_below = inline_below
        self.published: Derived | None = None
        #: How many versions were built (in a request or in the background).
        self.builds = 0
        self._wanted = False
        # A new load starts a new epoch: a build of the graphs before is dropped.
        self._epoch = 0
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()

    # -- reading ---------------------------------------------------------------

    def current(self) -> Derived:
        """The version to read: the graphs' own when it is built or cheap to
        build, else the last built (its build is under way)."""
        service, published = self.service, self.published
        if published is not None and published.version == service.version:
            return published
        if published is None or len(service.F) < self.inline_below:
            starters = self._starters()  # first: it follows any waiting batch
            version, arrays = service.version, service._forest_arrays()
            read_attributes(arrays)
            table = spread.conversations(arrays, service.G)
            self._publish(Derived(version, arrays, table, starters, time.time()))
            return self.published
        self.request()
        return published

    def reset(self) -> None:
        """The graphs were loaded anew: nothing built before them holds."""
        self.published = None
        self._epoch += 1

    def fresh(self) -> bool:
        """Whether the published version is the graphs' own."""
        published = self.published
        return published is not None and published.version == self.service.version

    # -- following -------------------------------------------------------------

    def changed(self) -> None:
        """The graphs moved: build their new version in the background, when it
        is not cheap enough to build on the next read."""
        if self.published is not None and len(self.service.F) >= self.inline_below:
            self.request()

    def request(self) -> None:
        """Build the graphs' version in the background (one build after the
        one under way, if any)."""
        with self._idle:
            self._wanted = True
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="wom-derive", daemon=True
                )
                self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no build is under way or wanted; False on a timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._thread is None, timeout)

    def _run(self) -> None:
        while True:
            with self._idle:
                if not self._wanted:
                    self._thread = None
                    self._idle.notify_all()
                    return
                self._wanted = False
            try:
                self._build()
            except Exception:  # the next write or stale read asks again
                log.exception("rebuilding the spread figures' arrays failed")

    def _build(self) -> None:
        service = self.service
        service.ensure_loaded()  # follows any waiting batch first
        with service._lock:
            version, epoch = service.version, self._epoch
            published = self.published
            if published is not None and published.version >= version:
                return
            state, n = service.state, len(service.state)
            F, G, results = service.F, service.G, service.results
            asked = service.series.asked()
            clicks, clicks_seen = service.series.counted_copy()
            time_zone = service.settings["time_zone"]
        state = _still(state, n)
        arrays = ForestArrays(state.parent, nodes=state.nodes, graph=F)
        try:
            # Whole passes over the graphs, without holding the writes up: a
            # write meanwhile makes another build, which reads it.
            starters, table = _whole_passes(G, state, results, arrays)
        except _MOVED_MID_PASS:
            with service._lock:
                if service.version != version:
                    return  # the build after this one reads the new version
                starters, table = _whole_passes(G, state, results, arrays)
        derived = Derived(version, arrays, table, starters, time.time())
        derived.warmed = service.series.warm(
            derived, asked, clicks=clicks, time_zone=time_zone
        )
        with service._lock:
            newer = self.published is None or self.published.version < version
            if newer and epoch == self._epoch:
                if service.version == version:  # ranked once, for every reader
                    service.remembered(
                        ("starters", *_STARTERS, False), lambda: starters
                    )
                self._publish(
                    derived,
                    keep_series=service.version == version
                    and service.series.clicks_seen == clicks_seen,
                )

    # -- helpers ---------------------------------------------------------------

    def _starters(self) -> dict:
        return self.service.starters(*_STARTERS)

    def _publish(self, derived: Derived, keep_series: bool = True) -> None:
        ranges, series = derived.warmed
        self.service.series.use(derived.table, ranges, series if keep_series else {})
        derived.warmed = ({}, {})
        self.published = derived
        self.builds += 1
