"""The owner's dashboard at a million customers: each page's server time, warm,
and the streamed exports' throughput and memory.

Every GET rule of the dashboard blueprint is measured, page and JSON twin alike,
so pages added later are measured too; a rule with a variable gets a real value
(the top starter for a customer, the largest cascade's root for a root) or is
listed as skipped. The Customers table is measured in each of its ways (a figure
sort, a search, a deep page). "Warm" means the analytics service is loaded and
nothing caches responses; each figure is the median of several requests through
the app in-process (no network). Target: at most 300 ms each.

The exports stream through the same app; their throughput is bytes and people
per second, and their memory is the growth of the process's resident set while
one streams (sampled at every piece), beside the process's peak.

Runs in a spawned process on a copy of the cached demo database of
``bench_analytics`` (``bench/.cache``; ``WOM_BENCH_CUSTOMERS`` for another size).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import statistics
import time
from pathlib import Path

from bench.bench_analytics import CACHE, KEYS, demo_database, peak_rss_mib

__all__ = ["main"]

TARGET_MS = 300
RUNS = 7
#: Pages timed on the first request after a write that changes the graphs.
AFTER_WRITE = ("/dashboard", "/dashboard.json", "/dashboard/spread", "/dashboard/graph")
EXPORTS = (
    "/dashboard/exports/people.csv",
    "/dashboard/exports/graph.gexf",
    "/dashboard/exports/graph.graphml",
)
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    """The process's resident set now (not its peak)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE / 2**20


def _log_in(app):
    from wom.store import accounts, now_micros

    password = "a bench password, long enough"
    with app.extensions["wom.store"].write() as db:
        accounts.create_owner(
            db, "bench@example.org", accounts.password_hash(password), now_micros()
        )
    client = app.test_client()
    with client.get("/login") as page:
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    form = {"csrf_token": token[1], "email": "bench@example.org", "password": password}
    with client.post("/login", data=form) as reply:
        assert reply.status_code == 303, reply.text
    return client


def _arguments(app) -> dict:
    """Real values for the variables of the dashboard's rules."""
    service = app.extensions["wom.analytics"]
    top = service.starters("reach", limit=1)["items"][0]["external_id"]
    root = service.cascades("size", limit=1)[0]["external_id"]
    return {"external_id": top, "root": root, "root_id": root, "cascade": root}


def _urls(app, client) -> list[str]:
    """Every GET page and twin of the dashboard, filled in; the Customers table
    in its other ways too."""
    values = _arguments(app)
    urls, skipped = [], []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("dashboard.") or "GET" not in rule.methods:
            continue
        if rule.rule.startswith("/dashboard/exports/"):
            continue
        missing = rule.arguments - set(values)
        if missing:
            skipped.append(f"{rule.rule} (needs {', '.join(sorted(missing))})")
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", values[name], path)
        urls.append(path)
    with client.get("/dashboard/customers.json?sort=-reach&limit=50") as reply:
        deep = reply.json["next_cursor"]
    urls += [
        "/dashboard/customers?sort=-reach",
        "/dashboard/customers?sort=-value",
        "/dashboard/customers?sort=id",
        "/dashboard/customers?q=a",
        "/dashboard/customers?q=liam",
        "/dashboard/customers?q=noah%20brown",
        f"/dashboard/customers?sort=-reach&cursor={deep}",
        "/dashboard/customers?sort=reach&limit=200",
    ]
    for note in skipped:
        print(f"skipped {note}")
    return sorted(set(urls))


def _median_ms(client, url: str) -> tuple[float, int]:
    with client.get(url) as reply:  # the first request warms the page's caches
        status = reply.status_code
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        with client.get(url) as reply:
            reply.get_data()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), status


def _after_writes(app, client, url: str) -> dict:
    """The first request of ``url`` after each of ``RUNS`` writes that change the
    graphs (a referral to someone new), and how long the background took each
    time to build the graphs' new version for the figures."""
    from wom.store import ingest

    service = app.extensions["wom.analytics"]
    top = service.starters("reach", limit=1)["items"][0]["external_id"]
    writes, firsts, rebuilds = [], [], []
    for n in range(RUNS):
        friend = f"bench-{url.strip('/').replace('/', '-')}-{n}"
        at = "2026-12-01T12:00:00Z"
        event = {"type": "referral", "from": top, "to": friend, "at": at}
        started = time.perf_counter()
        ingest(app.extensions["wom.store"], [event], source="bench")
        written = time.perf_counter()
        with client.get(url) as reply:
            reply.get_data()
        answered = time.perf_counter()
        service.derivations.wait()
        writes.append((written - started) * 1000)
        firsts.append((answered - written) * 1000)
        rebuilds.append((time.perf_counter() - written) * 1000)
    return {
        "write_ms": statistics.median(writes),
        "first_ms": statistics.median(firsts),
        "rebuilt_ms": statistics.median(rebuilds),
    }


