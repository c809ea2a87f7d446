"""The production entry point: ``gunicorn --worker-class gthread 'wom.wsgi:app'``.

The server holds the database's lock file from start-up, so a second writing
process (another server, a CLI command that writes) is refused.
"""

from __future__ import annotations

import logging

from . import create_app
from .actions.switching import continue_in_background

# wom's log lines (a failed background run, a failed group commit) go where
# gunicorn writes its own, with their time stamps, not to a bare stderr.
_gunicorn = logging.getLogger("gunicorn.error")
if _gunicorn.handlers:
    logging.getLogger("wom").handlers = _gunicorn.handlers
    logging.getLogger("wom").setLevel(_gunicorn.level)

app = create_app()
# During a graceful reload the old worker holds the lock until its last requests
# are answered (gunicorn's graceful timeout is 30 s by default).
app.extensions["wom.store"].hold_lock(wait=60)
# A switch of the attribution rule that a stop interrupted goes on, chunk by chunk.
continue_in_background(app.extensions["wom.store"])

# Build the graphs now, in the worker (never before a fork), so the first request
# does not pay for the cold start; /readyz answers 200 once they are built.
app.extensions["wom.analytics"].warm_up()
