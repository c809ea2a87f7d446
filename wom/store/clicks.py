"""Clicks on referral links, kept as runs: bounded work and bounded disk per click.

A *run* is a maximal set of one visitor's clicks on one link (humans and bots
apart) whose consecutive gaps are at most the repeat window, 30 minutes. A human
click counts unless the same visitor clicked the same link at most 30 minutes
before it, so exactly the first click of each run counts: a link's human clicks
are the number of its human runs, and the spread series counts each human run at
its start. A link's bot clicks are every bot click, the sum of its bot runs'.

``click_runs`` is the primary record of clicks. A click adds to the count of the
run it falls in, extends a run, moves a run's start earlier, joins two runs, or
starts a new one. The event log keeps a row only for a click that starts a run
once its batch is in (a counted click), or that carries a client ``event_id`` (so
that its replay is known); a repeat adds to its run's count alone. A flood from one
visitor on one link thus writes one log row and a count, and flags itself for
review (``click_flood``) once one run holds more than ``CLICK_FLOOD_CLICKS``.

Each batch reads, for every (class, link, visitor) it clicked, the last run that
starts before its earliest click's window and the runs up to its latest click's
window: two index seeks and the runs between, whatever the history.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

import orjson
from sqlite_utils import Database

from .changes import Changes

__all__ = [
    "CLICK_FLOOD_CLICKS",
    "CLICK_REPEAT_US",
    "Click",
    "fold_clicks",
    "merge_runs",
    "flood_flag_key",
]

CLICK_REPEAT_US = 30 * 60 * 1_000_000
# A run of one visitor's clicks on one link (each within the repeat window of the
# one before) that holds more clicks than this is flagged for review. A carrier's
# NAT or an office (one address, one browser build) can reach it honestly: the
# flag asks the owner, it never blocks.
CLICK_FLOOD_CLICKS = 100


@dataclass
class Click:
    """One click of a batch, its link resolved."""

    position: int  # in the batch: which click the log keeps
    ua_class: str
    link_id: int
    visitor: str
    at: int
    keep: bool = False  # carries an event_id: always logged


@dataclass
class _Run:
    start: int
    end: int
    clicks: int
    # The batch's clicks in it, earliest first, and the stored runs it swallowed.
    new: list[Click] = field(default_factory=list)
    old: list[tuple[int, int, int]] = field(default_factory=list)


def merge_runs(
    stored: list[tuple[int, int, int]], clicks: list[Click], window: int
) -> list[_Run]:
    """The runs that ``stored`` runs ``(start, end, clicks)`` of one key and the
    batch's ``clicks`` of that key make together, in order.

    >>> W = 15
    >>> click = Click(0, "human", 1, "v", 20)
    >>> runs = merge_runs([(0, 5, 3), (30, 30, 1)], [click], W)
    >>> [(r.start, r.end, r.clicks) for r in runs]
    [(0, 30, 5)]
    >>> runs = merge_runs([(30, 40, 2)], [Click(0, "human", 1, "v", 25)], W)
    >>> [(r.start, r.end, r.clicks) for r in runs]
    [(25, 40, 3)]
    """
    # Stored runs first among equal starts: a click at a stored start repeats it.
    items = sorted(
        [(s, 0, e, c, None) for s, e, c in stored]
        + [(k.at, 1, k.at, 1, k) for k in clicks],
        key=lambda item: (item[0], item[1]),
    )
    runs: list[_Run] = []
    for start, _, end, count, click in items:
        run = runs[-1] if runs else None
        if run is None or start - run.end > window:
            run = _Run(start, end, 0)
            runs.append(run)
        run.end = max(run.end, end)
        run.clicks += count
        if click is None:
            run.old.append((start, end, count))
        else:
            run.new.append(click)
    return runs


def flood_flag_key(owner_id: int, link_id: int, visitor: str) -> str:
    """The one ``click_flood`` flag of a visitor on a link (the visitor by a
    number drawn from it: a key holds digits only).

    >>> flood_flag_key(3, 7, "v-x") == flood_flag_key(3, 7, "v-x")
    True
    """
    number = int(hashlib.sha256(visitor.encode()).hexdigest()[:12], 16)
    return f"click_flood::{owner_id}:{link_id}-{number}"


def fold_clicks(
    db: Database, clicks: list[Click], now: int
) -> tuple[set[int], Changes]:
    """Add ``clicks`` to their runs and their links' counts, inside the caller's
    write transaction; return the positions of the clicks the log keeps, and
    what changed (links, and the counted click times added and removed)."""
    changes = Changes()
    if not clicks:
        return set(), changes
    by_key: dict[tuple, list[Click]] = defaultdict(list)
    for click in clicks:
        by_key[(click.ua_class, click.link_id, click.visitor)].append(click)
    keys = list(by_key)
    stored: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for slot, start, end, count in db.execute(
        # From the last run that starts before the earliest click's window (it
        # may reach into it) to the last that starts within the latest's.
        """
        SELECT k.key, r.start_at, r.end_at, r.clicks FROM json_each(:keys) k
        CROSS JOIN click_runs r
          ON r.ua_class = k.value ->> 0 AND r.link_id = k.value ->> 1
         AND r.visitor = k.value ->> 2
         AND r.start_at >= coalesce(
               (SELECT max(p.start_at) FROM click_runs p
                WHERE p.ua_class = k.value ->> 0 AND p.link_id = k.value ->> 1
                  AND p.visitor = k.value ->> 2 AND p.start_at < k.value ->> 3),
               k.value ->> 3)
         AND r.start_at <= k.value ->> 4
        ORDER BY k.key, r.start_at
        """,
        {
            "keys": orjson.dumps(
                [
                    [
                        *key,
                        min(c.at for c in by_key[key]) - CLICK_REPEAT_US,
                        max(c.at for c in by_key[key]) + CLICK_REPEAT_US,
                    ]
                    for key in keys
                ]
            )
        },
    ):
        stored[slot].append((start, end, count))

    logged = {click.position for click in clicks if click.keep}
    gone, written, floods = [], [], []
    for slot, key in enumerate(keys):
        ua_class, link_id, visitor = key
        human = ua_class == "human"
        old = stored.get(slot, [])
        runs = merge_runs(old, by_key[key], CLICK_REPEAT_US)
        for run in runs:
            if not run.new:
                continue  # a stored run the batch did not reach
            kept_start = bool(run.old) and run.old[0][0] == run.start
            gone.extend([*key, s] for s, _, _ in run.old if s != run.start)
            written.append([*key, run.start, run.end, run.clicks])
            if not kept_start:
                # The run starts at one of the batch's clicks: that one counts.
                logged.add(run.new[0].position)
                if human:
                    changes.clicks.append(run.start / 1e6)
            if human:
                changes.clicks_removed.extend(
                    s / 1e6 for s, _, _ in run.old if s != run.start
                )
            before = max((c for _, _, c in run.old), default=0)
            if before <= CLICK_FLOOD_CLICKS < run.clicks:
                floods.append((link_id, visitor, ua_class, run))
    if gone:
        db.execute(
            "DELETE FROM click_runs WHERE (ua_class, link_id, visitor, start_at) IN "
            "(SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 "
            "FROM json_each(?))",
            [orjson.dumps(gone)],
        )
    db.execute(
        "INSERT INTO click_runs(ua_class, link_id, visitor, start_at, end_at, clicks) "
        "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, "
        "value ->> 5 FROM json_each(?) WHERE true "
        "ON CONFLICT (ua_class, link_id, visitor, start_at) DO UPDATE SET "
        "end_at = excluded.end_at, clicks = excluded.clicks",
        [orjson.dumps(written)],
    )
    # The links' counts follow by trigger (migration 0009_click_runs).
    changes.links |= {link_id for _, link_id, _ in keys}
    if floods:
        _flag_floods(db, floods, now)
    return logged, changes


def _flag_floods(db: Database, floods: list, now: int) -> None:
    links = {
        link: (owner, code)
        for link, owner, code in db.execute(
            "SELECT id, owner_id, code FROM links WHERE id IN "
            "(SELECT value FROM json_each(?))",
            [orjson.dumps(sorted({link for link, *_ in floods}))],
        )
    }
    minutes = CLICK_REPEAT_US // 60_000_000
    keys = {
        flood_flag_key(links[link][0], link, visitor) for link, visitor, *_ in floods
    }
    stored = db.execute(
        "SELECT key FROM flags WHERE key IN (SELECT value FROM json_each(?))",
        [orjson.dumps(sorted(keys))],
    )
    db.changes.flags_opened |= keys - {row[0] for row in stored}  # flag.opened
    db.conn.executemany(
        "INSERT OR IGNORE INTO flags(key, kind, customer_id, referrer_id, members, "
        "reason, raised_at) VALUES (?, 'click_flood', NULL, ?, '[]', ?, ?)",
        [
            (
                flood_flag_key(links[link][0], link, visitor),
                links[link][0],
                f"one visitor ({ua_class}) clicked link {links[link][1]} "
                f"{run.clicks} times, "
                f"each within {minutes} minutes of the one before "
                f"(more than {CLICK_FLOOD_CLICKS}); it counts as "
                + ("one click" if ua_class == "human" else "bot clicks"),
                now,
            )
            for link, visitor, ua_class, run in floods
        ],
    )
