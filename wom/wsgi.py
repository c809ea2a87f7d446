"""The production entry point: ``gunicorn --worker-class gthread 'wom.wsgi:app'``.

The server holds the database's lock file from start-up, so a second writing
process (another server, a CLI command that writes) is refused.
"""

from __future__ import annotations

import threading

from . import create_app

app = create_app()
app.extensions["wom.store"].hold_lock()

# Build the graphs now, in the worker (never before a fork), so the first request
# does not pay for the cold start.
threading.Thread(
    target=app.extensions["wom.analytics"].ensure_loaded,
    name="wom-analytics-load",
    daemon=True,
).start()
