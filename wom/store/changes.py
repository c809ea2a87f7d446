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
    # committer says so), or only kept webhook deliveries (the delivery worker
    # says so): then settings, links and people stand as they were.
    clicks_only: bool = False
    # What the webhook outbox (outbox.py) turns into events just before COMMIT,
    # after checking each against what the transaction leaves: people who
    # became customers; each customer whose credit row changed, with that row as
    # it was before (None: they had none); flags raised that were not stored;
    # events queued as they are ((type, data), such as the rewards').
    new_customers: set[int] = field(default_factory=set)
    credits_before: dict[int, tuple | None] = field(default_factory=dict)
    flags_opened: set[str] = field(default_factory=set)
    outgoing: list[tuple[str, dict]] = field(default_factory=list)
    # Set by a write the outside world must not hear of (an import, a rebuild):
    # the outbox writes nothing for it. The transaction's own; merge keeps it.
    quiet: bool = False
    # How many webhook messages the write added (the delivery worker wakes).
    messages: int = 0

    @classmethod
    def combined(cls, batches: list[Changes]) -> Changes:
        """One Changes for several batches (the one itself when alone)."""
        if len(batches) == 1:
            return batches[0]
        merged = cls()
        for changes in batches:
            merged.merge(changes)
        return merged

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
        self.new_customers |= other.new_customers
        for customer, before in other.credits_before.items():
            # The earliest row is the one from before the transaction.
            self.credits_before.setdefault(customer, before)
        self.flags_opened |= other.flags_opened
        self.outgoing.extend(other.outgoing)
        self.messages += other.messages
        return self

    @property
    def graphs(self) -> bool:
        """Whether the conversation graph or the forest may have changed."""
        return bool(self.people or self.pairs or self.credits or self.purchasers)


def temp_table(db: Database, name: str, columns: str) -> None:
    """An empty temp table ``name`` (made on first use, emptied after)."""
    db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})")
    db.execute(f"DELETE FROM {name}")
