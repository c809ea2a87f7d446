"""The production entry point: ``gunicorn --worker-class gthread 'wom.wsgi:app'``.

The server holds the database's lock file from start-up, so a second writing
process (another server, a CLI command that writes) is refused.
"""

from __future__ import annotations

import threading

from . import create_app

app = create_app()
# During a graceful reload the old worker holds the lock until its last requests
# are answered (gunicorn's graceful timeout is 30 s by default).
app.extensions["wom.store"].hold_lock(wait=60)

# Build the graphs now, in the worker (never before a fork), so the first request
# does not pay for the cold start.
threading.Thread(
    target=app.extensions["wom.analytics"].ensure_loaded,
    name="wom-analytics-load",
    daemon=True,
).start()
