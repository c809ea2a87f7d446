"""The Graph and Spread pages in Chromium: how long until the graph page has drawn
its nodes at the 1,000,000-customer demo, and how many frames a second the
spread's playback draws at 2,000 people.

The graph page is timed from the navigation's start to cytoscape.js holding the
laid-out nodes on screen (``#graph[data-state=drawn]``, its ``data-drawn-at``):
the server's answer, the download and the drawing, with the service warm. The
1M demo is bench_analytics' cached database (copied: logging in writes).

The largest cascade of the demo holds a few hundred people, so playback is
measured on a database made here: one cascade of 2,000 people (a random tree,
seeded), with a conversation more for one person in five. Frames are counted in
the page while it plays, by requestAnimationFrame and by cytoscape's own render
events; the median of three runs is reported.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.bench_analytics import CACHE, demo_database

RUNS = 3
PLAY_PEOPLE = 2000
PLAY_SECONDS = 6
DRAW_TARGET_S = 3.0
FPS_TARGET = 30


def _app(path: Path):
    from wom import create_app

    return create_app(
        {
            "DATABASE": str(path),
            "SECRET_KEY": "b" * 64,
            "IP_HMAC_KEY": "c" * 64,
            "WEBHOOK_KEY": "w" * 64,
            "WOM_ANALYTICS_BACKGROUND": False,
        }
    )


def _owner(app) -> tuple[str, str]:
    from wom.store import accounts, now_micros

    email, password = "bench@example.org", "bench password 123"
    with app.extensions["wom.store"].write() as db:
        accounts.create_owner(db, email, accounts.password_hash(password), now_micros())
    return email, password


def _browser(playwright):
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def _logged_in(browser, server, owner):
    page = browser.new_page(
        viewport={"width": 1280, "height": 900}, base_url=server.url
    )
    page.goto("/login")
    page.get_by_label("Email").fill(owner[0])
    page.get_by_label("Password").fill(owner[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")
    return page


def graph_page_draw(path: Path) -> dict:
    """Seconds from navigation to the graph drawn, ``RUNS`` times."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import LiveServer

    app = _app(path)
    owner = _owner(app)
    app.extensions["wom.analytics"].ensure_loaded()
    times, marks = [], []
    with LiveServer(app) as server, sync_playwright() as playwright:
        browser = _browser(playwright)
        page = _logged_in(browser, server, owner)
        for _ in range(RUNS):
            page.goto("/dashboard/graph")
            page.wait_for_selector("#graph[data-state=drawn]", timeout=120_000)
            times.append(int(page.get_attribute("#graph", "data-drawn-at")) / 1000)
            marks.append(json.loads(page.get_attribute("#graph", "data-marks")))
        nodes = page.evaluate("window.womGraph.nodes().length")
        edges = page.evaluate("window.womGraph.edges().length")
        browser.close()
    return {"times": times, "marks": marks, "nodes": nodes, "edges": edges}


def playback_database(path: Path, people: int = PLAY_PEOPLE, seed: int = 0) -> str:
    """A database with one cascade of ``people``: its root's external id."""
    from wom.store import Store, ingest

    rng = random.Random(seed)
    start = datetime(2025, 6, 1, tzinfo=UTC)
    events = [{"type": "signup", "customer": "p0", "name": "Root", "at": start}]
    for i in range(1, people):
        # Recent people are likelier to tell someone: a deep, bushy tree.
        referrer = rng.randrange(max(0, i - 60), i)
        at = start + timedelta(hours=i + rng.random())
        kind = rng.choice(["referral", "mention"])
        events.append({"type": kind, "from": f"p{referrer}", "to": f"p{i}", "at": at})
        events.append(
            {"type": "signup", "customer": f"p{i}", "name": f"Person {i}", "at": at}
        )
        if rng.random() < 0.2:
            other = f"p{rng.randrange(i)}"
            if other != f"p{referrer}":
                events.append(
                    {"type": "mention", "from": other, "to": f"p{i}", "at": at}
                )
    store = Store(path)
    store.migrate()
    ingest(store, events, source="bench")
    store.close()
    return "p0"


def playback_fps(path: Path, root: str) -> dict:
    """Frames a second while the playback plays, ``RUNS`` times."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import LiveServer

    app = _app(path)
    owner = _owner(app)
    runs = []
    with LiveServer(app) as server, sync_playwright() as playwright:
        browser = _browser(playwright)
        page = _logged_in(browser, server, owner)
        page.goto(f"/dashboard/spread/{root}")
        page.wait_for_selector("#tree[data-state=drawn]")
        nodes = page.evaluate("womSpread.cy.nodes().length")
        page.select_option("#speed", "1")
        for _ in range(RUNS):
            page.evaluate(
                "(() => { const s = document.getElementById('scrub'); s.value = '0';"
                " s.dispatchEvent(new Event('input')); })()"
            )
            before = page.evaluate(
                "[womSpread.frames, womSpread.renders,"
                " womSpread.cy.nodes(':visible').length, performance.now()]"
            )
            page.click("#play")
            page.wait_for_timeout(PLAY_SECONDS * 1000)
            after = page.evaluate(
                "[womSpread.frames, womSpread.renders,"
                " womSpread.cy.nodes(':visible').length, performance.now()]"
            )
            page.click("#play")  # pause
            seconds = (after[3] - before[3]) / 1000
            runs.append(
                {
                    "fps": (after[0] - before[0]) / seconds,
                    "renders": (after[1] - before[1]) / seconds,
                    "visible": (before[2], after[2]),
                }
            )
        browser.close()
    return {"nodes": nodes, "runs": runs}


def main() -> None:
    customers = int(os.environ.get("WOM_BENCH_CUSTOMERS", "1000000"))
    work = CACHE / "graph-page-work.db"
    shutil.copyfile(demo_database(customers), work)
    try:
        drawn = graph_page_draw(work)
    finally:
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(str(work) + suffix).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "playback.db"
        played = playback_fps(path, playback_database(path))

    median_draw = statistics.median(drawn["times"])
    fps = statistics.median(run["fps"] for run in played["runs"])
    renders = statistics.median(run["renders"] for run in played["runs"])
    print(
        f"\ngraph page at the {customers:,}-customer demo: {drawn['nodes']:,} nodes, "
        f"{drawn['edges']:,} edges drawn; runs "
        + ", ".join(f"{t:.2f}s" for t in drawn["times"])
    )
    print(
        f"playback of a {played['nodes']:,}-person cascade, {PLAY_SECONDS}s a run: "
        + "; ".join(
            f"{run['fps']:.1f} fps, {run['renders']:.1f} renders/s, "
            f"people drawn {run['visible'][0]} -> {run['visible'][1]}"
            for run in played["runs"]
        )
    )
    print(f"{'figure':<44}{'measured':>12}{'target':>12}")
    for name, value, target, unit, ok in (
        (
            "graph page drawn, median",
            median_draw,
            DRAW_TARGET_S,
            "s",
            median_draw <= DRAW_TARGET_S,
        ),
        ("playback frames a second, median", fps, FPS_TARGET, "", fps >= FPS_TARGET),
        ("playback cytoscape renders a second", renders, None, "", True),
    ):
        wanted = "" if target is None else f"{target}{unit}"
        mark = "" if target is None else ("  ok" if ok else "  MISSED")
        print(f"{name:<44}{value:>11.2f}{unit or ' '}{wanted:>12}{mark}")


if __name__ == "__main__":
    main()
