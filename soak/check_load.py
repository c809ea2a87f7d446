"""Check 10, load: a bounded run on loopback against the production configuration
(soak/load.py), each surface in turn with many clients at once.

Reported, per surface (landing, one visitor flooding one link, sign-up, ingest,
a dashboard page, webhook delivery): throughput, p50 and p99; and the server's
peak RSS and the database's size after the run. Must hold: no errors on any
surface (a 5xx, a refused or broken connection, a 429 or any answer but the
expected one, a delivery never made or a try not answered 2xx) and no traceback
in the server's output. Times are never asserted.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from soak import Figure
from soak.load import BATCH, Loaded, Surface, load_run
from soak.load_webhooks import FEED
from soak.servers import TRACEBACKS_KEPT, percentile

__all__ = ["BUDGETS", "figures_of", "measure", "run"]

CHECK = "load"
# (seconds per surface, clients at once) per level.
BUDGETS = {"short": (3, 16), "default": (10, 32), "long": (60, 64)}
WHAT = {
    "landing": "/r/<code>, every request a new visitor (address, agent)",
    "hot link": "/r/<code>, one visitor flooding one link beside them",
    "sign-up": "a new visitor's link page and form (CSRF), from its own address",
    "ingest": f"NDJSON, {BATCH} events a request, each client its own write token",
    "dashboard": "the owner's session: Overview and Customers in turn",
    "webhooks": f"deliveries/s; from commit to record; sign-ups {FEED} a request",
}
UNIT = {"ingest": "req/s", "webhooks": "deliveries/s"}


def _surface(surface: Surface) -> list[Figure]:
    name, times = surface.name, surface.latencies
    return [
        Figure(
            CHECK,
            f"{name}: throughput",
            round(surface.rate, 1),
            UNIT.get(name, "req/s"),
            note=f"{surface.clients} client{'s' * (surface.clients != 1)}, "
            f"{len(times):,} in "
            f"{surface.seconds:.1f} s; {WHAT[name]}",
        ),
        Figure(
            CHECK,
            f"{name}: p50 / p99",
            f"{percentile(times, 0.5):.1f} / {percentile(times, 0.99):.1f}",
            "ms",
            note=surface.note,
        ),
        Figure(
            CHECK,
            f"{name}: errors",
            surface.errors,
            holds=surface.errors == 0,
            note="; ".join(surface.samples),
        ),
    ]


def figures_of(loaded: Loaded, seconds: float) -> list[Figure]:
    """The table's lines for one run."""
    figures = [
        Figure(
            CHECK,
            "configuration",
            "gunicorn gthread 1 x 8",
            note=f"WOM_HTTPS=1, WOM_TRUSTED_PROXIES=1, default rate limits; "
            f"{seconds} s a surface on two shared cores, the clients on them too",
        )
    ]
    for surface in loaded.surfaces.values():
        figures += _surface(surface)
    return (
        figures
        + [
            Figure(
                CHECK,
                "server peak RSS",
                loaded.peak_rss_mib,
                "MiB",
                note="the gunicorn worker's VmHWM",
            ),  # fmt: skip
            Figure(CHECK, "database after the run", loaded.size),
            Figure(
                CHECK,
                "tracebacks in the server's output",
                len(loaded.tracebacks),
                holds=not loaded.tracebacks,
                note="; ".join(loaded.tracebacks[:2])
                + (f" (whole in {TRACEBACKS_KEPT})" if loaded.tracebacks else ""),
            ),
        ]
    )


def measure(folder: Path, level: str, break_in: str | None = None) -> list[Figure]:
    """The check at ``level`` in ``folder``; ``break_in`` kills the server
    halfway through that surface (the negative control)."""
    seconds, clients = BUDGETS[level]
    return figures_of(load_run(folder, seconds, clients, break_in), seconds)


def run(level: str) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="wom-soak-load-") as work:
        return measure(Path(work), level)
