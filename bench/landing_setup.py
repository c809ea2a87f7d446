"""What the landing benchmarks share: a fresh database of customers who referred
each other, wom and the bare app served side by side, and the visitors' scripts.
"""

from __future__ import annotations

import random
import secrets
import shutil
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .serving import LUA_DONE, LUA_THREADS, REPO, Gunicorn, lua_list

__all__ = [
    "CUSTOMERS",
    "count_clicks",
    "disk_commits_per_second",
    "fill_database",
    "have_wrk",
    "many_visitors_lua",
    "one_visitor_lua",
    "start_servers",
    "start_wom",
]

CUSTOMERS = 3000

# Each request a new visitor: a browser whose build number is random, and no
# cookie, so the visitor is the daily hash of address and agent (visits.py).
_MANY_VISITORS = r"""
local codes = {%(codes)s}
function request()
  counter = counter + 1
  local agent = string.format(
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) " ..
    "Chrome/124.0.%%d.%%d Safari/537.36", math.random(0, 99999), counter)
  return wrk.format("GET", "/r/" .. codes[math.random(#codes)],
                    {["User-Agent"] = agent})
end
"""
# One visitor (one address, one browser, no cookie) opening one link again and
# again.
_ONE_VISITOR = r"""
function request()
  return wrk.format("GET", "/r/%(code)s", {["User-Agent"] = "%(agent)s"})
end
"""
_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.91 Safari/537.36"
)


def many_visitors_lua(codes: list[str]) -> str:
    """wrk's script: every request a new visitor on a random link."""
    return LUA_THREADS + _MANY_VISITORS % {"codes": lua_list(codes)} + LUA_DONE


def one_visitor_lua(code: str) -> str:
    """wrk's script: one visitor flooding link ``code``."""
    return LUA_THREADS + _ONE_VISITOR % {"code": code, "agent": _AGENT} + LUA_DONE


def disk_commits_per_second(folder: Path, commits: int = 300) -> float:
    """Single-row FULL commits per second on this file system: the context for
    every figure (one click per transaction could reach this at best)."""
    path = folder / "probe.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (x)")
    started = time.perf_counter()
    for n in range(commits):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?)", [n])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    path.unlink()
    return commits / elapsed


def fill_database(path: Path, customers: int = CUSTOMERS) -> list[str]:
    """A fresh database of ``customers`` who referred each other, made through
    ``ingest``; return their link codes."""
    sys.path.insert(0, str(REPO))
    from wom.store import Store, ingest

    rng = random.Random(0)
    store = Store(path)
    store.migrate()
    start = datetime.now(UTC) - timedelta(days=120)
    batch = []
    for n in range(customers):
        at = start + timedelta(minutes=40 * n)
        if n and rng.random() < 0.6:
            batch.append(
                {
                    "type": "referral",
                    "from": f"c{rng.randrange(n)}",
                    "to": f"c{n}",
                    "at": at,
                }
            )
        batch.append(
            {
                "type": "signup",
                "customer": f"c{n}",
                "name": f"Customer {n}",
                "email": f"c{n}@example.org",
                "at": at,
            }
        )
        if len(batch) >= 1000:
            ingest(store, batch, source="bench")
            batch = []
    if batch:
        ingest(store, batch, source="bench")
    codes = [row[0] for row in store.reader().execute("SELECT code FROM links")]
    store.close()
    return codes


def start_wom(database: Path) -> Gunicorn:
    """wom on ``database`` under gunicorn, the README's way, with fresh keys."""
    return Gunicorn(
        "wom.wsgi:app",
        {
            "WOM_DATABASE": str(database),
            "WOM_SECRET_KEY": secrets.token_hex(32),
            "WOM_IP_KEY": secrets.token_hex(32),
            "WOM_WEBHOOK_KEY": secrets.token_hex(32),
        },
        ready_path="/readyz",
        ready_body=b"ready",
    )


def start_servers(database: Path) -> tuple[Gunicorn, Gunicorn]:
    """wom on ``database`` and the bare hello app, each under its own gunicorn."""
    wom = start_wom(database)
    try:
        bare = Gunicorn("bench.bare_app:app", {}, ready_path="/", ready_body=b"hello")
    except BaseException:
        wom.stop()
        raise
    return wom, bare


def have_wrk() -> bool:
    """Whether wrk is installed; says how to get it when it is not."""
    if shutil.which("wrk") is None:
        print("wrk is missing: install it with `apt-get install wrk` (Debian).")
        return False
    return True


def count_clicks(database: Path) -> tuple[int, int]:
    """(human, bot) clicks the links count, read through a new connection."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT coalesce(sum(clicks), 0), coalesce(sum(bot_clicks), 0) FROM links"
        ).fetchone()
    finally:
        conn.close()
