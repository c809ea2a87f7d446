"""Opening the SQLite file: pragmas, the single writer, the server's lock file.

docs/reliability.md: one writer connection per process behind one lock, every write in a
``BEGIN IMMEDIATE`` transaction, ``synchronous=FULL`` on the connection that
acknowledges writes, and an exclusive lock file that keeps a second writing process
out (SQLite before 3.51.3 can corrupt a WAL written by two connections at once).
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from .changes import Changes
from .errors import StoreLocked
from .outbox import write_outbox
from .schema import migrations

__all__ = ["Store", "open_database", "BUSY_TIMEOUT_MS"]

log = logging.getLogger(__name__)

# Python's sqlite3 takes a None parameter for an object to adapt, and looks for
# an adapter the slow way (a failed attribute look-up on a type, about 0.3 µs); an
# event's row binds about seven. Found in the registry, None binds as NULL at once.
sqlite3.register_adapter(type(None), lambda _: None)

BUSY_TIMEOUT_MS = 10_000
# Page cache per connection; the default 2 MiB thrashes on a million-row log.
CACHE_KIB = 64 * 1024
MMAP_BYTES = 256 * 1024 * 1024


class WriterDatabase(Database):
    """The writer's connection: a sqlite-utils Database that also carries what the
    open write transaction has changed (``changes``), for the store to announce."""

    def __init__(self, conn: sqlite3.Connection):
        super().__init__(conn)
        self.changes = Changes()


def open_database(
    path: str | os.PathLike, *, synchronous: str = "FULL", kind: type = Database
) -> Database:
    """Open one connection with wom's pragmas and return it as a sqlite-utils Database.

    Connections are made lazily in the process that uses them, never before a fork.
    ``isolation_level=None`` leaves transactions to explicit ``BEGIN IMMEDIATE``.
    """
    conn = sqlite3.connect(
        str(path),
        isolation_level=None,
        check_same_thread=False,
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    # Reads through a memory map skip a copy per page (about 10% on bulk ingest).
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    return kind(conn)


class Store:
    """The SQLite file behind wom: one writer connection, and readers per thread.

    ``Store(path)`` opens nothing until it is used. ``migrate()`` applies pending
    migrations; ``write()`` is the only road for writes, and after each COMMIT it
    hands what the write changed to every subscriber.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._writer: WriterDatabase | None = None
        self._write_lock = threading.RLock()
        self._lock_fd: int | None = None
        self._local = threading.local()
        # Every reader opened, with its thread: closed when the thread is gone
        # (at the next reader opened) or at close(). Python 3.11's connection
        # sits in a reference cycle with its statement cache, so a reader left
        # to the garbage collector keeps its file open until a collection, and
        # for ever once gc.freeze() (the graphs' load) has moved it out of sight.
        self._readers: list[tuple[threading.Thread, Database]] = []
        self._readers_lock = threading.Lock()
        self._subscribers: list[Callable[[Changes], None]] = []
        # Run inside every write transaction, just before its COMMIT: what they
        # write commits with it or not at all (the webhook outbox).
        self._before_commit: list[Callable[[WriterDatabase], None]] = [write_outbox]

    # -- the lock file --------------------------------------------------------

    def hold_lock(self, wait: float = 0.0) -> None:
        """Take the exclusive lock file beside the database, or raise StoreLocked.

        The lock is held until the process exits (or ``close()``), so no other
        process can write while this one serves. ``wait`` seconds are spent
        waiting for another holder to let go (a server's old worker finishing
        its requests during a graceful reload).
        """
        if self._lock_fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
            os.close(fd)
            raise StoreLocked(
                f"Another wom process (probably the server) holds {self.lock_path}. "
                "Stop the server, run this command, then start the server again. "
                "To add events while it runs, send them to its API instead."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    # -- connections ----------------------------------------------------------

    @property
    def writer(self) -> WriterDatabase:
        """The process's single writer connection (takes the lock file first)."""
        if self._writer is None:
            with self._write_lock:
                if self._writer is None:
                    self.hold_lock()
                    self._writer = open_database(self.path, kind=WriterDatabase)
                    log.info(
                        "wom store %s opened with SQLite %s",
                        self.path,
                        sqlite3.sqlite_version,
                    )
        return self._writer

    @property
    def holds_lock(self) -> bool:
        """Whether this process holds the lock file: no other process writes."""
        return self._lock_fd is not None

    def reader(self) -> Database:
        """A read connection for this thread (WAL readers never block the writer)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = open_database(self.path)
            self._local.db = db
            with self._readers_lock:
                ended = [db for thread, db in self._readers if not thread.is_alive()]
                self._readers = [r for r in self._readers if r[0].is_alive()]
                self._readers.append((threading.current_thread(), db))
            for old in ended:
                old.conn.close()
        return db

    @contextmanager
    def snapshot(self) -> Iterator[Database]:
        """This thread's reader inside one read transaction: every query in the
        block sees the database as one commit left it, whatever commits meanwhile."""
        db = self.reader()
        if db.conn.in_transaction:
            yield db
            return
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[WriterDatabase]:
        """Run a write transaction: the writer lock, ``BEGIN IMMEDIATE``, then COMMIT.

        The COMMIT has returned (and, under ``synchronous=FULL``, reached the disk)
        when the block exits; on an exception everything is rolled back. Just
        before COMMIT the ``before_commit`` hooks run in the transaction (the
        webhook outbox turns what happened into messages there). Whatever the
        block recorded in ``db.changes`` is then handed to the subscribers,
        before ``write`` returns: the writer reads its own writes in every figure.
        """
        with self._write_lock:
            db = self.writer
            if db.conn.in_transaction:
                # Nested use joins the outer transaction: one commit for all.
                yield db
                return
            db.changes = Changes()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                for hook in self._before_commit:
                    hook(db)
                db.execute("COMMIT")
            except BaseException:
                # A COMMIT that fails (a full disk, a deferred constraint) leaves
                # the transaction open; the next write would join it and never
                # commit, so it goes too.
                if db.conn.in_transaction:
                    db.execute("ROLLBACK")
                db.changes = Changes()
                raise
            changes, db.changes = db.changes, Changes()
        # Outside the writer lock: the next write need not wait for subscribers.
        self._announce(changes)

    def before_commit(self, hook: Callable[[WriterDatabase], None]) -> None:
        """Call ``hook(db)`` inside every write transaction, just before COMMIT."""
        self._before_commit.append(hook)

    def subscribe(self, subscriber: Callable[[Changes], object]) -> None:
        """Call ``subscriber(changes)`` after every committed write of this process.

        A subscriber may return a callable: the rest of its work, which it
        promises its own readers will wait for (so a later read sees the write
        whoever runs it). It runs before ``write`` returns, unless the writer
        asked to run it later (``deferring``).
        """
        self._subscribers.append(subscriber)

    @contextmanager
    def deferring(self) -> Iterator[list[Callable[[], object]]]:
        """Collect the subscribers' rest of work of the writes in the block (this
        thread's) into the list yielded, for the caller to run (``run_later``)
        once it has let others go on: the group committer wakes its waiters
        first."""
        later: list[Callable[[], object]] = []
        self._local.deferred = later
        try:
            yield later
        finally:
            self._local.deferred = None

    @staticmethod
    def run_later(later: list[Callable[[], object]]) -> None:
        """Run what ``deferring`` collected."""
        for rest in later:
            try:
                rest()
            except Exception:  # the write is committed; a subscriber's bug is logged
                log.exception("a store subscriber failed after a commit")

    def _announce(self, changes: Changes) -> None:
        later = []
        for subscriber in self._subscribers:
            try:
                rest = subscriber(changes)
            except Exception:  # the write is committed; a subscriber's bug is logged
                log.exception("a store subscriber failed after a commit")
            else:
                if callable(rest):
                    later.append(rest)
        deferred = getattr(self._local, "deferred", None)
        if deferred is not None:
            deferred.extend(later)
        else:
            self.run_later(later)

    def migrate(self) -> list[str]:
        """Apply pending migrations; return the names applied."""
        with self.write() as db:
            pending = [m.name for m in migrations.pending(db)]
            if pending:
                migrations.apply(db)
            return pending

    def ensure_schema(self) -> list[str]:
        """Apply pending migrations at start-up; a read-only check when none are."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not migrations.pending(self.reader()):
            return []
        return self.migrate()

    def close(self) -> None:
        """Close the writer and every reader, and release the lock file: for when
        the store's users have stopped (a thread that reads after it opens a
        reader anew)."""
        # Under the writer lock: a background thread (a scrub, a batch) may be in
        # the middle of a transaction, and closing a connection under it can crash.
        with self._write_lock:
            if self._writer is not None:
                self._writer.conn.close()
                self._writer = None
            with self._readers_lock:
                readers, self._readers = self._readers, []
            for _, db in readers:
                db.conn.close()
            self._local = threading.local()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
