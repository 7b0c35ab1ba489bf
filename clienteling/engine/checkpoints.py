"""Checkpoints of a SQLite database's write-ahead log, run off the thread that commits.

SQLite checkpoints by itself inside the commit that takes the log past 1,000 pages, on the
committing thread: it copies the log's pages into the database file and syncs the file. At
1,000,000 profiles (a 3.8 GB file) a checkout that fires two reactions writes enough pages
that about one checkout in ten paid for that copy, and those set the p95: 19.3 ms with the
automatic checkpoint, 10.0 ms with the checkpoints run here (SPEC §8,
``checkout_reactions_p95_ms``; docs/performance.md).

Why our own: Python's ``sqlite3`` does not expose ``sqlite3_wal_hook``, through which an
application is told the log's size after each commit, and neither SQLAlchemy nor any library
we could find runs checkpoints for an application. What is here is small: a thread per
database file, woken by commits, that runs a ``PASSIVE`` checkpoint (which never blocks a
writer or a reader) on a connection of its own once the commits have paused for a moment.

The writers' automatic checkpoint stays on, raised to ``BACKSTOP_PAGES``: should this
thread fall behind (a long read holding old pages, a stalled disk) the log is still
checkpointed, by the commit as before, rather than growing without bound.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

log = logging.getLogger(__name__)

#: The automatic checkpoint's threshold left on every connection (pages; 40 MB at 4 KiB).
BACKSTOP_PAGES = 10_000
#: How long after a commit the checkpoint waits, so a burst of commits shares one.
SETTLE_S = 0.25
#: A thread with no commit to follow for this long ends (the next commit starts another),
#: so a database nobody writes to, or one never disposed of, keeps no thread.
IDLE_S = 30.0


class Checkpointer:
    """Checkpoints ``path``'s write-ahead log after commits, on a thread of its own."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.checkpoints = 0  # how many have run (tests read it)
        self._lock = threading.Lock()
        self._pending = threading.Event()
        self._stopped = threading.Event()
        self._done = threading.Event()
        self._done.set()
        self._thread: threading.Thread | None = None

    def configure(self, dbapi_connection: Any) -> None:
        """Raise a new connection's automatic checkpoint to the backstop."""
        dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")

    def nudge(self) -> None:
        """A write transaction is committing: checkpoint once the commits pause."""
        if self._stopped.is_set():
            return
        with self._lock:
            self._pending.set()
            self._done.clear()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints",
                                                daemon=True)
                self._thread.start()

    def wait_idle(self, timeout: float) -> bool:
        """Until every nudge so far has been followed by a checkpoint (tests, shutdown)."""
        return self._done.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """No more checkpoints from here; waits for one in progress to end."""
        self._stopped.set()
        self._pending.set()  # wakes the thread's wait
        with self._lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                woken = self._pending.wait(IDLE_S)
                if self._stopped.is_set():
                    return
                if not woken:
                    with self._lock:
                        if not self._pending.is_set():
                            self._thread = None
                            return
                    continue
                if self._stopped.wait(SETTLE_S):
                    return
                with self._lock:
                    self._pending.clear()
                if conn is None:
                    conn = sqlite3.connect(self.path, timeout=10, isolation_level=None,
                                           check_same_thread=False)
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # the backstop still checkpoints; say why
                    log.warning("Checkpoint of %s failed: %s", self.path, exc)
                with self._lock:
                    if not self._pending.is_set():
                        self._done.set()
        finally:
            if conn is not None:
                conn.close()
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None
                self._done.set()
