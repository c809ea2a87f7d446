"""Foundation figures: demo generation at 100k and 1M customers, and single-event
writes through the store (FULL sync) against a raw sqlite3 insert of the same row.
"""

from __future__ import annotations

import os
import resource
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wom.demo import generate
from wom.store import Store, ingest
from wom.store.bulk import load_history

IP_KEY = b"bench-ip-key-bench-ip-key-bench-ip-key"
WRITES = 400
RUNS = 3


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def demo(customers: int, folder: Path) -> Path:
    """Generate and load a demo; print the times."""
    started = time.perf_counter()
    made = generate(customers, seed=0)
    generated = time.perf_counter() - started
    path = folder / f"demo-{customers}.db"
    store = Store(path)
    store.migrate()
    started = time.perf_counter()
    load_history(store, made.people, made.events, ip_key=IP_KEY)
    loaded = time.perf_counter() - started
    store.close()
    print(
        f"demo {customers:>9,} customers: {len(made.events):>10,} events, "
        f"generate {generated:6.1f}s, load+derive {loaded:6.1f}s, "
        f"total {generated + loaded:6.1f}s, peak RSS {peak_rss_mib():,.0f} MiB",
        flush=True,
    )
    return path


def events(n: int) -> list[dict]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        {
            "type": "mention",
            "from": f"c{i % 50}",
            "to": f"p{i}",
            "at": (start + timedelta(seconds=i)).isoformat(),
        }
        for i in range(n)
    ]


def store_writes(folder: Path) -> float:
    store = Store(folder / f"writes-{time.monotonic_ns()}.db")
    store.migrate()
    ingest(
        store,
        [
            {"type": "signup", "customer": f"c{i}", "at": "2025-12-01T00:00:00Z"}
            for i in range(50)
        ],
    )
    batch = events(WRITES)
    started = time.perf_counter()
    for event in batch:
        ingest(store, [event], source="bench")
    elapsed = time.perf_counter() - started
    store.close()
    return WRITES / elapsed


def raw_writes(folder: Path) -> float:
    conn = sqlite3.connect(
        folder / f"raw-{time.monotonic_ns()}.db", isolation_level=None
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, type TEXT, at INTEGER,"
        " talker_id INTEGER, listener_id INTEGER, source TEXT, event_id TEXT,"
        " received_at INTEGER)"
    )
    started = time.perf_counter()
    for i in range(WRITES):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO events(type, at, talker_id, listener_id, source, "
            "event_id, received_at) VALUES ('mention', ?, ?, ?, 'bench', "
            "NULL, ?)",
            (i, i % 50, i, i),
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return WRITES / elapsed


def main() -> None:
    sizes = [
        int(s) for s in os.environ.get("WOM_BENCH_DEMO", "100000,1000000").split(",")
    ]
    with tempfile.TemporaryDirectory(dir=os.environ.get("WOM_BENCH_DIR")) as name:
        folder = Path(name)
        for customers in sizes:
            demo(customers, folder)
        ours, raw = [], []
        for _ in range(RUNS):
            ours.append(store_writes(folder))
            raw.append(raw_writes(folder))
        ours_m, raw_m = statistics.median(ours), statistics.median(raw)
        print(
            f"single-event writes, synchronous=FULL, one commit each "
            f"(median of {RUNS} x {WRITES}):"
        )
        print(f"  through the store (check, append, derive): {ours_m:8,.0f} events/s")
        print(f"  raw sqlite3 insert of the same row:        {raw_m:8,.0f} rows/s")
        print(f"  ratio store / raw: {ours_m / raw_m:.2f}")


if __name__ == "__main__":
    main()
