"""The store's readers: one a thread, closed when the thread has ended and all
of them at close(), whatever the garbage collector can see."""

from __future__ import annotations

import gc
import os
import sqlite3
import threading

import pytest

from wom.store import Store


def _readers_in_threads(store, count: int) -> list:
    """The readers that ``count`` threads opened, read with, and left behind."""
    readers = []

    def read():
        db = store.reader()
        db.execute("SELECT count(*) FROM people").fetchall()
        readers.append(db)

    for _ in range(count):
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    return readers


def _files_open_on(path) -> int:
    names = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            names.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # closed since listed
            pass
    return sum(name.startswith(str(path)) for name in names)


def test_a_reader_whose_thread_ended_is_closed_when_the_next_opens(store):
    ended = _readers_in_threads(store, 3)
    store.reader()  # this thread's: the ended threads' readers go now
    for db in ended:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            db.execute("SELECT 1")


def test_close_closes_every_reader_even_out_of_the_collectors_sight(db_path):
    # The graphs' load calls gc.freeze(): a connection then left to the
    # collector (it sits in a cycle with its statement cache) kept its files
    # open for ever, five a test app, until a test process ran out of them.
    store = Store(db_path)
    store.migrate()
    gc.freeze()
    try:
        _readers_in_threads(store, 3)
        store.reader()
        assert _files_open_on(db_path) > 0
        store.close()
        assert _files_open_on(db_path) == 0
    finally:
        gc.unfreeze()
    assert store.reader().execute("SELECT count(*) FROM people").fetchone() == (0,)
    store.close()
