"""What a batch of events changed, and what the derivation steps share.

Each step of ``derive.py`` and ``credits.py`` records what it changed in one
``Changes`` (the analytics service follows it after COMMIT), and passes the keys
it touched to the next step in temp tables of the writer's connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

__all__ = ["Changes", "TOUCH_TYPES", "temp_table"]

# The event types that are a touch (talker -> listener), as an SQL list.
TOUCH_TYPES = "('signup', 'mention', 'heard_from', 'referral')"


@dataclass
class Changes:
    """What a batch changed, for the analytics service to follow."""

    people: set[int] = field(default_factory=set)
    credits: set[int] = field(default_factory=set)
    pairs: set[tuple[int, int]] = field(default_factory=set)
    purchasers: set[int] = field(default_factory=set)
    links: set[int] = field(default_factory=set)
    # When each new human click happened (POSIX seconds); None: not known, so a
    # listener that follows clicks must read them all again.
    clicks: list[float] | None = None


def temp_table(db: Database, name: str, columns: str) -> None:
    """An empty temp table ``name`` (made on first use, emptied after)."""
    db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})")
    db.execute(f"DELETE FROM {name}")
