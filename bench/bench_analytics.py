"""Analytics at a million customers: cold start, background figures, warm reads,
incremental updates and peak memory, against python-igraph in the same run.

Each stage runs in its own spawned process so that its peak RSS is its own. The
1,000,000-customer demo database is made once (``flask --app wom demo``) and kept
under ``bench/.cache``; set ``WOM_BENCH_CUSTOMERS`` for another size.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
KEYS = {
    "WOM_SECRET_KEY": "b" * 64,
    "WOM_IP_KEY": "c" * 64,
    "WOM_WEBHOOK_KEY": "w" * 64,
}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_ms(fn, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def demo_database(customers: int) -> Path:
    """The cached demo database of ``customers`` customers, made if missing."""
    path = CACHE / f"demo-{customers}-seed0.db"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        partial = path.with_suffix(".partial.db")
        for leftover in CACHE.glob(partial.name + "*"):
            leftover.unlink()
        env = {**os.environ, **KEYS, "WOM_DATABASE": str(partial)}
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "wom",
                "demo",
                "--customers",
                str(customers),
                "--seed",
                "0",
            ],
            env=env,
            check=True,
        )
        print(f"made the demo database in {time.perf_counter() - started:.0f}s")
        partial.rename(path)
        for suffix in ("-wal", "-shm", ".lock"):
            Path(str(partial) + suffix).unlink(missing_ok=True)
    # A database cached by an older wom gets the migrations it lacks, as the
    # server would apply them at start-up.
    from wom.store import Store

    store = Store(path)
    applied = store.migrate()
    store.close()
    if applied:
        print(f"migrated the cached demo database: {', '.join(applied)}")
    return path


# -- stages, each in a spawned process -------------------------------------------


def service_stage(path: str) -> dict:
    """Cold start, warm reads and one incremental update, in the server's shape."""
    from wom.service import AnalyticsService
    from wom.store import Store, ingest

    store = Store(path)
    service = AnalyticsService(store, background=False)
    out: dict = {}
    started = time.perf_counter()
    service.load()
    out["load"] = time.perf_counter() - started
    started = time.perf_counter()
    service.spread("week")
    out["spread"] = time.perf_counter() - started
    out["cold"] = out["load"] + out["spread"]
    out["people"] = service.G.number_of_nodes()
    out["edges"] = service.G.number_of_edges()
    out["customers"] = service.F.number_of_nodes()

    def top100():
        service._cache.clear()
        return service.starters("reach", limit=100)

    out["top100_ms"] = median_ms(top100)
    out["top100_cached_ms"] = median_ms(lambda: service.starters("reach", limit=100))
    largest = service.cascades("size", limit=1)[0]
    out["largest_cascade"] = largest["size"]
    out["cascade_ms"] = median_ms(lambda: service.cascade(largest["root"], max_depth=2))
    out["cascades_ms"] = median_ms(lambda: service.cascades("virality", limit=10))

    # Incremental: sign-ups referred by a deep customer; time apply() alone.
    store._listeners.clear()

    def depth(node):
        steps = 0
        while (node := service.state.referrer(node)) is not None:
            steps += 1
        return steps

    deep = max(list(service.state.pos)[:20_000], key=depth)
    out["incremental_depth"] = depth(deep)
    code = (
        store.reader()
        .execute("SELECT code FROM links WHERE owner_id = ?", [deep])
        .fetchone()[0]
    )
    times = []
    for i in range(21):
        result = ingest(
            store,
            [
                {
                    "type": "signup",
                    "customer": f"bench-new-{i}",
                    "link": code,
                    "at": "2026-11-01T00:00:00Z",
                }
            ],
            source="bench",
        )
        started = time.perf_counter()
        service.apply(result.changes)
        times.append((time.perf_counter() - started) * 1000)
    out["incremental_ms"] = statistics.median(times)
    figures = service.person(deep)
    out["incremental_check"] = figures["direct_referrals"] >= 21
    out["rss_mib"] = peak_rss_mib()
    store.close()
    return out


def background_stage(path: str) -> dict:
    """Every background figure, timed one by one (as the worker process does)."""
    from wom.service.background import compute

    started = time.perf_counter()
    results = compute(path)
    total = time.perf_counter() - started
    communities = results["communities"]
    bridges = results["bridges"]
    return {
        "timings": results["timings"],
        "total": total,
        "community_method": communities.get("method"),
        "communities": len(communities.get("communities", [])),
        "bridges_sampled": bridges.get("sampled"),
        "bridges_k": bridges.get("k"),
        "seeds": [s.get("external_id") for s in results["seeds"].get("seeds", [])],
        "rss_mib": peak_rss_mib(),
    }


def influence_check_stage(path: str) -> dict:
    """Top-100 agreement of our PageRank with a tight reference, and the naive one."""
    import networkx as nx

    from wom.analytics.influence import influence_all, influence_top_overlap
    from wom.graph import build_conversation_graph
    from wom.store import open_database, queries

    db = open_database(path)
    G = build_conversation_graph(queries.people_rows(db), queries.touch_rows(db))
    ours = influence_all(G)
    naive = nx.pagerank(G.reverse(copy=False), alpha=0.85)
    return {
        "ours": influence_top_overlap(G, 100, ours),
        "naive": influence_top_overlap(G, 100, naive),
    }


