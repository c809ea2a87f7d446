"""Check 1, crash: SIGKILL during bulk ingest from four clients with webhook
deliveries in flight, then retries with the same idempotency keys (soak/crash.py).

Must hold: no acknowledged event missing, none stored twice, integrity_check
ok, every outbox message delivered and received at least once, and no client
refused. Reported: the time to /readyz after a restart, at the database's size.
At default and long levels the negative control runs too: one round retried
without keys must find duplicates (tests/test_soak_short_server.py holds it
for the short soak).
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from soak import Figure
from soak.crash import CLIENTS, Outcome, crash_run

__all__ = ["BUDGETS", "figures_of", "run"]

# (rounds, seeds, whether the negative control runs) per level.
BUDGETS = {
    "short": (1, [0], False),
    "default": (3, [0], True),
    "long": (5, [0, 1, 2], True),
}


def figures_of(outcomes: list[Outcome]) -> list[Figure]:
    """The table's lines for the runs of every seed."""

    def total(name: str) -> int:
        return sum(getattr(o, name) for o in outcomes)

    def zero(name: str, label: str, note: str = "") -> Figure:
        value = total(name)
        return Figure("crash", label, value, holds=value == 0, note=note)

    restarts = [s for o in outcomes for s in o.restarts]
    refused = [r for o in outcomes for r in o.refused]
    return [
        Figure(
            "crash",
            "acknowledged events",
            total("events"),
            note=f"{total('acknowledged')} batches from {CLIENTS} clients, "
            f"{len(restarts)} SIGKILLs",
        ),
        zero("missing", "acknowledged events missing"),
        zero("duplicates", "events stored twice"),
        Figure(
            "crash",
            "integrity_check",
            ", ".join(sorted({o.integrity for o in outcomes})),
            holds=all(o.integrity == "ok" for o in outcomes),
        ),
        Figure(
            "crash",
            "requests refused or stuck",
            len(refused),
            holds=not refused,
            note="; ".join(refused[:2]),
        ),
        Figure(
            "crash",
            "retries after a kill",
            total("in_doubt"),
            note=f"{total('replayed')} answered from the stored response",
        ),
        Figure(
            "crash",
            "time to /readyz after a restart",
            f"{statistics.median(restarts):.2f} / {max(restarts):.2f}",
            "s",
            note=f"median / max; at {outcomes[-1].size_at_restart}",
        ),
        Figure("crash", "webhook messages", total("messages")),
        zero("deliveries_unsent", "outbox deliveries never sent"),
        zero("messages_not_received", "messages the receiver never got"),
        zero("unverified", "tries whose signature failed"),
        Figure(
            "crash",
            "tries sent again after a kill",
            total("sent_again"),
            note=f"drained in {max(o.drain_seconds for o in outcomes)} s",
        ),
    ]


def run(level: str) -> list[Figure]:
    rounds, seeds, control = BUDGETS[level]
    with tempfile.TemporaryDirectory(prefix="wom-soak-crash-") as work:
        outcomes = []
        for seed in seeds:
            folder = Path(work) / f"seed-{seed}"
            folder.mkdir()
            outcomes.append(crash_run(folder, seed, rounds))
        figures = figures_of(outcomes)
        if control:
            folder = Path(work) / "without-keys"
            folder.mkdir()
            unkeyed = crash_run(folder, seeds[0], 1, keyed=False)
            figures.append(
                Figure(
                    "crash",
                    "negative control: events stored twice",
                    unkeyed.duplicates,
                    holds=unkeyed.duplicates > 0,
                    note="one round retried without Idempotency-Key: must be > 0",
                )
            )
    return figures
