"""Events through the HTTP API against a raw sqlite3 insert of the same rows.

Each run serves a fresh database with a real gunicorn (``--worker-class gthread
--workers 1 --threads 8``, as in production) and sends 200,000 mixed events
(sign-ups, mentions, "heard from" answers, referrals, purchases) as NDJSON,
10,000 per request, a few requests in flight, group-committed with FULL sync;
every derived table is kept current per batch, and so is the analytics service
(it is loaded before the first batch, and a figure is checked against the store
after the last response). In the same run, interleaved with it, a raw
``sqlite3.executemany`` of the same rows goes into a table with a unique
``event_id`` index and one person index, in the same batches, WAL and FULL sync.
The issue's target: the API at least 0.30 of the raw insert.

The API's rate limit is a setting; this benchmark RAISES IT (``api_rate_limit``)
so that loopback traffic is not throttled, and says so when it runs.
``WOM_BENCH_EVENTS`` sets the event count, ``WOM_BENCH_IN_FLIGHT`` the requests
in flight (default 3).
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import orjson

from .api_setup import (
    BATCH,
    SEED_CUSTOMERS,
    START,
    Server,
    largest_reach_in_store,
    make_events,
    server_cpu_seconds,
    through_api,
)

__all__ = ["main", "make_events", "Server"]

EVENTS = int(os.environ.get("WOM_BENCH_EVENTS", 200_000))
IN_FLIGHT = int(os.environ.get("WOM_BENCH_IN_FLIGHT", 3))
RUNS = 3
TARGET = 0.30
RATE_LIMIT = "1000000 per minute"
_COLUMNS = ("type", "at", "talker", "person", "value", "email", "channel", "event_id")


def raw_insert(folder: Path, events: list[dict]) -> float:
    """The same rows into a table with a unique event_id index and a person
    index, the same batches, WAL and FULL sync; the seconds it took."""
    path = folder / "raw.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(
        f"CREATE TABLE events (seq INTEGER PRIMARY KEY, {', '.join(_COLUMNS)})"
    )
    conn.execute("CREATE UNIQUE INDEX events_event_id ON events(event_id)")
    conn.execute("CREATE INDEX events_person ON events(person)")
    marks = ", ".join("?" * len(_COLUMNS))
    started = time.perf_counter()
    for i in range(0, len(events), BATCH):
        rows = [
            (
                e["type"],
                e["at"],
                e.get("from"),
                e.get("to") or e.get("customer"),
                e.get("value"),
                e.get("email"),
                e.get("channel"),
                e.get("event_id"),
            )
            for e in events[i : i + BATCH]
        ]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO events VALUES (NULL, {marks})", rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return elapsed


def api_run(folder: Path, events: list[dict]) -> dict:
    """One run through a fresh server: its rate, CPU, and the service's check."""
    server = Server(folder)
    server.flask("init-db")
    server.flask("settings", "api_rate_limit", RATE_LIMIT)
    token = server.flask("create-token", "bench")
    server.start()
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        seeds = [
            {"type": "signup", "customer": f"s{i}", "at": START.isoformat()}
            for i in range(SEED_CUSTOMERS)
        ]
        status, body = server.request(
            "POST", "/api/v1/events", orjson.dumps({"events": seeds}), auth
        )
        assert status == 200, body
        for i in range(SEED_CUSTOMERS):
            status, body = server.request(
                "POST",
                f"/api/v1/customers/s{i}/links",
                orjson.dumps({"code": f"seed-{i}"}),
                auth,
            )
            assert status == 201, body
        # Load the analytics service now, so that it follows every batch.
        status, _ = server.request("GET", "/api/v1/starters?limit=1", None, auth)
        assert status == 200
        before = sum(server_cpu_seconds(server))
        elapsed = through_api(server, token, events, IN_FLIGHT)
        cpu = sum(server_cpu_seconds(server)) - before
        status, body = server.request(
            "GET", "/api/v1/starters?by=reach&limit=1", None, auth
        )
        top = orjson.loads(body)["items"][0]
    finally:
        server.stop()
    expected = largest_reach_in_store(folder / "wom.db")
    if (top["id"], top["reach"]) != tuple(expected):
        raise SystemExit(
            f"the analytics service is not current: {top} against {expected}"
        )
    return {"rate": len(events) / elapsed, "cpu_us": cpu / len(events) * 1e6}


def main() -> None:
    print(
        f"NOTE: this benchmark raises the api_rate_limit setting to {RATE_LIMIT!r} "
        "so that loopback traffic is not throttled.",
        flush=True,
    )
    events = make_events(EVENTS)
    api, raw = [], []
    for run in range(RUNS):
        with tempfile.TemporaryDirectory(prefix="wom-bench-api-") as name:
            raw.append(EVENTS / raw_insert(Path(name), events))
            api.append(api_run(Path(name), events))
        print(
            f"run {run + 1}: API {api[-1]['rate']:,.0f} events/s "
            f"({api[-1]['cpu_us']:.0f} us of server CPU an event), raw "
            f"executemany {raw[-1]:,.0f} rows/s",
            flush=True,
        )
    api_rate = statistics.median(run["rate"] for run in api)
    raw_rate = statistics.median(raw)
    ratio = api_rate / raw_rate
    verdict = "meets" if ratio >= TARGET else "misses"
    print(
        f"{EVENTS:,} mixed events, {BATCH:,} a request, {IN_FLIGHT} in flight "
        f"(medians of {RUNS} interleaved runs):\n"
        f"  through the API        {api_rate:>9,.0f} events/s\n"
        f"  raw sqlite3.executemany {raw_rate:>8,.0f} rows/s\n"
        f"  ratio {ratio:.2f} ({verdict} the {TARGET} target); the analytics "
        "service was current after the last response in every run"
    )


if __name__ == "__main__":
    main()
