"""The outside baseline of the landing benchmarks: a bare Flask app saying hello.

It is not wom: no hooks, no session, no database. ``bench_landing`` serves it
exactly as wom is served (gunicorn, gthread, one worker, eight threads) in the
same run, and quotes wom's throughput as a share of this one's.
"""

from __future__ import annotations

from flask import Flask

__all__ = ["app"]

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """Hello: the least a Flask route can do."""
    return "hello"