def igraph_stage(path: str) -> dict:
    """What users would otherwise reach for: python-igraph on the same graphs."""
    import igraph as ig

    from wom.store import open_database

    db = open_database(path)
    out: dict = {}
    started = time.perf_counter()
    n = db.execute("SELECT max(id) FROM people").fetchone()[0] + 1
    edges = db.execute("SELECT talker_id, listener_id FROM touches").fetchall()
    credits = db.execute(
        "SELECT referrer_id, customer_id FROM credits WHERE status = 'credited'"
    ).fetchall()
    G = ig.Graph(n=n, edges=edges, directed=True)
    F = ig.Graph(n=n, edges=credits, directed=True)
    out["build"] = time.perf_counter() - started
    started = time.perf_counter()
    F.neighborhood_size(order=n, mode="out")
    out["reach"] = time.perf_counter() - started
    started = time.perf_counter()
    G.reverse_edges()
    G.pagerank(damping=0.85)
    out["influence"] = time.perf_counter() - started
    started = time.perf_counter()
    G.as_undirected().community_label_propagation()
    out["communities"] = time.perf_counter() - started
    out["rss_mib"] = peak_rss_mib()
    return out


def run(stage, path: Path) -> dict:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(stage, (str(path),))


def main() -> None:
    customers = int(os.environ.get("WOM_BENCH_CUSTOMERS", "1000000"))
    source = demo_database(customers)
    work = CACHE / "analytics-work.db"
    shutil.copyfile(source, work)
    # The copy's 1.4 GB of dirty pages would otherwise be written back during
    # the cold start and be measured as part of it.
    os.sync()
    service = run(service_stage, work)
    work.unlink()
    background = run(background_stage, source)
    check = run(influence_check_stage, source)
    try:
        reference = run(igraph_stage, source)
    except ImportError:
        reference = None
        print("python-igraph is missing: `make bench` installs bench/requirements.txt")

    print(
        f"\n{customers:,}-customer demo: {service['people']:,} people, "
        f"{service['customers']:,} customers, {service['edges']:,} conversations"
    )
    print(f"{'figure':<44}{'measured':>12}{'target':>12}")

    def line(name, value, target, unit="s"):
        mark = "" if target is None else ("  ok" if value <= target else "  MISSED")
        shown = f"{value:.3f}{unit}" if unit != "ms" else f"{value:.2f}ms"
        wanted = "" if target is None else (f"{target}{unit}")
        print(f"{name:<44}{shown:>12}{wanted:>12}{mark}")

    line("cold start: load G, F, forest figures, cascades", service["load"], None)
    line("cold start: spread series (weekly)", service["spread"], None)
    line("cold start to every linear figure", service["cold"], 15)
    for name, seconds in background["timings"].items():
        line(f"background: {name}", seconds, None)
    line("background: all together", sum(background["timings"].values()), 120)
    line("warm read: top 100 starters (recomputed)", service["top100_ms"], 20, "ms")
    line("warm read: top 100 starters (cached)", service["top100_cached_ms"], 20, "ms")
    line(
        f"warm read: one cascade ({service['largest_cascade']:,} people, depth 2)",
        service["cascade_ms"],
        20,
        "ms",
    )
    line("warm read: top 10 cascades by virality", service["cascades_ms"], 20, "ms")
    line(
        f"incremental update after a sign-up (depth {service['incremental_depth']})",
        service["incremental_ms"],
        5,
        "ms",
    )
    line("peak RSS, service process", service["rss_mib"] / 1024, 2, " GiB")
    line("peak RSS, background process", background["rss_mib"] / 1024, 2, " GiB")
    bg = background
    print(
        f"communities: {bg['communities']:,} by {bg['community_method']};"
        f" bridges sampled: {bg['bridges_sampled']} (k={bg['bridges_k']})"
    )
    print(
        f"top-100 influence agreement with a tight reference: ours "
        f"{check['ours']:.2f}, networkx default tolerance {check['naive']:.2f}"
    )
    print(f"incremental figures checked: {service['incremental_check']}")
    if reference:
        print("\npython-igraph on the same graphs (ratio = ours / igraph):")
        pairs = [
            ("graph build", service["load"], reference["build"]),
            ("reach (forest)", service["load"], reference["reach"]),
            (
                "influence (PageRank)",
                background["timings"]["influence"],
                reference["influence"],
            ),
            (
                "communities",
                background["timings"]["communities"],
                reference["communities"],
            ),
        ]
        for name, ours, theirs in pairs:
            print(
                f"  {name:<24} ours {ours:8.2f}s  igraph {theirs:8.2f}s  "
                f"ratio {ours / theirs:6.1f}"
            )
        print(f"  peak RSS igraph {reference['rss_mib']:,.0f} MiB")
        print(
            "  (ours 'graph build' and 'reach' are both the whole cold load: "
            "networkx graphs, forest arrays, every forest figure and cascade)"
        )


if __name__ == "__main__":
    main()
