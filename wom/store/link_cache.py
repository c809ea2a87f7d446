"""What every click reads, kept in memory: the settings, and each link with its owner.

Under a stream of clicks the writer commits every millisecond or so, and after each
commit SQLite makes every reader drop its page cache, so even these two small reads
cost tens of microseconds a click. Here they are read once and kept until something
that could change them is written.

How it knows: every write of a process goes through the store's one writer
connection (RELIABILITY.md), and while the process holds the lock file no other
process writes. So the writer's count of changed rows (``total_changes``) moves
whenever anything is written, committed or not. The entries stand while the count
stands where they were read, give or take transactions of clicks alone, which
change nothing kept here (a click adds to the log and to counters, and may give a
new customer a new link, which was never cached as missing). The batcher wraps
those in ``clicks_only()``. Anything else written empties the cache; while another
write is under way, or without the lock file (tests, a CLI), reads go to the file.

What the web layer makes of these (a rendered landing page) can be kept under the
same rule with ``remember``, so that it is dropped exactly when they are.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType

from .connection import Store
from .settings import read_settings
from .shares import landing_link

__all__ = ["LinkCache"]


class LinkCache:
    """Settings and enabled links by code, valid until something else is written.

    What it returns is read-only and shared: ``link`` gives the owner's visitor
    cookies rather than whether this visitor is one of them.

    >>> LinkCache(store=None, max_links=10).max_links
    10
    """

    def __init__(
        self, store: Store, *, max_links: int = 50_000, max_remembered: int = 10_000
    ):
        self.store = store
        self.max_links = max_links
        self.max_remembered = max_remembered
        self._lock = threading.Lock()
        self._links: dict[str, Mapping] = {}
        self._remembered: dict[Hashable, object] = {}
        self._settings: Mapping | None = None
        # The writer connection and its change count that the entries match.
        self._writer = None
        self._count = -1
        # While a clicks-only transaction runs: the count it started at.
        self._clicks_from: int | None = None
        # Bumped whenever the entries are dropped, so that a read that began
        # before is not kept after.
        self._epoch = 0

    def _current_epoch(self) -> int | None:
        """The epoch whose entries hold now, or None: read the file, keep nothing."""
        store = self.store
        # The lock file and the one writer are what make the change count see
        # every write.
        writer = store.open_writer()
        if writer is None or not store.holds_lock:
            return None
        conn = writer.conn
        with self._lock:
            # Read under the lock, so no clicks-only transaction starts or ends
            # between this count and the state it is compared with.
            try:
                count = conn.total_changes
            except sqlite3.ProgrammingError:  # the store closed it meanwhile
                return None
            if conn is self._writer and (
                count == self._count or self._clicks_from == self._count
            ):
                return self._epoch
            # Read before asking whether a transaction is open: a count taken
            # with none open includes nothing uncommitted.
            if conn.in_transaction:
                return None
            self._links = {}
            self._remembered = {}
            self._settings = None
            self._writer, self._count = conn, count
            self._epoch += 1
            return self._epoch

    def settings(self) -> Mapping:
        """Every setting, as ``read_settings`` gives them (read-only)."""
        epoch = self._current_epoch()
        found = self._settings if epoch is not None else None
        if found is None:
            found = MappingProxyType(read_settings(self.store.reader()))
            if epoch is not None:
                with self._lock:
                    if self._epoch == epoch:
                        self._settings = found
        return found

    def link(self, code: str) -> Mapping | None:
        """The enabled link ``code``, its owner and the owner's visitor cookies
        (``landing_link`` without a visitor); None if unknown or switched off."""
        epoch = self._current_epoch()
        found = self._links.get(code) if epoch is not None else None
        if found is None:
            row = landing_link(self.store.reader(), code)
            if row is None:
                # Misses are not kept: a new link needs no invalidation.
                return None
            del row["opened_by_owner"]  # it depends on the visitor
            found = MappingProxyType(row)
            if epoch is not None:
                with self._lock:
                    if self._epoch == epoch:
                        if len(self._links) >= self.max_links:
                            self._links = {}
                        self._links[code] = found
        return found

    def remember(self, key: Hashable, build: Callable[[], object]) -> object:
        """``build()``, kept under ``key`` for as long as the settings and links are.

        ``build`` must read what it shows through ``settings`` and ``link``, which
        it calls after this took the epoch: then a value kept was made from data
        at least as new as the epoch it is kept under. A None is never kept.
        """
        epoch = self._current_epoch()
        if epoch is None:
            return build()
        found = self._remembered.get(key)
        if found is None:
            found = build()
            if found is not None:
                with self._lock:
                    if self._epoch == epoch:
                        if len(self._remembered) >= self.max_remembered:
                            self._remembered = {}
                        self._remembered[key] = found
        return found

    @contextmanager
    def clicks_only(self) -> Iterator[None]:
        """Wrap a write transaction of clicks alone: the entries stay valid."""
        store = self.store
        # The writer's lock (re-entrant) is held from before BEGIN to after
        # COMMIT, so no other write can fall inside the bracket.
        with store.writing():
            conn = store.writer.conn
            with self._lock:
                start = conn.total_changes
                self._clicks_from = start if conn is self._writer else None
            try:
                yield
            finally:
                with self._lock:
                    if conn is self._writer and self._count == start:
                        self._count = conn.total_changes
                    self._clicks_from = None
