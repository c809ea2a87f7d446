"""What the commands share: the app's store, and errors turned into one clear
line (and exit status 1) for the command line."""

from __future__ import annotations

import sqlite3
import time
from functools import wraps

import click
from flask import current_app

from .store import InvalidInput, Store, StoreError, StoreLocked

__all__ = ["also_on_the_dashboard", "app_store", "clear_errors", "day_of"]


def app_store() -> Store:
    """The running app's store."""
    return current_app.extensions["wom.store"]


def clear_errors(command):
    """Turn the store's errors into one clear line and exit status 1."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InvalidInput as exc:
            lines = [f"  {e['field']}: {e['message']}" for e in exc.errors]
            raise click.ClickException("invalid input\n" + "\n".join(lines)) from None
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None
        except sqlite3.OperationalError as exc:
            # Another program holds the database, or a file cannot be opened.
            raise click.ClickException(
                f"SQLite could not do it: {exc}. If another program has the "
                "database open for writing, wait for it or stop it, then try again."
            ) from None

    return wrapper


def also_on_the_dashboard(command):
    """Settings and tokens change through the running server too: a refusal for
    the lock says where."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except StoreLocked as exc:
            raise StoreLocked(
                f"{exc} Settings and API tokens also change while it runs, on the "
                "dashboard's Settings page (/dashboard/settings)."
            ) from None

    return wrapper


def day_of(micros: int) -> str:
    """A stored time (microseconds) as the commands print it, in UTC."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(micros // 1_000_000))
