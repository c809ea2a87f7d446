"""Running a switch of the attribution rule: its chunks, here or in a thread.

``change_setting`` begins a switch; these run its chunks (``store.rederivation``),
each in a write transaction of its own, with a short pause between them so that
sign-ups and clicks waiting for the writer go first. A server runs them in one
thread per store (``continue_in_background``); the CLI runs them in the caller
(``run_switch``). A server that stopped mid-switch continues it when it starts.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable

from ..store import Store, now_micros
from ..store.rederivation import CHUNK, rederive_chunk, switch_progress

__all__ = [
    "PAUSE",
    "continue_in_background",
    "finish_switch",
    "run_switch",
    "switch_running",
]

log = logging.getLogger(__name__)

#: Seconds between chunks: the writer's lock is not fair, so without a pause the
#: next chunk could take it before the writes that waited for this one.
PAUSE = 0.005

_threads: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_threads_lock = threading.Lock()


def run_switch(
    store: Store,
    *,
    chunk: int = CHUNK,
    pause: float = PAUSE,
    on_progress: Callable[[dict], None] | None = None,
) -> dict | None:
    """Run the switch under way to its end, chunk by chunk, in this thread;
    return its progress at the end (None when there was none)."""
    while True:
        with store.write() as db:
            progress = rederive_chunk(db, now_micros(), chunk)
        if progress is None or progress["finished_at"] is not None:
            return progress
        if on_progress is not None:
            on_progress(progress)
        time.sleep(pause)


def switch_running(store: Store) -> bool:
    """Whether a thread of this process is running a switch of ``store``."""
    with _threads_lock:
        thread = _threads.get(store)
        return thread is not None and thread.is_alive()


def continue_in_background(store: Store) -> None:
    """Run the unfinished switch (if any) in a thread of its own, unless one of
    this process already runs it."""
    with _threads_lock:
        thread = _threads.get(store)
        if thread is not None and thread.is_alive():
            return
        progress = switch_progress(store.reader())
        if progress is None or progress["finished_at"] is not None:
            return
        thread = threading.Thread(
            target=_run_in_background,
            args=(weakref.ref(store),),
            name="wom-attribution-switch",
            daemon=True,
        )
        _threads[store] = thread
        thread.start()


def _run_in_background(store_ref) -> None:
    store = store_ref()
    try:
        while store is not None:
            run_switch(store)
            with _threads_lock:
                # A switch begun after our last chunk and before this check found
                # this thread alive and left its chunks to us: run them too.
                progress = switch_progress(store.reader())
                if progress is None or progress["finished_at"] is not None:
                    _threads.pop(store, None)
                    return
    except Exception:  # a chunk that fails leaves the switch to be continued
        log.exception("the attribution switch stopped; it continues at the next start")
        with _threads_lock:
            _threads.pop(store, None)


def finish_switch(store: Store, **options) -> dict | None:
    """Wait for this process's switch thread, then run what is left here."""
    with _threads_lock:
        thread = _threads.get(store)
    if thread is not None:
        thread.join()
    return run_switch(store, **options)
