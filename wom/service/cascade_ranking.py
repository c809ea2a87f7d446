"""The largest cascades by one sort, kept in order as cascades change, so that
the list after a write costs no pass over every cascade.

A full pass ranks the best ``keep`` cascades. When some cascades change, the
ranked ones that did not change keep their order among themselves, and every
cascade left out is worse than all of them: merged with the changed ones, the
list is exact down to the last unchanged one it holds, and is cut there. Once
it is shorter than a reader asks for, a full pass ranks again.
"""

from __future__ import annotations

import heapq

from ..analytics import cascades as cascade_figures

__all__ = ["CascadeBook", "RankedCascades"]

#: How many cascades a full pass ranks (the longest list a page asks is 500).
KEEP = 1024


class RankedCascades:
    """The cascades in order by ``field``, largest first; ties go to the larger
    cascade, then to the root's external id.

    >>> rows = {r: {"root": r, "external_id": str(r), "size": r, "depth": 1}
    ...         for r in range(1, 6)}
    >>> ranked = RankedCascades("size", keep=3)
    >>> [row["root"] for row in ranked.top(2, rows)]
    [5, 4]
    >>> rows[1]["size"] = 9
    >>> ranked.changed({1}, rows)
    >>> [row["root"] for row in ranked.top(3, rows)]
    [1, 5, 4]
    """

    def __init__(self, field: str, keep: int = KEEP):
        self.field = field
        self.keep = keep
        #: Exact best cascades, in order (None: rank on the next read).
        self.rows: list | None = None
        #: Whether ``rows`` holds every cascade.
        self.whole = False

    def order(self, row: dict) -> tuple:
        figure = row[self.field]
        figure = -1 if figure is None else figure
        return (-figure, -row["size"], row["external_id"])

    def top(self, limit: int, cascades: dict) -> list[dict]:
        """The best ``limit`` of ``cascades`` (root -> figures)."""
        if self.rows is None or (len(self.rows) < limit and not self.whole):
            wanted = max(limit, self.keep)
            self.rows = heapq.nsmallest(wanted, cascades.values(), key=self.order)
            self.whole = len(cascades) <= wanted
        return self.rows[:limit]

    def changed(self, roots: set, cascades: dict) -> None:
        """The cascades of ``roots`` changed (or ended: gone from ``cascades``)."""
        if self.rows is None:
            return
        kept = [row for row in self.rows if row["root"] not in roots]
        merged = sorted(
            kept + [cascades[root] for root in roots if root in cascades],
            key=self.order,
        )
        if not self.whole:
            if not kept:
                self.rows = None
                return
            last = self.order(kept[-1])
            merged = [row for row in merged if self.order(row) <= last]
        self.rows = merged


class CascadeBook:
    """Every cascade's figures by root, and their rankings, kept current: a
    batch names the roots it touched (``touched``), and only those cascades'
    figures are made again, at the next read (``refresh``)."""

    def __init__(self, cascades: dict | None = None):
        self.cascades = {} if cascades is None else cascades
        self._ranked: dict[str, RankedCascades] = {}
        self._dirty: set = set()

    def touched(self, roots: set) -> None:
        """These roots' cascades may have changed (a root may be one no more)."""
        self._dirty |= roots

    def refresh(self, F, state) -> None:
        """Make the touched cascades' figures again from ``F``, and only those."""
        if not self._dirty:
            return
        for root in self._dirty:
            self.cascades.pop(root, None)
            if root in state and state.referrer(root) is None:
                self.cascades[root] = cascade_figures.cascade(F, root)
        for ranked in self._ranked.values():
            ranked.changed(self._dirty, self.cascades)
        self._dirty = set()

    def top(self, by: str, limit: int) -> list[dict]:
        """The ``limit`` largest cascades by the sort ``by`` (refreshed first)."""
        if by not in self._ranked:
            self._ranked[by] = RankedCascades(cascade_figures.CASCADE_SORTS[by])
        return self._ranked[by].top(limit, self.cascades)
