"""Figures that cost more than a linear pass, computed in a separate process.

PageRank influence, exact conversation reach, communities, bridges, seeding and the
graph-based fraud checks run in a worker process (spawned, so no SQLite connection
crosses a fork and the server's GIL stays free). The worker reads the SQLite file
itself and returns plain data; the server keeps the newest result, stamped with
``computed_at``, and writes the fraud flags through its own single writer.
When runs happen is ``schedule.py``'s.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from ..graph import gc_paused
from ..store import queries
from ..store.attribution_rows import attribution_touches
from ..store.settings import read_settings

__all__ = ["compute", "SEED_K"]

#: The most seeds served. One greedy run of this many answers every smaller k (its
#: best j seeds are its first j), and the top starters' totals come for each k.
SEED_K = 10


def _timed(timings: dict, name: str, fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    timings[name] = round(time.perf_counter() - started, 3)
    return result


def _read_only(db_path: str):
    """A read-only connection: the worker never writes, and cannot by mistake."""
    uri = f"{Path(db_path).resolve().as_uri()}?mode=ro"
    return sqlite3.connect(uri, uri=True, check_same_thread=False)


def _load(db_path: str):
    """``(GraphArrays of G and F, credit evidence columns, attribution's touches,
    settings)`` read from the store in one snapshot."""
    from ..analytics.arrays import GraphArrays

    db = Database(_read_only(db_path))
    try:
        db.execute("BEGIN")
        ga = GraphArrays.from_columns(
            queries.people_arrays(db),
            queries.touch_arrays(db),
            queries.credit_arrays(db),
        )
        evidence = queries.credit_evidence_arrays(db)
        touches = attribution_touches(db)
        settings = read_settings(db)
    finally:
        db.conn.close()
    return ga, evidence, touches, settings


def _by_id(ga, values) -> dict:
    """Scores by position -> the ``{person id: score}`` dict the server reads."""
    return dict(zip(ga.ids.tolist(), values.tolist(), strict=True))


def compute(db_path: str, *, seed_k: int = SEED_K) -> dict:
    """Every background figure of the database at ``db_path``, as plain data.

    The worker never builds ``G`` or ``F`` as networkx graphs: it reads the store
    as columns and runs each figure's array entry point, which equals the networkx
    one (tests/test_background_arrays.py).
    """
    from ..analytics import fraud, seed_arrays, structure
    from ..analytics.betweenness import bridges_from_arrays
    from ..analytics.conversation_reach import conversation_reach_from_arrays
    from ..analytics.influence import influence_from_arrays

    timings: dict = {}
    results = {
        "computed_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "timings": timings,
    }
    with gc_paused():
        ga, evidence, touches, settings = _timed(timings, "build", _load, db_path)
        # Fraud first: its referral graph and the sign-up evidence are the
        # largest things built, and are gone before the score dicts exist.
        flags = _timed(
            timings,
            "fraud",
            fraud.flags_from_arrays,
            ga,
            evidence,
            threshold=settings["burst_threshold"],
        )
        del evidence
        # Both rules on the same snapshot, for the attribution page.
        results["attribution"] = _timed(
            timings, "attribution", _attribution, ga, touches, settings
        )
        del touches
        n = len(ga)
        results["influence"] = {
            "scores": _timed(
                timings,
                "influence",
                lambda: _by_id(ga, influence_from_arrays(n, ga.src, ga.dst)),
            )
        }
        reach = _timed(
            timings,
            "conversation_reach",
            conversation_reach_from_arrays,
            n,
            ga.src,
            ga.dst,
        )
        results["conversation_reach"] = {"scores": _by_id(ga, reach)}
        results["communities"] = _timed(
            timings, "communities", structure.communities_from_arrays, ga, seed=0
        )
        results["bridges"] = _timed(timings, "bridges", bridges_from_arrays, ga, seed=0)
        seeds = _timed(
            timings, "seed_set", seed_arrays.seed_set_from_arrays, ga, k=seed_k, seed=0
        )
        results["seeds"] = seeds
        # Expected spread is exact for everyone whose reach is a tree, and
        # estimated (Monte Carlo, Independent Cascade) for the rest of the bounded
        # pool that seeding considers; others have none (None, not 0).
        results["expected_spread"] = {
            "scores": _timed(
                timings,
                "expected_spread",
                seed_arrays.expected_spreads_from_arrays,
                ga,
                reach,
                seeds.pop("candidate_spread", {}),
            ),
            "candidates": seeds["candidates"],
        }
        results["flags"] = flags
    return results


def _attribution(ga, touches, settings) -> dict:
    """First touch against last touch (``rule_comparison``), with the rule and
    window that were live."""
    from ..analytics.rule_comparison import compare_rules
    from ..attribution import credits_by_rule

    window = settings["attribution_window_days"]
    chosen = credits_by_rule(touches, window)
    return {
        "rule": settings["attribution_rule"],
        "window_days": window,
        **compare_rules(ga, chosen),
    }
