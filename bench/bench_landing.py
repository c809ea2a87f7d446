"""Landing pages under load, against a bare Flask app served the same way.

wom runs as the README runs it in production (gunicorn, gthread, one worker,
eight threads, ``wom.wsgi:app``) on a fresh database of a few thousand customers,
and so does a bare Flask app that says hello (``bench/bare_app.py``), in the same
run. wrk loads them on 127.0.0.1, in interleaved runs bounded in time:

- the bare app's ``/``: the baseline;
- wom's ``/healthz``: a trivial route through every request hook that
  ``/r/<code>`` passes (security headers, CSRF check, session, ``?ref=``);
- ``/r/<code>`` with every request a new visitor (a browser whose build number
  is random, no cookie) across every link code, the click durably committed;
- ``/r/<code>`` with one visitor flooding one link.

The issue's targets: the landing page at least 0.5 of the bare app, the trivial
route at least 0.9. ``WOM_BENCH_SECONDS`` sets a run's length (default 5).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from .landing_setup import (
    disk_commits_per_second,
    fill_database,
    have_wrk,
    many_visitors_lua,
    one_visitor_lua,
    start_servers,
)
from .serving import LUA_DONE, LUA_THREADS, THREADS, wrk

__all__ = ["main"]

SECONDS = int(os.environ.get("WOM_BENCH_SECONDS", 5))
RUNS = 3
CONNECTIONS = 8
TARGETS = {"healthz": 0.9, "many": 0.5, "flood": 0.5}
LABELS = {
    "bare": "bare Flask hello (baseline)",
    "healthz": "wom /healthz, every hook",
    "many": "/r/<code>, a new visitor each",
    "flood": "/r/<code>, one visitor flooding",
}


def clicks_kept(database: Path) -> int:
    """Every click the runs hold (acknowledged means in a run's count)."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT coalesce(sum(clicks), 0) FROM click_runs"
        ).fetchone()[0]
    finally:
        conn.close()


def settled(database: Path) -> int:
    """The clicks kept once no request still in flight adds one."""
    kept = clicks_kept(database)
    while True:
        time.sleep(0.3)
        now = clicks_kept(database)
        if now == kept:
            return kept
        kept = now


def main() -> None:
    """Run the landing benchmark; print medians of interleaved runs and ratios."""
    if not have_wrk():
        return
    work = Path(tempfile.mkdtemp(prefix="wom-bench-landing-"))
    database = work / "wom.db"
    started = time.perf_counter()
    codes = fill_database(database)
    print(
        f"database: {len(codes)} customers through ingest in "
        f"{time.perf_counter() - started:.1f}s; disk: "
        f"{disk_commits_per_second(work):.0f} single-row FULL commits/s"
    )
    scripts = {}
    for name, text in (
        ("trivial", LUA_THREADS + LUA_DONE),
        ("many", many_visitors_lua(codes)),
        ("flood", one_visitor_lua(codes[0])),
    ):
        scripts[name] = work / f"{name}.lua"
        scripts[name].write_text(text)
    wom, bare = start_servers(database)
    try:
        print(
            f"servers: gunicorn gthread, 1 worker x {THREADS} threads each"
            + ("" if THREADS == 8 else " (NOT the README's 8: an experiment)")
            + f"; wrk {CONNECTIONS} connections, {RUNS} interleaved runs of "
            f"{SECONDS}s each"
        )
        # Every link's page and entry in memory, as on a server that has run.
        wrk(wom, "/", scripts["many"], connections=CONNECTIONS, seconds=SECONDS)
        # Requests in flight when wrk stopped still commit: count from after them.
        kept_before = settled(database)
        runs: dict[str, list[dict]] = {name: [] for name in LABELS}
        for _ in range(RUNS):
            for name, server, path, script in (
                ("bare", bare, "/", scripts["trivial"]),
                ("healthz", wom, "/healthz", scripts["trivial"]),
                ("many", wom, "/", scripts["many"]),
                ("flood", wom, "/", scripts["flood"]),
            ):
                runs[name].append(
                    wrk(server, path, script, connections=CONNECTIONS, seconds=SECONDS)
                )
        kept = settled(database) - kept_before
    finally:
        wom.stop()
        bare.stop()
    report(runs, kept)
    integrity = sqlite3.connect(database).execute("PRAGMA integrity_check").fetchone()
    print(f"integrity_check: {integrity[0]}")
    shutil.rmtree(work, ignore_errors=True)


def median(rows: list[dict], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def report(runs: dict[str, list[dict]], kept: int) -> None:
    """Medians, ratios to the bare app, CPU per request and the durability check."""
    baseline = median(runs["bare"], "rps")
    print(f"\nmedians of {RUNS} interleaved runs, {CONNECTIONS} connections:")
    for name, rows in runs.items():
        rps = median(rows, "rps")
        line = (
            f"  {LABELS[name]:34s} {rps:7.0f} req/s  p99 "
            f"{median(rows, 'p99_us') / 1000:6.1f} ms  worker CPU "
            f"{median(rows, 'cpu_us'):5.0f} us/request"
        )
        if name in TARGETS:
            ratio = rps / baseline
            verdict = "meets" if ratio >= TARGETS[name] else "misses"
            line += f"  ratio {ratio:.2f} ({verdict} {TARGETS[name]})"
        print(line)
    acknowledged = sum(r["ok"] for name in ("many", "flood") for r in runs[name])
    errors = sum(
        r["non_2xx_3xx"] + r["socket_errors"] for rows in runs.values() for r in rows
    )
    # wrk stops mid-flight: a click may be committed whose answer it never read.
    slack = CONNECTIONS * RUNS * 2
    durable = acknowledged <= kept <= acknowledged + slack
    print(
        f"  clicks: {acknowledged} acknowledged, {kept} in the runs' counts, "
        f"{errors} errors -> "
        + ("every acknowledged click is durable" if durable else "MISMATCH")
    )


if __name__ == "__main__":
    main()