def _export(client, url: str, people: int) -> dict:
    before = rss_mib()
    highest = before
    size = 0
    started = time.perf_counter()
    with client.get(url, buffered=False) as reply:
        for piece in reply.response:
            size += len(piece)
            highest = max(highest, rss_mib())
    seconds = time.perf_counter() - started
    return {
        "url": url,
        "seconds": seconds,
        "mib": size / 2**20,
        "mib_per_s": size / 2**20 / seconds,
        "people_per_s": people / seconds,
        "rss_growth_mib": highest - before,
    }


def dashboard_stage(path: str) -> dict:
    """Pages then exports, on one app with its service loaded."""
    os.environ.update(KEYS)
    from wom import create_app

    app = create_app(
        {
            "DATABASE": path,
            "SECRET_KEY": KEYS["WOM_SECRET_KEY"],
            "IP_HMAC_KEY": KEYS["WOM_IP_KEY"],
            "WEBHOOK_KEY": KEYS["WOM_WEBHOOK_KEY"],
            "WOM_ANALYTICS_BACKGROUND": False,
            "OWNER_IDLE_MINUTES": 600,
        }
    )
    service = app.extensions["wom.analytics"]
    started = time.perf_counter()
    service.ensure_loaded()
    loaded = time.perf_counter() - started
    client = _log_in(app)
    pages = {}
    for url in _urls(app, client):
        pages[url] = _median_ms(client, url)
    after_write = {url: _after_writes(app, client, url) for url in AFTER_WRITE}
    people = service.G.number_of_nodes()
    rss_before_exports = rss_mib()
    exports = [_export(client, url, people) for url in EXPORTS]
    return {
        "load": loaded,
        "people": people,
        "customers": service.F.number_of_nodes(),
        "pages": pages,
        "after_write": after_write,
        "exports": exports,
        "rss_steady_mib": rss_before_exports,
        "rss_peak_mib": peak_rss_mib(),
    }


def main() -> None:
    customers = int(os.environ.get("WOM_BENCH_CUSTOMERS", "1000000"))
    source = demo_database(customers)
    work = CACHE / "dashboard-work.db"
    shutil.copyfile(source, work)
    os.sync()
    try:
        context = multiprocessing.get_context("spawn")
        with context.Pool(1) as pool:
            out = pool.apply(dashboard_stage, (str(work),))
    finally:
        for leftover in CACHE.glob(work.name + "*"):
            Path(leftover).unlink()
    print(
        f"\n{customers:,}-customer demo: {out['people']:,} people, "
        f"{out['customers']:,} customers; service loaded in {out['load']:.1f}s"
    )
    print(f"{'page (server time, warm, median of ' + str(RUNS) + ')':<64}{'ms':>9}")
    missed = 0
    for url, (ms, status) in out["pages"].items():
        mark = "  ok" if ms <= TARGET_MS and status == 200 else "  MISSED"
        missed += mark != "  ok"
        shown = url if len(url) <= 62 else url[:59] + "..."
        note = "" if status == 200 else f" (status {status})"
        print(f"{shown:<64}{ms:9.1f}{mark}{note}")
    print(f"{len(out['pages']) - missed} of {len(out['pages'])} within {TARGET_MS} ms")
    print(
        f"\nfirst request after a write that changes the graphs (median of {RUNS}; "
        "the write itself; the background's new version of the figures ready after):"
    )
    for url, row in out["after_write"].items():
        mark = "  ok" if row["first_ms"] <= TARGET_MS else "  MISSED"
        print(
            f"  {url:<28} first {row['first_ms']:8.1f} ms{mark}   "
            f"write {row['write_ms']:7.1f} ms   ready after {row['rebuilt_ms']:7.0f} ms"
        )
    print("\nexports (streamed):")
    for row in out["exports"]:
        print(
            f"  {row['url']:<36} {row['mib']:8.1f} MiB in {row['seconds']:6.1f}s  "
            f"{row['mib_per_s']:6.1f} MiB/s  {row['people_per_s']:9,.0f} people/s  "
            f"RSS growth {row['rss_growth_mib']:6.1f} MiB"
        )
    print(
        f"process RSS with the service loaded {out['rss_steady_mib']:,.0f} MiB; "
        f"peak {out['rss_peak_mib']:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
