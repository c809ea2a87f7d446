"""Serving an app the README's way and loading it with wrk, for the benchmarks.

gunicorn runs as production does (``--worker-class gthread``, one worker, eight
threads) on a free loopback port; wrk loads it for a bounded time through a Lua
script that prints its figures as one JSON line.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

__all__ = [
    "BROWSER",
    "LUA_DONE",
    "LUA_THREADS",
    "Gunicorn",
    "free_port",
    "lua_list",
    "wrk",
]

REPO = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
# The README's production setting; another value is an experiment, and says so.
THREADS = int(os.environ.get("WOM_BENCH_THREADS", 8))
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 wom-bench"

# wrk's Lua: ``done`` prints one JSON line with what the report needs.
LUA_DONE = r"""
function done(summary, latency, requests)
  io.write(string.format(
    '\nWRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"non_2xx_3xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
"""
LUA_THREADS = r"""
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
end
function init(args)
  counter = 0
  math.randomseed(tid * 7919)
end
"""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 just now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lua_list(items: list[str]) -> str:
    """A Lua table literal of strings."""
    return ",".join(f'"{item}"' for item in items)


class Gunicorn:
    """``app`` (a WSGI spec such as ``wom.wsgi:app``) under gunicorn, the
    README's way, on a free loopback port; ready once ``ready_path`` says so."""

    def __init__(self, app: str, env: dict, *, ready_path: str, ready_body: bytes):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                "--worker-class",
                "gthread",
                "--workers",
                "1",
                "--threads",
                str(THREADS),
                "--bind",
                f"127.0.0.1:{self.port}",
                app,
            ],
            cwd=REPO,
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + ready_path, timeout=1) as reply:
                    if reply.read() == ready_body:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn ({app}) was not ready within 60 s")

    def stop(self) -> None:
        """Stop gunicorn (SIGTERM, then SIGKILL after 15 s)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def worker_cpu_seconds(self) -> float:
        """CPU time used so far by the gunicorn worker (Linux /proc)."""
        master = self.process.pid
        with open(f"/proc/{master}/task/{master}/children") as children:
            worker = children.read().split()[0]
        with open(f"/proc/{worker}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(
    server: Gunicorn, path: str, script: Path, *, connections: int, seconds: float
) -> dict:
    """One bounded wrk run against ``server``; its figures as a dict, with the
    worker's CPU per request (``cpu_us``) and the answers that were not errors."""
    cpu_before = server.worker_cpu_seconds()
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{round(seconds)}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        server.url + path,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    found = re.search(r"WRK_JSON (\{.*\})", done.stdout)
    if not found:
        raise RuntimeError(f"wrk printed no figures:\n{done.stdout}\n{done.stderr}")
    figures = json.loads(found[1])
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["ok"] = figures["requests"] - figures["non_2xx_3xx"]
    cpu = server.worker_cpu_seconds() - cpu_before
    figures["cpu_us"] = cpu / max(figures["requests"], 1) * 1e6
    return figures
