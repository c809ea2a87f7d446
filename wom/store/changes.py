"""What a write changed, and what the derivation steps share.

Every write transaction collects a ``Changes`` (``Store.write`` hands it out as
``db.changes``); each step of ``derive.py`` and ``credits.py`` and every other
writer records what it changed there. After COMMIT the store hands it to its
subscribers (the analytics service, the link cache), so no caller notifies by
hand. Steps pass the keys they touched to the next step in temp tables of the
writer's connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

__all__ = ["Changes", "TOUCH_TYPES", "temp_table"]

# The event types that are a touch (talker -> listener), as an SQL list.
TOUCH_TYPES = "('signup', 'mention', 'heard_from', 'referral')"


@dataclass
class Changes:
    """What one or more committed writes changed, for the subscribers to follow.

    An empty ``Changes`` still means that *something* was written (a setting, a
    token, a flag): only ``clicks_only`` promises that nothing but clicks was.

    >>> a = Changes(people={1}, clicks=[1.0])
    >>> a.merge(Changes(people={2}, clicks=[2.0])) is a
    True
    >>> sorted(a.people), a.clicks
    ([1, 2], [1.0, 2.0])
    """

    people: set[int] = field(default_factory=set)
    credits: set[int] = field(default_factory=set)
    pairs: set[tuple[int, int]] = field(default_factory=set)
    purchasers: set[int] = field(default_factory=set)
    links: set[int] = field(default_factory=set)
    # The settings whose value was written.
    settings: set[str] = field(default_factory=set)
    # When each human click that counts now happened (POSIX seconds), and when
    # each that counted before and no longer does (a late click made it a
    # repeat); None: not known, so a listener that follows clicks must read them
    # all again.
    clicks: list[float] | None = field(default_factory=list)
    clicks_removed: list[float] = field(default_factory=list)
    # True only when the write appended clicks and nothing else (the group
    # committer says so): then settings, links and people stand as they were.
    clicks_only: bool = False

    def merge(self, other: Changes) -> Changes:
        """Add ``other`` to this one (in place) and return it."""
        self.people |= other.people
        self.credits |= other.credits
        self.pairs |= other.pairs
        self.purchasers |= other.purchasers
        self.links |= other.links
        self.settings |= other.settings
        if self.clicks is None or other.clicks is None:
            self.clicks, self.clicks_removed = None, []
        else:
            self.clicks.extend(other.clicks)
            self.clicks_removed.extend(other.clicks_removed)
        self.clicks_only = self.clicks_only and other.clicks_only
        return self

    @property
    def graphs(self) -> bool:
        """Whether the conversation graph or the forest may have changed."""
        return bool(self.people or self.pairs or self.credits or self.purchasers)


def temp_table(db: Database, name: str, columns: str) -> None:
    """An empty temp table ``name`` (made on first use, emptied after)."""
    db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})")
    db.execute(f"DELETE FROM {name}")
