"""What every click reads, kept in memory: the settings, and each link with its owner.

Under a stream of clicks the writer commits every millisecond or so, and after each
commit SQLite makes every reader drop its page cache, so even these two small reads
cost tens of microseconds a click. Here they are read once and kept until something
that could change them is written.

How it knows: every write of a process goes through the store's one writer, which
announces each commit to its subscribers, and while the process holds the lock
file no other process writes. So the entries stand until an announcement of
anything but clicks alone (a click adds to the log and to counters, and may give a
new customer a new link, which was never cached as missing). Without the lock file
(tests, a CLI) reads go to the file.

``epoch()`` names the entries' generation, so that what a caller derives from
them (a rendered page) can be kept under the same rule.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import MappingProxyType

from .changes import Changes
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

    def __init__(self, store: Store, *, max_links: int = 50_000):
        self.store = store
        self.max_links = max_links
        self._lock = threading.Lock()
        self._links: dict[str, Mapping] = {}
        self._settings: Mapping | None = None
        # Bumped whenever the entries are dropped, so that a read that began
        # before is not kept after.
        self._epoch = 0
        if store is not None:
            store.subscribe(self.follow)

    def follow(self, changes: Changes) -> None:
        """Drop every entry unless the committed write was of clicks alone."""
        if changes.clicks_only:
            return
        with self._lock:
            self._links = {}
            self._settings = None
            self._epoch += 1

    def epoch(self) -> int | None:
        """The generation of the entries that hold now; None: keep nothing."""
        # The lock file is what makes the announcements see every write.
        return self._epoch if self.store.holds_lock else None

    def settings(self) -> Mapping:
        """Every setting, as ``read_settings`` gives them (read-only)."""
        epoch = self.epoch()
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
        epoch = self.epoch()
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
