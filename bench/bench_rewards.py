"""The rewards ledger's cost on the write path: a credit written alone and in a
batch, with no rules and with rules on both sides (a sign-up rule with a
monthly cap, and a first-purchase rule), medians of interleaved runs; a credit
under a referrer whose month is already full; and the ledger's rebuild.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wom.actions import approve_due_rewards
from wom.contract import now_micros
from wom.rewards import DAY_US
from wom.store import Store, ingest
from wom.store.reward_rules import check_rules, set_rules
from wom.store.rewards import rebuild_rewards

ALONE = 200
BATCH = 2000
RUNS = 3
START = datetime(2026, 1, 1, tzinfo=UTC)
RULES = {
    "none": [],
    "signup, capped": [
        {"side": "both", "trigger": "signup", "amount": "5", "cap_per_month": 10}
    ],
    "first purchase": [
        {"side": "both", "trigger": "purchase", "amount": "5", "min_purchase": "10"}
    ],
}


def _store(folder: Path, rules: list[dict]) -> Store:
    store = Store(folder / f"rewards-{time.monotonic_ns()}.db")
    store.migrate()
    with store.write() as db:
        set_rules(db, check_rules(rules, "EUR"), effective_at=0, now=0, by="bench")
    referrers = [
        {"type": "signup", "customer": f"r{i}", "at": "2025-12-01T00:00:00Z"}
        for i in range(50)
    ]
    ingest(store, referrers, source="bench")
    return store


def _credits(n: int, offset: int = 0) -> list[list[dict]]:
    """Per credit: a referral to a new customer and their first purchase."""
    found = []
    for i in range(offset, offset + n):
        at = START + timedelta(seconds=i)
        found.append(
            [
                {"type": "referral", "from": f"r{i % 50}", "to": f"c{i}", "at": at},
                {"type": "purchase", "customer": f"c{i}", "value": 20, "at": at},
            ]
        )
    return [[e | {"at": e["at"].isoformat()} for e in pair] for pair in found]


def alone(folder: Path, rules: list[dict]) -> float:
    """Microseconds per credit, each credit (two events) its own transaction."""
    store = _store(folder, rules)
    credits = _credits(ALONE)
    started = time.perf_counter()
    for pair in credits:
        ingest(store, pair, source="bench")
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed / ALONE * 1e6


def batched(folder: Path, rules: list[dict]) -> float:
    """Microseconds per credit, BATCH credits in one transaction."""
    store = _store(folder, rules)
    events = [e for pair in _credits(BATCH) for e in pair]
    started = time.perf_counter()
    ingest(store, events, source="bench")
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed / BATCH * 1e6


def full_month(folder: Path) -> tuple[float, float]:
    """A credit under a referrer with BATCH rewards this month already: ms
    alone; and the approval job's microseconds a reward (those the cap left)."""
    store = Store(folder / f"month-{time.monotonic_ns()}.db")
    store.migrate()
    with store.write() as db:
        rules = check_rules(RULES["signup, capped"], "EUR")
        set_rules(db, rules, effective_at=0, now=0, by="bench")
    ingest(store, [{"type": "signup", "customer": "big", "at": "2025-12-01T00:00:00Z"}])
    month = [
        {"type": "referral", "from": "big", "to": f"m{i}", "at": START.isoformat()}
        for i in range(BATCH)
    ]
    ingest(store, month, source="bench")
    times = []
    for i in range(20):
        event = {"type": "referral", "from": "big", "to": f"n{i}", "at": month[0]["at"]}
        started = time.perf_counter()
        ingest(store, [event], source="bench")
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    approved = approve_due_rewards(store, now=now_micros() + 30 * DAY_US)
    approving = time.perf_counter() - started
    store.close()
    return statistics.median(times) * 1e3, approving / approved * 1e6


def rebuilding(folder: Path) -> float:
    """Seconds to rebuild a ledger of 2 x BATCH x 5 rewards from its logs."""
    store = _store(folder, RULES["signup, capped"])
    for part in range(5):
        events = [e for pair in _credits(BATCH, part * BATCH) for e in pair]
        ingest(store, events, source="bench")
    started = time.perf_counter()
    with store.write() as db:
        rebuild_rewards(db)
    elapsed = time.perf_counter() - started
    count = store.reader().execute("SELECT count(*) FROM rewards").fetchone()[0]
    store.close()
    print(f"  rebuild of the ledger ({count:,} rewards): {elapsed:.2f}s")
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("WOM_BENCH_DIR")) as name:
        folder = Path(name)
        found = {key: ([], []) for key in RULES}
        for _ in range(RUNS):
            for key, rules in RULES.items():
                found[key][0].append(alone(folder, rules))
                found[key][1].append(batched(folder, rules))
        print(
            f"a credit (a referral and a first purchase), median of {RUNS} runs: "
            f"alone ({ALONE} transactions, synchronous=FULL) and in one batch of "
            f"{BATCH:,}"
        )
        base_alone = statistics.median(found["none"][0])
        base_batch = statistics.median(found["none"][1])
        for key, (one, many) in found.items():
            one_m, many_m = statistics.median(one), statistics.median(many)
            print(
                f"  rules {key:<15} alone {one_m:7.0f} us (+{one_m - base_alone:5.0f})"
                f"   batched {many_m:6.0f} us (+{many_m - base_batch:5.0f})"
            )
        ms, approve_us = full_month(folder)
        print(
            f"  a credit under a referrer with {BATCH:,} rewards this month "
            f"(a cap of 10 a month): {ms:.1f} ms alone; the job approves at "
            f"{approve_us:.0f} us a reward"
        )
        rebuilding(folder)


if __name__ == "__main__":
    main()
