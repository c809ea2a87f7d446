"""Check 2, concurrency: twenty clients mixing clicks, sign-ups, API writes and
the owner's dashboard for the budget (soak/concurrency.py).

Must hold: no "database is locked", no 5xx, no answer but the expected one, and
the file holding exactly what was acknowledged. Reported: p50 and p99 of each
kind of request, at the database's size after the run.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from soak import Figure
from soak.concurrency import ROLES, Tally, concurrency_run
from soak.servers import LIMITS_NOTE, percentile

__all__ = ["SECONDS", "figures_of", "run"]

SECONDS = {"short": 8, "default": 30, "long": 60}


def figures_of(tally: Tally, seconds: float) -> list[Figure]:
    """The table's lines for one run."""
    clients = sum(ROLES.values())
    mismatches = tally.mismatches()
    figures = [
        Figure(
            "concurrency",
            '"database is locked"',
            tally.locked,
            holds=tally.locked == 0,
            note=f"{clients} clients for {seconds} s; {LIMITS_NOTE}",
        ),
        Figure(
            "concurrency",
            "5xx answers",
            tally.server_errors,
            holds=tally.server_errors == 0,
        ),
        Figure(
            "concurrency",
            "unexpected answers",
            len(tally.unexpected),
            holds=not tally.unexpected,
            note="; ".join(tally.unexpected[:3]),
        ),
        Figure(
            "concurrency",
            "server tracebacks logged",
            tally.server_log_problems,
            holds=tally.server_log_problems == 0,
        ),
        Figure(
            "concurrency",
            "stored counts unlike the acknowledged",
            len(mismatches),
            holds=not mismatches,
            note="; ".join(mismatches)
            or ", ".join(f"{n:,} {k}" for k, n in sorted(tally.stored.items())),
        ),
    ]
    every = [ms for kind in tally.latencies.values() for ms in kind]
    figures.append(
        Figure(
            "concurrency",
            "all requests p50 / p99",
            f"{percentile(every, 0.5):.0f} / {percentile(every, 0.99):.0f}",
            "ms",
            note=f"{len(every):,} requests; at {tally.size}",
        )
    )
    for kind, times in sorted(tally.latencies.items()):
        figures.append(
            Figure(
                "concurrency",
                f"{kind} p50 / p99",
                f"{percentile(times, 0.5):.0f} / {percentile(times, 0.99):.0f}",
                "ms",
                note=f"{len(times):,} requests",
            )
        )
    return figures


def run(level: str) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="wom-soak-concurrency-") as work:
        tally = concurrency_run(Path(work), SECONDS[level])
    return figures_of(tally, SECONDS[level])
