"""What webhooks cost the write path, and how fast they go out.

In one run, each of these twice, on the same data: without endpoints, and with 3
endpoints subscribed to every event (the outbox then writes a message per event
in each write transaction; the delivery worker is off, WOM_WEBHOOK_WORKER=0, so
that only the write path is measured):

- the landing ratio: GET /r/<code> (a new visitor each, the click durably
  recorded) over a bare Flask app, with wrk, as ``bench_landing`` measures it
  (``landing_setup``'s database, server and script);
- the ingest ratio: events through POST /api/v1/events against a raw
  ``sqlite3.executemany`` of the same rows, as ``bench_api`` measures it.

The issue's target: with endpoints, each ratio within 10% of the one without.
Then the worker is switched on for the database with endpoints, and deliveries
per second to a local receiver (a threaded HTTP server on loopback answering
204) are counted over a fixed window; the target is at least 200/s.

Both landing servers and the bare app are up at once, their wrk runs
interleaved, and the two ingest servers are fed the same chunks in turn, so
drift on a shared machine falls on both. The delivery window opens once every
waiting message is fanned out. ``WOM_BENCH_WEBHOOK_EVENTS`` sets the events
ingested (default 200,000), ``WOM_BENCH_SECONDS`` a wrk run's length (5).
Loopback endpoints need ``WOM_WEBHOOK_ALLOW_LOOPBACK=1``, which this benchmark
sets for its servers.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson

from bench import api_setup, bench_api, landing_setup, serving

EVENTS = int(os.environ.get("WOM_BENCH_WEBHOOK_EVENTS", 200_000))
ENDPOINTS = 3
ROUNDS = 3
SECONDS = int(os.environ.get("WOM_BENCH_SECONDS", 5))
# Events sent to one server before the other gets the same ones.
CHUNK = 40_000
IN_FLIGHT = 3
WINDOW_SECONDS = 10

__all__ = ["main"]


class Sink:
    """A receiver on loopback that answers 204 to every POST and counts them."""

    def __init__(self):
        self.received = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.received += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            # The default backlog of 5 drops connections under 8 senders, and
            # each drop costs a second's SYN retry: a slow receiver, not wom.
            request_queue_size = 128

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _environment(worker: bool) -> None:
    # Both benchmarks' servers take os.environ as it is when they start.
    os.environ["WOM_WEBHOOK_ALLOW_LOOPBACK"] = "1"
    os.environ["WOM_WEBHOOK_WORKER"] = "1" if worker else "0"
    os.environ.setdefault("WOM_WEBHOOK_KEY", "w" * 64)


def _subscribe(database: Path, url: str) -> None:
    """Add ENDPOINTS endpoints for every event, straight into the store."""
    from wom import actions
    from wom.contract.webhooks import EVENT_TYPES, WebhookInput
    from wom.store import Store, now_micros
    from wom.webhooks import Policy, Sealer

    store = Store(database)
    store.migrate()
    for _ in range(ENDPOINTS):
        actions.add_webhook(
            store,
            Sealer(os.environ["WOM_WEBHOOK_KEY"]),
            Policy(allow_loopback=True),
            WebhookInput(url=url, events=list(EVENT_TYPES)),
            now=now_micros(),
        )
    store.close()


def landing(work: Path, url: str) -> dict[str, float]:
    """The landing ratio (``/r/<code>``, a new visitor each, over the bare app,
    as ``bench_landing`` has it) without and with endpoints: both wom servers and
    the bare app up at once, their wrk runs interleaved."""
    base = work / "landing.db"
    codes = landing_setup.fill_database(base)
    script = work / "many.lua"
    script.write_text(landing_setup.many_visitors_lua(codes))
    trivial = work / "trivial.lua"
    trivial.write_text(serving.LUA_THREADS + serving.LUA_DONE)
    servers = {}
    try:
        for name in ("without", "with"):
            database = work / f"landing-{name}.db"
            shutil.copy(base, database)
            if name == "with":
                _subscribe(database, url)
            servers[name] = landing_setup.start_wom(database)
        servers["bare"] = serving.Gunicorn(
            "bench.bare_app:app", {}, ready_path="/", ready_body=b"hello"
        )
        for name in ("without", "with"):  # every link in memory, as after a while
            serving.wrk(servers[name], "/", script, connections=8, seconds=SECONDS)
        rates: dict[str, list[float]] = {name: [] for name in servers}
        for _ in range(ROUNDS):
            for name, server in servers.items():
                run = serving.wrk(
                    server,
                    "/",
                    trivial if name == "bare" else script,
                    connections=8,
                    seconds=SECONDS,
                )
                rates[name].append(run["rps"])
    finally:
        for server in servers.values():
            server.stop()
    bare = statistics.median(rates["bare"])
    return {name: statistics.median(rates[name]) / bare for name in ("without", "with")}


def _api_server(folder: Path) -> api_setup.Server:
    """bench_api's gunicorn, with this process's webhook variables."""
    server = api_setup.Server(folder)
    names = ("WOM_WEBHOOK_ALLOW_LOOPBACK", "WOM_WEBHOOK_WORKER", "WOM_WEBHOOK_KEY")
    server.env = server.env | {name: os.environ[name] for name in names}
    return server


def _seeded_server(
    folder: Path, url: str | None, chunks: int
) -> tuple[api_setup.Server, list[str]]:
    """A seeded server, and a token per chunk of events (``through_api`` keys its
    batches by their place in the call, and keys belong to a token)."""
    server = _api_server(folder)
    server.flask("init-db")
    server.flask("settings", "api_rate_limit", bench_api.RATE_LIMIT)
    tokens = [
        server.flask("create-token", f"bench-{n}", "--scope", "admin")
        for n in range(chunks)
    ]
    token = tokens[0]
    if url is not None:
        _subscribe(folder / "wom.db", url)
    server.start()
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    seeds = [
        {"type": "signup", "customer": f"s{i}", "at": api_setup.START.isoformat()}
        for i in range(api_setup.SEED_CUSTOMERS)
    ]
    status, body = server.request(
        "POST", "/api/v1/events", orjson.dumps({"events": seeds}), auth
    )
    assert status == 200, body
    for i in range(api_setup.SEED_CUSTOMERS):
        status, body = server.request(
            "POST",
            f"/api/v1/customers/s{i}/links",
            orjson.dumps({"code": f"seed-{i}"}),
            auth,
        )
        assert status == 201, body
    return server, tokens


def ingest(work: Path, url: str, events: list[dict]) -> dict[bool, float]:
    """Events per second through the API, without and with endpoints (no
    delivery): two servers up at once, fed the same chunks in turn, so that
    drift on a shared machine falls on both. The folder with endpoints is kept
    for the delivery count."""
    servers = {}
    try:
        for subscribed in (False, True):
            folder = work / f"api-{int(subscribed)}"
            folder.mkdir()
            servers[subscribed] = _seeded_server(
                folder, url if subscribed else None, -(-len(events) // CHUNK)
            )
        spent = {False: 0.0, True: 0.0}
        for n, start in enumerate(range(0, len(events), CHUNK)):
            chunk = events[start : start + CHUNK]
            for subscribed, (server, tokens) in servers.items():
                spent[subscribed] += api_setup.through_api(
                    server, tokens[n], chunk, IN_FLIGHT
                )
    finally:
        for server, _ in servers.values():
            server.stop()
    return {subscribed: len(events) / spent[subscribed] for subscribed in spent}


def _count(database: Path, sql: str) -> int:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def deliveries(folder: Path, sink: Sink) -> tuple[float, int]:
    """Deliveries per second over WINDOW_SECONDS once the worker runs, and how
    many messages were waiting."""
    _environment(worker=True)
    database = folder / "wom.db"
    waiting = _count(database, "SELECT count(*) FROM webhook_messages")
    server = _api_server(folder)
    done = "SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'"
    server.start()  # its first request starts the worker
    try:
        # The window opens once every message has its deliveries (fanned out).
        while _count(database, "SELECT count(*) FROM webhook_deliveries") < (
            waiting * ENDPOINTS
        ):
            time.sleep(0.2)
        before, started = _count(database, done), time.perf_counter()
        time.sleep(WINDOW_SECONDS)
        after, elapsed = _count(database, done), time.perf_counter() - started
    finally:
        server.stop()
    return (after - before) / elapsed, waiting


def main() -> None:
    _environment(worker=False)
    work = Path(tempfile.mkdtemp(prefix="wom-bench-webhooks-"))
    sink = Sink()
    try:
        print(
            f"NOTE: {ENDPOINTS} endpoints subscribed to every event, on loopback "
            "(WOM_WEBHOOK_ALLOW_LOOPBACK=1); the worker off while the write path is "
            "measured; api_rate_limit raised as in bench_api.",
            flush=True,
        )
        ratios = landing(work, sink.url)
        change = ratios["with"] / ratios["without"] - 1
        print(
            f"landing ratio (/r/<code> over the bare app, 8 connections, medians of "
            f"{ROUNDS} interleaved runs): without {ratios['without']:.3f}, with "
            f"{ratios['with']:.3f} ({change:+.1%}; target within 10%: "
            f"{'meets' if abs(change) <= 0.10 else 'misses'})",
            flush=True,
        )
        events = api_setup.make_events(EVENTS)
        rates = ingest(work, sink.url, events)
        raw = len(events) / bench_api.raw_insert(work, events)
        without, with_ = rates[False] / raw, rates[True] / raw
        change = with_ / without - 1
        messages = _count(
            work / "api-1" / "wom.db", "SELECT count(*) FROM webhook_messages"
        )
        print(
            f"ingest ratio (API / raw sqlite3, {EVENTS:,} events): without "
            f"{without:.3f} ({rates[False]:,.0f}/s), with {with_:.3f} "
            f"({rates[True]:,.0f}/s; {messages:,} messages written) ({change:+.1%}; "
            f"target within 10%: {'meets' if abs(change) <= 0.10 else 'misses'})",
            flush=True,
        )
        rate, waiting = deliveries(work / "api-1", sink)
        print(
            f"deliveries to a local receiver: {rate:,.0f}/s over {WINDOW_SECONDS}s "
            f"({waiting:,} messages x {ENDPOINTS} endpoints waiting; target >= 200/s: "
            f"{'meets' if rate >= 200 else 'misses'})",
            flush=True,
        )
    finally:
        sink.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
